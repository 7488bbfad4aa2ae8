package dev.reseeddrbg.provider.entropy;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.spi.EntropySource;
import dev.reseeddrbg.provider.testing.TestEntropySources;
import java.security.ProviderException;
import org.junit.jupiter.api.Test;

/** Issue 15 item 15: the SP 800-90B 4.4 tests catch stuck, repeating and cycling sources, and pass the kernel. */
class HealthTestedEntropyTest {

    /** Reads of {@code size} bytes until the test fails; the number of reads that passed. */
    private static int readsUntilFailure(EntropySource source, int size, int limit) {
        HealthTestedEntropy tested = new HealthTestedEntropy(source);
        for (int i = 0; i < limit; i++) {
            try {
                tested.next(size);
            } catch (ProviderException failed) {
                assertTrue(failed.getMessage().contains("health test failed"), failed.getMessage());
                return i;
            }
        }
        return limit;
    }

    private static EntropySource source(java.util.function.Consumer<byte[]> fill) {
        return new EntropySource() {
            @Override
            public String name() {
                return "test";
            }

            @Override
            public void fill(byte[] out) {
                fill.accept(out);
            }
        };
    }

    /** A cycle of {@code length} distinct blocks. */
    private static EntropySource cycle(int length) {
        return new TestEntropySources.Cycling(length) {
        };
    }

    @Test
    void aStuckSourceFailsAtOnceAndStaysFailed() {
        HealthTestedEntropy tested = new HealthTestedEntropy(new TestEntropySources.Stuck());
        assertThrows(ProviderException.class, () -> tested.next(32));
        assertThrows(ProviderException.class, () -> tested.next(32));
        assertThrows(ProviderException.class, () -> tested.next(16));
    }

    @Test
    void cyclesOfUpTo511BlocksFailAtTheirFirstRepeat() {
        // Two alternating blocks: the old test (each block against the one before) passed them for ever.
        for (int length : new int[] {2, 3, 37, 200, 511}) {
            for (int size : new int[] {16, 32, 48}) {
                int blocksPerRead = size / 16;
                int reads = readsUntilFailure(cycle(length), size, 10_000);
                assertTrue(reads * blocksPerRead <= length, "cycle of " + length + " in reads of " + size
                        + " passed " + reads + " reads");
            }
        }
    }

    @Test
    void aRunOfOneByteFailsTheRepetitionCountTest() {
        EntropySource runOfNine = source(out -> {
            KernelEntropy.instance().fill(out);
            java.util.Arrays.fill(out, 3, 3 + HealthTestedEntropy.REPETITION_CUTOFF, (byte) 0x5a);
        });
        assertTrue(readsUntilFailure(runOfNine, 32, 10) == 0);
        // Across two reads: five equal bytes at the end of one and four at the start of the next.
        int[] call = {0};
        EntropySource split = source(out -> {
            KernelEntropy.instance().fill(out);
            if (call[0]++ == 0) {
                java.util.Arrays.fill(out, out.length - 5, out.length, (byte) 7);
            } else {
                java.util.Arrays.fill(out, 0, 4, (byte) 7);
            }
        });
        assertTrue(readsUntilFailure(split, 32, 10) == 1);
    }

    @Test
    void theKernelPassesFourMebibytes() {
        // At full entropy a false alarm is an event of probability about 2^-46 over this run.
        int size = 48;
        int reads = 4 * 1024 * 1024 / size;
        assertTrue(readsUntilFailure(KernelEntropy.instance(), size, reads) == reads);
    }
}
