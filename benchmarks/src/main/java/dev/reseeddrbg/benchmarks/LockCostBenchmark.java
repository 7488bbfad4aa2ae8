package dev.reseeddrbg.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Why the provider's stripe lock is hand-written (see StateStripes): one uncontended
 * take-and-release of a ReentrantLock against the stripe lock's pattern, a CAS to take
 * and a release store to give back, around the same one-field critical section. Not in
 * benchmarks/run; run it alone:
 * {@code java -jar benchmarks/target/benchmarks.jar LockCostBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Thread)
public class LockCostBenchmark {
    private static final VarHandle HELD;

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(LockCostBenchmark.class, "held", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private volatile int held;
    private int guarded;

    @Benchmark
    public int reentrantLock() {
        if (!lock.tryLock()) {
            return -1;
        }
        try {
            return ++guarded;
        } finally {
            lock.unlock();
        }
    }

    @Benchmark
    public int casThenReleaseStore() {
        if (!HELD.compareAndSet(this, 0, 1)) {
            return -1;
        }
        try {
            return ++guarded;
        } finally {
            HELD.setRelease(this, 0);
        }
    }
}
