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
 * <p>Why: across forks this VM's noise (JIT outcomes, neighbours; fork means of one variant
 * spread 62-83 ns on 2026-11-28) is ten times the 1% being measured. Within one fork both
 * instances run the same compiled code at nearly the same time, so the difference between
 * neighbouring iterations is the two loads of the word, not the fork. The price: the
 * binding call is bimorphic here, in both variants alike, where a real process has one
 * binding class. {@link CheckCostBenchmark} keeps the monomorphic, one-variant-per-fork view.
 *
 * <p>What it measured on 2026-11-28, median over rounds or forks (range or interval):
 * <ul>
 * <li>Up to 8c43d36: on/off 1.014 and 1.017 ({@code benchmarks/run targets}, 10 rounds each),
 *     1.013 and, re-run in the same hour as the line below, 1.015 (20 rounds of
 *     {@code targets 20 check}). The controls then: {@code -p offWord=page} (both instances
 *     check the page, an A/A run) 0.994 (0.986 to 1.017), {@code -p offWord=heap} (an
 *     acquire load of a heap field instead of the page) 1.007 (0.982 to 1.034), 12 forks each.</li>
 * <li>From 8410c49, where the stripe lock words moved into one padded array: on/off 0.993
 *     (0.982 to 1.005, 16 rounds) and 0.997 (0.987 to 1.010, 20 rounds); controls 0.997
 *     (page) and 0.995 (heap), 12 forks each. The check is no longer distinguishable from
 *     the method's zero.</li>
 * </ul>
 * Between 8c43d36 and 8410c49 the check's own code did not change; the lock around it did. So
 * this measure moves by 1 to 2% with the shape of the compiled draw around the check (a
 * throwaway variant that only tested a static flag moved it by 2%), and a single run near
 * 1% decides little.
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
