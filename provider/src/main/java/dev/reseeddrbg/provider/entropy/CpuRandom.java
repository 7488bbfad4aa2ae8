package dev.reseeddrbg.provider.entropy;

import java.util.Arrays;
import java.util.Locale;

/**
 * The CPU's random-number instruction (x86-64 RDSEED, else RDRAND), for input that differs
 * between two clones of one VM snapshot at the instant a restore is detected: the restored
 * guest kernel has not reseeded yet, so {@code getrandom(2)} gives both clones the same
 * bytes, while each CPU's generator runs on its own. Linux mixes the same instructions
 * into its pool for the same reason. This is extra input mixed into a reseed, never the
 * only one.
 *
 * <p>Each 64-bit word comes from RDSEED, retried up to {@value #RDSEED_TRIES} times with a
 * spin-wait hint between tries (RDSEED runs dry under load; Linux tries it once per word
 * before falling back), then from RDRAND, tried up to {@value #RDRAND_TRIES} times (Linux's
 * {@code RDRAND_RETRY_LOOPS}). Which instructions exist is asked of CPUID, never of
 * {@code /proc/cpuinfo}; see {@link X86RngStubs} for the code and why it is mapped rather
 * than shipped as a shared library. aarch64's RNDRRS/RNDR is not implemented (it could not
 * be tested here): there, as on every other architecture, the source is unavailable.
 *
 * <p>Health tests, on every word handed out: the instruction's carry flag; all-zero and
 * all-ones words are refused (a known AMD failure returns -1 with the carry set); a
 * repetition count test with cutoff 2 (SP 800-90B 4.4.1 for a 64-bit word of near full
 * entropy: two identical consecutive words fail), across calls too. At probe time a
 * start-up test draws {@value #STARTUP_WORDS} words, which must pass the same tests and
 * be pairwise distinct, and discards them. Across calls only a SHA-256 fingerprint of the
 * last word is kept, never the word.
 *
 * <p>Failure policy: {@link #fill} never throws and never returns part of an output as a
 * success. A transient exhaustion (carry still clear after both instructions' tries)
 * zeroes the output and returns false for that call only. A health-test failure (at
 * start-up or later) zeroes the output, disables the source for the JVM's life and is
 * logged once at WARNING on {@code System.getLogger("dev.reseeddrbg")}; afterwards
 * {@link #instruction()} is null and {@link #unavailableReason()} says what failed.
 */
public final class CpuRandom {
    static final int RDSEED_TRIES = 10;
    static final int RDRAND_TRIES = 10;
    static final int STARTUP_WORDS = 16;

    /** One execution of RDSEED or RDRAND: the carry flag, with the word in {@code word[0]} when it is set. */
    @FunctionalInterface
    interface Step {
        boolean execute(long[] word);
    }

    private static final class Jvm {
        static final CpuRandom INSTANCE = probe();
    }

    private final Step rdseed;
    private final Step rdrand;
    private final WordHealth health = new WordHealth();
    private final long[] word = new long[1];
    /** Null while the source is usable; written once, under the lock. */
    private volatile String unavailable;

    private CpuRandom(Step rdseed, Step rdrand, String unavailable) {
        this.rdseed = rdseed;
        this.rdrand = rdrand;
        this.unavailable = unavailable;
    }

    /** The JVM-wide instance, probed (CPUID, stub, start-up test) on first use. */
    public static CpuRandom get() {
        CpuRandom replaced = replacedForTest;
        return replaced != null ? replaced : Jvm.INSTANCE;
    }

    /** Set only by {@link #disableForTest}. */
    private static volatile CpuRandom replacedForTest;

    /**
     * Test seam, not for production: from now on {@link #get} returns a source that is
     * unavailable for {@code reason}, as on a CPU without the instruction.
     */
    public static void disableForTest(String reason) {
        replacedForTest = new CpuRandom(null, null, reason);
    }

    /** "RDSEED" or "RDRAND", the instruction tried first; null when the source is unavailable. */
    public String instruction() {
        if (unavailable != null) {
            return null;
        }
        return rdseed != null ? "RDSEED" : "RDRAND";
    }

    /** Null when the source is usable, else why not (platform, native access, CPUID, health test). */
    public String unavailableReason() {
        return unavailable;
    }

    /**
     * Fills all of {@code out} with instruction output and returns true; or zeroes
     * {@code out} and returns false when the source is unavailable, stays exhausted past
     * its tries, or fails a health test (see the class comment). Never throws for those.
     */
    public synchronized boolean fill(byte[] out) {
        if (unavailable == null) {
            try {
                if (draw(out)) {
                    return true;
                }
            } catch (RuntimeException e) {
                disable("the instruction's downcall failed: " + e.getMessage());
            }
        }
        Arrays.fill(out, (byte) 0);
        return false;
    }

    /** Words into {@code out}, little-endian; false on exhaustion, or on a health failure, which disables. */
    private boolean draw(byte[] out) {
        int done = 0;
        try {
            while (done < out.length) {
                String source = next();
                if (source == null) {
                    return false;
                }
                long w = word[0];
                word[0] = 0;
                String failure = health.test(w);
                if (failure != null) {
                    disable("health test failed: " + source + " " + failure);
                    return false;
                }
                for (int i = 0; i < Long.BYTES && done < out.length; i++, done++) {
                    out[done] = (byte) (w >>> (8 * i));
                }
            }
            return true;
        } finally {
            health.endCall();
        }
    }

    /** One word into {@link #word}: the name of the instruction that gave it, or null when both stayed dry. */
    private String next() {
        if (tries(rdseed, RDSEED_TRIES)) {
            return "RDSEED";
        }
        return tries(rdrand, RDRAND_TRIES) ? "RDRAND" : null;
    }

    private boolean tries(Step step, int tries) {
        if (step == null) {
            return false;
        }
        for (int i = 0; i < tries; i++) {
            if (step.execute(word)) {
                return true;
            }
            Thread.onSpinWait();
        }
        word[0] = 0;
        return false;
    }

    private String triesDescription() {
        String seed = rdseed != null ? RDSEED_TRIES + " RDSEED tries" : null;
        String rand = rdrand != null ? RDRAND_TRIES + " RDRAND tries" : null;
        return seed == null ? rand : rand == null ? seed : seed + " and " + rand;
    }

    private void disable(String reason) {
        if (unavailable == null) {
            unavailable = reason + "; the CPU's random-number instruction is disabled for this JVM's life";
            System.getLogger("dev.reseeddrbg").log(System.Logger.Level.WARNING,
                    "ReseedDRBG: " + unavailable);
        }
    }

    /** The start-up test: {@value #STARTUP_WORDS} words through the health tests, pairwise distinct. */
    private void startUp() {
        long[] words = new long[STARTUP_WORDS];
        byte[] one = new byte[Long.BYTES];
        for (int i = 0; i < STARTUP_WORDS && unavailable == null; i++) {
            if (!fill(one)) {
                disable("start-up test failed: no word after " + triesDescription());
            }
            for (int b = 0; b < Long.BYTES; b++) {
                words[i] |= (one[b] & 0xffL) << (8 * b);
            }
        }
        Arrays.fill(one, (byte) 0);
        if (unavailable == null && Arrays.stream(words).distinct().count() != STARTUP_WORDS) {
            disable("start-up test failed: " + STARTUP_WORDS + " words were not pairwise distinct");
        }
        Arrays.fill(words, 0);
    }

    /** A source over the given steps (either may be null), after the start-up test, as {@link #get()} builds it. */
    static CpuRandom startedForTest(Step rdseed, Step rdrand) {
        return started(rdseed, rdrand);
    }

    private static CpuRandom started(Step rdseed, Step rdrand) {
        CpuRandom cpu = new CpuRandom(rdseed, rdrand, null);
        cpu.startUp();
        return cpu;
    }

    private static CpuRandom probe() {
        String reason = platformReason(System.getProperty("os.arch"), System.getProperty("os.name"),
                CpuRandom.class.getModule().isNativeAccessEnabled(), CpuRandom.class.getModule().getName());
        if (reason != null) {
            return new CpuRandom(null, null, reason);
        }
        try {
            X86RngStubs stubs = X86RngStubs.map();
            Step rdseed = stubs.rdseed();
            Step rdrand = stubs.rdrand();
            if (rdseed == null && rdrand == null) {
                return new CpuRandom(null, null, "CPUID reports neither RDSEED nor RDRAND on this CPU");
            }
            return started(rdseed, rdrand);
        } catch (RuntimeException e) {
            return new CpuRandom(null, null, "the instruction stub could not be set up: " + e.getMessage());
        }
    }

    /** Why this platform cannot run the instruction, or null when it can be probed. */
    static String platformReason(String osArch, String osName, boolean nativeAccess, String module) {
        String arch = osArch.toLowerCase(Locale.ROOT);
        if (arch.equals("aarch64")) {
            return "aarch64 RNDR not implemented (only x86-64 RDSEED/RDRAND are)";
        }
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            return "no CPU random-number instruction is implemented for os.arch " + osArch
                    + " (only x86-64 RDSEED/RDRAND are)";
        }
        if (!osName.equals("Linux")) {
            return "the instruction stub is mapped with Linux's mmap(2) and mprotect(2); os.name is " + osName;
        }
        if (!nativeAccess) {
            return "native access is not enabled for " + (module != null ? "module " + module : "the class path")
                    + "; run java with --enable-native-access=" + (module != null ? module : "ALL-UNNAMED");
        }
        return null;
    }
}
