package dev.reseeddrbg.provider.entropy;

/**
 * A check that a call chain of some depth still fits on this thread's stack, made before
 * the provider calls into code that is not safe against a StackOverflowError.
 *
 * <p>Why: a draw runs on any caller's stack, possibly nearly exhausted (an application that
 * catches a StackOverflowError and draws again). The provider's own state survives an
 * overflow anywhere (it is dropped first), but some of the JDK's does not: an overflow
 * inside a lazily run static initializer (the JCA's provider loader, for one) leaves that
 * class unusable for the JVM's life, and one inside a lock's critical section can leave
 * the lock held. So before a seeding or a new state, which run the JDK's crypto, entropy
 * and provider-lookup paths, this recurses {@value #FRAMES} frames of its own and returns:
 * a stack too short overflows here, in frames that touch nothing shared, and the draw's
 * state is already dropped. Only seedings and new states pay for it, never a draw served
 * from a seeded state.
 */
public final class StackHeadroom {
    /** Several times the deepest JDK call chain a seeding runs, interpreted or compiled. */
    static final int FRAMES = 1024;

    private StackHeadroom() {
    }

    /** Throws StackOverflowError, from frames of its own, unless {@value #FRAMES} more calls fit. */
    public static void require() {
        descend(FRAMES);
    }

    private static int descend(int frames) {
        return frames == 0 ? 0 : 1 + descend(frames - 1);
    }
}
