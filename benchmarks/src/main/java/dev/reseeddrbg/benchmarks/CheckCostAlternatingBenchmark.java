package dev.reseeddrbg.benchmarks;

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The page check's cost inside one JVM: successive iterations alternate between two
 * instances of the identical engine, one bound to the real page and one to a binding
 * whose word is a constant (as in {@link CheckCostBenchmark}), so every other iteration is
 * "on" and the ones between are "off".
 *
 * <p>Why: across forks the noise of a shared VM (JIT outcomes, neighbours) is many times
 * the 1% being measured. Within one fork both instances run the same compiled code at
 * nearly the same time, so the difference between neighbouring iterations is the two
 * loads of the word, not the fork. The price: the binding's load is bimorphic here (the
 * real page and the seam's constant word), in both variants alike, where a real process
 * has one kind of binding. {@link CheckCostBenchmark} keeps the one-variant-per-fork view.
 *
 * <p>Controls, to see the method's own bias: {@code -p offWord=page} (both instances check
 * the page: an A/A run, whose ratio should be 1) and {@code -p offWord=heap} (an acquire
 * load of a heap field in place of the page). The measure moves by 1 to 2% with the shape
 * of the compiled draw around the check, so a single run near 1% decides little; the
 * verdict comes from many rounds ({@code benchmarks/run targets}, {@code TargetRounds}).
 *
 * <p>Which variant an iteration ran is reported by the per-iteration counters
 * {@code drawsOn} and {@code drawsOff}; {@code TargetRounds} pairs them up.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 40, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CheckCostAlternatingBenchmark {

    /** Both instances, and which one this iteration draws from. */
    @State(Scope.Thread)
    public static class Pair {
        /** Which instance is built (and so allocated) first. */
        @Param({"on", "off"})
        public String first;
        /**
         * What the "off" instance reads: "constant" (the check off); or, as controls of the
         * method, "page" (an A/A run: both instances check the real page) or "heap" (an
         * acquire load of a heap field instead of the page).
         */
        @Param({"constant"})
        public String offWord;
        SecureRandom on;
        SecureRandom off;
        boolean checked;
        final byte[] out = new byte[32];

        @Setup(Level.Trial)
        public void setup() throws Exception {
            if (first.equals("on")) {
                on = CheckCostBenchmark.bound(true);
                off = CheckCostBenchmark.bound(offWord);
            } else {
                off = CheckCostBenchmark.bound(offWord);
                on = CheckCostBenchmark.bound(true);
            }
            on.nextBytes(out);
            off.nextBytes(out);
        }

        @Setup(Level.Iteration)
        public void flip() {
            checked = !checked;
        }
    }

    /** Draws per variant in this iteration: exactly one of the two is non-zero. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Draws {
        public long drawsOn;
        public long drawsOff;

        @Setup(Level.Iteration)
        public void clear() {
            drawsOn = 0;
            drawsOff = 0;
        }
    }

    /** One call site for both instances, so both run the very same compiled code. */
    @Benchmark
    public byte[] nextBytes32(Pair pair, Draws draws) {
        boolean checked = pair.checked;
        (checked ? pair.on : pair.off).nextBytes(pair.out);
        if (checked) {
            draws.drawsOn++;
        } else {
            draws.drawsOff++;
        }
        return pair.out;
    }
}
