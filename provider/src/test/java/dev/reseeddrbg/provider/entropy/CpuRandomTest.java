package dev.reseeddrbg.provider.entropy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The CPU's random-number instruction on this machine, and the health tests and retries
 * around it driven through {@link CpuRandom#startedForTest}. The stub's bytes in
 * {@link X86RngStubs} match what GNU {@code as --64} assembles for the commented
 * instructions (read back with {@code objdump -d}).
 */
class CpuRandomTest {

    /** A healthy fake instruction: distinct words (a SplitMix64 sequence), carry always set. */
    private static CpuRandom.Step healthy() {
        AtomicLong state = new AtomicLong(0x1234_5678_9abc_def0L);
        return word -> {
            long z = state.addAndGet(0x9e37_79b9_7f4a_7c15L);
            z = (z ^ (z >>> 30)) * 0xbf58_476d_1ce4_e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d0_49bb_1331_11ebL;
            word[0] = z ^ (z >>> 31);
            return true;
        };
    }

    private static byte[] filled(int length) {
        byte[] out = new byte[length];
        Arrays.fill(out, (byte) 0x5a);
        return out;
    }

    private static void assertRefused(CpuRandom cpu, String why) {
        assertNull(cpu.instruction());
        String reason = cpu.unavailableReason();
        assertTrue(reason != null && reason.contains(why), "expected refusal: " + why + "; reason: " + reason);
    }

    @Test
    void theProbeAgreesWithTheKernelsCpuFlags() throws IOException {
        assumeTrue(Files.isReadable(Path.of("/proc/cpuinfo")), "needs Linux's /proc/cpuinfo");
        String flags = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(line -> line.startsWith("flags")).findFirst().orElse("");
        boolean rdseed = flags.matches(".*\\brdseed\\b.*");
        boolean rdrand = flags.matches(".*\\brdrand\\b.*");
        assumeTrue(rdrand || rdseed, "this CPU has neither instruction");
        CpuRandom cpu = CpuRandom.get();
        assertNull(cpu.unavailableReason(), "tests run on x86-64 Linux with --enable-native-access");
        assertEquals(rdseed ? "RDSEED" : "RDRAND", cpu.instruction());
    }

    @Test
    void realOutputIsFilledAndDiffersBetweenCalls() {
        CpuRandom cpu = CpuRandom.get();
        assumeTrue(cpu.instruction() != null, () -> "unavailable here: " + cpu.unavailableReason());
        byte[] a = filled(37);
        byte[] b = filled(37);
        assertTrue(cpu.fill(a));
        assertTrue(cpu.fill(b));
        assertFalse(Arrays.equals(a, b));
        assertFalse(Arrays.equals(a, new byte[37]), "not all zero");
        assertFalse(Arrays.equals(Arrays.copyOfRange(a, 32, 37), Arrays.copyOfRange(filled(37), 32, 37)),
                "the tail after the last whole word is written too");
    }

    @Test
    void aStuckSourceFailsTheStartUpTestAndIsNeverUsed() {
        AtomicInteger calls = new AtomicInteger();
        CpuRandom cpu = CpuRandom.startedForTest(null, word -> {
            calls.incrementAndGet();
            word[0] = 0x0123_4567_89ab_cdefL;
            return true;
        });
        assertRefused(cpu, "RDRAND returned two identical consecutive");
        int drawn = calls.get();
        byte[] out = filled(16);
        assertFalse(cpu.fill(out));
        assertArrayEquals(new byte[16], out);
        assertEquals(drawn, calls.get(), "a disabled source is not executed again");
    }

    @Test
    void allOnesAndAllZeroWordsAreRefused() {
        CpuRandom ones = CpuRandom.startedForTest(word -> {
            word[0] = -1L; // the AMD failure: -1 with the carry set
            return true;
        }, healthy());
        assertRefused(ones, "RDSEED returned an all-ones word");
        CpuRandom zeros = CpuRandom.startedForTest(null, word -> {
            word[0] = 0;
            return true;
        });
        assertRefused(zeros, "RDRAND returned an all-zero word");
    }

    @Test
    void aSourceThatGoesStuckLaterIsDisabledForGood() {
        CpuRandom.Step good = healthy();
        AtomicInteger stuck = new AtomicInteger(); // while > 0, the source repeats one word
        CpuRandom cpu = CpuRandom.startedForTest(null, word -> {
            if (stuck.get() > 0) {
                stuck.decrementAndGet();
                word[0] = 42;
                return true;
            }
            return good.execute(word);
        });
        assertEquals("RDRAND", cpu.instruction());
        assertTrue(cpu.fill(filled(32)));
        stuck.set(2);
        byte[] out = filled(32);
        assertFalse(cpu.fill(out));
        assertArrayEquals(new byte[32], out, "nothing of the failed call is handed out");
        assertRefused(cpu, "disabled for this JVM's life");
        assertFalse(cpu.fill(filled(32)), "the source recovered, but stays disabled");
    }

    @Test
    void aWordRepeatedAcrossCallsFails() {
        CpuRandom.Step good = healthy();
        AtomicLong repeat = new AtomicLong(); // when not 0, the next word returned
        CpuRandom cpu = CpuRandom.startedForTest(null, word -> {
            long forced = repeat.getAndSet(0);
            if (forced != 0) {
                word[0] = forced;
                return true;
            }
            return good.execute(word);
        });
        byte[] first = filled(8);
        assertTrue(cpu.fill(first));
        long last = 0;
        for (int i = 7; i >= 0; i--) {
            last = (last << 8) | (first[i] & 0xffL);
        }
        repeat.set(last);
        assertFalse(cpu.fill(filled(8)));
        assertRefused(cpu, "two identical consecutive");
    }

    @Test
    void rdseedRunningDryFallsBackToRdrand() {
        AtomicInteger seedTries = new AtomicInteger();
        AtomicInteger randTries = new AtomicInteger();
        CpuRandom.Step rand = healthy();
        CpuRandom cpu = CpuRandom.startedForTest(word -> {
            seedTries.incrementAndGet();
            word[0] = 0;
            return false;
        }, word -> {
            randTries.incrementAndGet();
            return rand.execute(word);
        });
        assertEquals("RDSEED", cpu.instruction());
        seedTries.set(0);
        randTries.set(0);
        assertTrue(cpu.fill(filled(16)));
        assertEquals(2 * CpuRandom.RDSEED_TRIES, seedTries.get(), "RDSEED's bounded tries for each word");
        assertEquals(2, randTries.get());
    }

    @Test
    void exhaustionFailsOneCallAndRdrandGetsTenTries() {
        CpuRandom.Step good = healthy();
        AtomicInteger dry = new AtomicInteger(); // tries left with the carry clear
        AtomicInteger tries = new AtomicInteger();
        CpuRandom cpu = CpuRandom.startedForTest(null, word -> {
            tries.incrementAndGet();
            if (dry.get() > 0) {
                dry.decrementAndGet();
                word[0] = 0;
                return false;
            }
            return good.execute(word);
        });
        dry.set(CpuRandom.RDRAND_TRIES - 1);
        assertTrue(cpu.fill(filled(8)), "the tenth try succeeds");
        tries.set(0);
        dry.set(CpuRandom.RDRAND_TRIES);
        byte[] out = filled(24);
        assertFalse(cpu.fill(out));
        assertEquals(CpuRandom.RDRAND_TRIES, tries.get());
        assertArrayEquals(new byte[24], out);
        assertEquals("RDRAND", cpu.instruction(), "exhaustion is transient: the source stays enabled");
        assertTrue(cpu.fill(filled(8)));
    }

    @Test
    void aSourceThatIsAlwaysDryFailsTheStartUpTest() {
        CpuRandom cpu = CpuRandom.startedForTest(null, word -> false);
        assertRefused(cpu, "start-up test failed: no word after 10 RDRAND tries");
    }

    @Test
    void aShortCycleFailsTheStartUpTest() {
        AtomicInteger n = new AtomicInteger();
        CpuRandom cpu = CpuRandom.startedForTest(null, word -> {
            word[0] = 1 + n.getAndIncrement() % 3; // 1, 2, 3, 1, ...: no two equal neighbours
            return true;
        });
        assertRefused(cpu, "start-up test failed: 16 words were not pairwise distinct");
    }

    @Test
    void unavailablePlatformsSayWhy() {
        assertEquals("aarch64 RNDR not implemented (only x86-64 RDSEED/RDRAND are)",
                CpuRandom.platformReason("aarch64", "Linux", true, "dev.reseeddrbg.provider"));
        assertTrue(CpuRandom.platformReason("riscv64", "Linux", true, null).contains("os.arch riscv64"));
        assertTrue(CpuRandom.platformReason("amd64", "Mac OS X", true, null).contains("os.name is Mac OS X"));
        assertEquals("native access is not enabled for module dev.reseeddrbg.provider; run java with "
                + "--enable-native-access=dev.reseeddrbg.provider",
                CpuRandom.platformReason("amd64", "Linux", false, "dev.reseeddrbg.provider"));
        assertTrue(CpuRandom.platformReason("x86_64", "Linux", false, null).contains("=ALL-UNNAMED"));
        assertNull(CpuRandom.platformReason("amd64", "Linux", true, null));
    }
}
