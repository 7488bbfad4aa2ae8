package dev.reseeddrbg.provider.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A fixed set of DRBG states for one SecureRandom instance, each behind its own lock, so
 * that threads sharing the instance do not queue on one lock (the JDK's DRBG and
 * NativePRNG get slower with two threads than with one for that reason).
 *
 * <p>A thread starts at the stripe its ID picks and takes the first free one; only when
 * every stripe is busy does it wait. The number of states is bounded by the number of
 * stripes (twice the processors, rounded up to a power of two), never by the number of
 * threads: 100,000 short-lived virtual threads share the same few states, and nothing is
 * left behind when a thread ends.
 *
 * <p>Why a hand-written lock and not ReentrantLock: an uncontended ReentrantLock
 * tryLock/unlock pair is a sizeable part of a 32-byte draw, because its unlock is a
 * volatile store (a full fence on x86) so that it can see queued waiters. A stripe lock
 * here is a compare-and-set to take it and a release store to give it back, about half
 * the cost (benchmarks' LockCostBenchmark measures both). Without a queue, unlock cannot
 * wake anyone; a thread that finds every stripe busy (more threads inside a draw than
 * stripes, which needs preempted holders) spins briefly, then yields, then sleeps in
 * short timed parks and tries again. Nobody waits longer than the holder's draw plus
 * one park.
 */
final class StateStripes {
    /** How long a waiter sleeps between attempts once spinning and yielding did not help. */
    private static final long PARK_NANOS = 20_000;
    private static final int SPINS = 64;
    private static final int YIELDS = 64;

    /**
     * The lock words, {@link #STRIDE} ints apart and as far from either end of the array:
     * no lock word shares a cache line (or an adjacent-line prefetch pair) with another
     * one, with the array's header, or with any object next to the array. Why an array and
     * not a padded field in each stripe: the JVM lays out fields as it likes (it may put an
     * int into the 4 bytes after the object header, before any padding fields), so a padded
     * stripe's lock word can share a line with its neighbour in memory. An array's elements
     * stay where they are relative to each other, whatever the garbage collector moves.
     */
    private static final int STRIDE = 32;
    private static final VarHandle LOCK = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle ABANDONED;

    static {
        try {
            ABANDONED = MethodHandles.lookup().findVarHandle(Stripe.class, "abandoned", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * One DRBG state and the slot of its lock word. Immutable apart from {@link #state},
     * which is written once, when the stripe is first used.
     */
    static final class Stripe {
        private final int[] locks;
        private final int slot;
        /** Guarded by the lock word; created at the stripe's first use. */
        DrbgState state;
        /**
         * Set by an owner leaving on an exception when even {@link #unlock()} could not be
         * called (a StackOverflowError at its entry, so its store never ran): the lock word
         * is then still 1, and whichever thread clears this flag by CAS owns the stripe. It is
         * a plain volatile field so that setting it is one putfield, not a method call, and so
         * cannot itself overflow the stack. Read only on the slow path, when every stripe is busy.
         */
        volatile boolean abandoned;

        Stripe(int[] locks, int slot) {
            this.locks = locks;
            this.slot = slot;
        }

        /** Takes the lock word from 0 to 1 by CAS (acquire); reads it first, so a busy stripe costs no write. */
        boolean tryLock() {
            return (int) LOCK.getVolatile(locks, slot) == 0 && LOCK.compareAndSet(locks, slot, 0, 1);
        }

        /**
         * The release store orders every write made to the state under the lock before
         * the store that frees it; the next owner's CAS reads that store and so sees them.
         */
        void unlock() {
            LOCK.setRelease(locks, slot, 0);
        }
    }

    private final Stripe[] stripes;
    private final int mask;
    private final Supplier<DrbgState> newState;

    StateStripes(Supplier<DrbgState> newState) {
        int n = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors() * 2 - 1)) << 1;
        int[] locks = new int[(n + 2) * STRIDE];
        this.stripes = new Stripe[n];
        for (int i = 0; i < n; i++) {
            stripes[i] = new Stripe(locks, (i + 1) * STRIDE);
        }
        this.mask = n - 1;
        this.newState = newState;
    }

    /** The stripe a thread looks at first: the one its draws use while no other thread holds it. */
    int homeOf(long threadId) {
        return (int) threadId & mask;
    }

    /** The number of stripes, and so the most states this instance will hold. */
    int size() {
        return stripes.length;
    }

    /**
     * Locks a stripe for the calling thread and returns it, its state created. Unlock when
     * done, on every path, Errors included (see {@link Stripe#abandoned} for the pattern:
     * unlock in a finally, and if unlock itself overflows the stack, set abandoned).
     * After the CAS that takes a stripe, the common path makes no call before returning,
     * so no StackOverflowError can land between taking the lock and the caller's try.
     */
    Stripe lock() {
        Stripe s = take();
        // From here the caller owns s. Every call below is inside this frame's handler,
        // which gives the stripe back, or marks it abandoned (one putfield, no call) when
        // even the unlock overflows the stack; a call made here outside a handler could
        // overflow at its entry and leave the stripe locked by no one.
        if (s.state == null) {
            try {
                s.state = newState.get();
            } catch (Throwable e) {
                try {
                    s.unlock();
                } catch (StackOverflowError noStack) {
                    s.abandoned = true;
                }
                throw e;
            }
        }
        return s;
    }

    /** Takes a free stripe, the caller's home first, or an abandoned one; waits while none is. */
    private Stripe take() {
        int home = homeOf(Thread.currentThread().threadId());
        for (int attempt = 0; ; attempt++) { // any free stripe will do, so look at all of them
            for (int i = 0; i <= mask; i++) {
                Stripe s = stripes[(home + i) & mask];
                if (s.tryLock()) {
                    return s; // no call after the CAS that took it
                }
            }
            Stripe reclaimed = claimAbandoned();
            if (reclaimed != null) {
                return reclaimed;
            }
            backOff(attempt);
        }
    }

    /** A stripe whose owner left without unlocking (its unlock overflowed the stack), now owned by the caller. */
    private Stripe claimAbandoned() {
        for (Stripe s : stripes) {
            if (s.abandoned && ABANDONED.compareAndSet(s, true, false)) {
                return s;
            }
        }
        return null;
    }

    private static void backOff(int attempt) {
        if (attempt < SPINS) {
            Thread.onSpinWait();
        } else if (attempt < SPINS + YIELDS) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(PARK_NANOS);
        }
    }

    /** Runs {@code action} on every state that exists, each under its lock. */
    void forEachState(boolean create, Consumer<DrbgState> action) {
        for (Stripe s : stripes) {
            for (int attempt = 0; !s.tryLock(); attempt++) { // this one and no other
                if (s.abandoned && ABANDONED.compareAndSet(s, true, false)) {
                    break; // its owner left without unlocking: it is ours now
                }
                backOff(attempt);
            }
            try {
                if (s.state == null && create) {
                    s.state = newState.get();
                }
                if (s.state != null) {
                    action.accept(s.state);
                }
            } finally {
                try {
                    s.unlock();
                } catch (StackOverflowError noStack) {
                    s.abandoned = true;
                    throw noStack;
                }
            }
        }
    }
}
