package dev.reseeddrbg.provider.engine;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A fixed set of DRBG states for one SecureRandom instance, each behind its own lock, so
 * that threads sharing the instance do not queue on one lock (the JDK's DRBG and
 * NativePRNG get slower with two threads than with one for that reason).
 *
 * <p>A thread starts at the stripe its ID picks and takes the first free one; only when
 * every stripe is busy does it wait, on its own. The number of states is bounded by the
 * number of stripes (twice the processors, rounded up to a power of two), never by the
 * number of threads: 100,000 short-lived virtual threads share the same few states, and
 * nothing is left behind when a thread ends.
 */
final class StateStripes {
    /**
     * A lock with the state it guards; extending the lock saves one indirection per draw.
     * The padding keeps neighbouring stripes' lock words (in the lock's Sync object,
     * allocated right after each Stripe) on different cache lines: without it two threads
     * on two stripes still bounce one line between their cores on every draw.
     */
    @SuppressWarnings("unused")
    static final class Stripe extends ReentrantLock {
        private static final long serialVersionUID = 1L;
        /** Guarded by this lock; created at the stripe's first use. */
        transient DrbgState state;
        private long p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15;
    }

    private final Stripe[] stripes;
    private final int mask;
    private final Supplier<DrbgState> newState;

    StateStripes(Supplier<DrbgState> newState) {
        int n = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors() * 2 - 1)) << 1;
        this.stripes = new Stripe[n];
        for (int i = 0; i < n; i++) {
            stripes[i] = new Stripe();
        }
        this.mask = n - 1;
        this.newState = newState;
    }

    /** Locks a stripe for the calling thread and returns it, its state created. Unlock when done. */
    Stripe lock() {
        int home = (int) Thread.currentThread().threadId() & mask;
        for (int i = 0; i <= mask; i++) {
            Stripe s = stripes[(home + i) & mask];
            if (s.tryLock()) {
                return withState(s);
            }
        }
        Stripe s = stripes[home];
        s.lock();
        return withState(s);
    }

    private Stripe withState(Stripe s) {
        if (s.state == null) {
            try {
                s.state = newState.get();
            } catch (RuntimeException | Error e) {
                s.unlock();
                throw e;
            }
        }
        return s;
    }

    /** Runs {@code action} on every state that exists, each under its lock. */
    void forEachState(boolean create, Consumer<DrbgState> action) {
        for (Stripe s : stripes) {
            s.lock();
            try {
                if (s.state == null && create) {
                    s.state = newState.get();
                }
                if (s.state != null) {
                    action.accept(s.state);
                }
            } finally {
                s.unlock();
            }
        }
    }
}
