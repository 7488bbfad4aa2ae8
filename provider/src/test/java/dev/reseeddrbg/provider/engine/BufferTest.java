package dev.reseeddrbg.provider.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.reseeddrbg.provider.ReseedProvider;
import dev.reseeddrbg.provider.testing.PageFixture;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generate-ahead buffer: served in order while the word holds, never across a change. */
class BufferTest {
    @TempDir
    Path dir;

    /** Draws {@code n} bytes, which instantiates the instance's one state, and returns that state. */
    private static DrbgState firstDraw(ReseedDrbgSpi spi, SecureRandom random, int n) {
        random.nextBytes(new byte[n]);
        List<DrbgState> states = new ArrayList<>();
        spi.stripesForTest().forEachState(false, states::add);
        assertEquals(1, states.size());
        return states.getFirst();
    }

    @Test
    void bufferedBytesAreServedWhileQuietAndDroppedOnANotification() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            ReseedDrbgSpi spi = new ReseedDrbgSpi(null);
            SecureRandom random = secureRandom(spi);
            DrbgState state = firstDraw(spi, random, 16);

            byte[] pending = state.bufferForTest().peekForTest(16);
            byte[] quiet = new byte[16];
            random.nextBytes(quiet);
            assertArrayEquals(pending, quiet, "without a notification the draw is the next buffered bytes");

            byte[] stale = state.bufferForTest().peekForTest(16);
            page.notify("vm-snapshot");
            byte[] fresh = new byte[16];
            random.nextBytes(fresh);
            assertFalse(Arrays.equals(stale, fresh), "after a notification the buffered bytes are never served");
        }
    }

    /**
     * After every reseed the buffer refills 1 KiB, then 4 KiB, then the whole 16 KiB: a
     * notification costs the next draw one small generate, and the buffer never holds
     * more than one refill.
     */
    @Test
    void refillsStartSmallAfterEveryReseedAndGrowToTheBufferSize() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            ReseedDrbgSpi spi = new ReseedDrbgSpi(null);
            SecureRandom random = secureRandom(spi);
            DrbgState state = firstDraw(spi, random, 32);
            for (int refill : new int[] {1024, 4096, 16384, 16384}) {
                assertEquals(refill - 32, pending(state), "after a refill of " + refill);
                random.nextBytes(new byte[refill - 32]);
                assertEquals(0, pending(state));
                random.nextBytes(new byte[32]);
            }
            page.notify("vm-snapshot");
            random.nextBytes(new byte[32]);
            assertEquals(1024 - 32, pending(state), "a notification starts the ramp again");
        }
    }

    /** A SecureRandom over {@code spi}, so that the test can reach the spi's states. */
    private static SecureRandom secureRandom(ReseedDrbgSpi spi) {
        return new SecureRandom(spi, new ReseedProvider()) {
            private static final long serialVersionUID = 1L;
        };
    }

    private static int pending(DrbgState state) {
        return state.bufferForTest().peekForTest(Integer.MAX_VALUE).length;
    }
}
