package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.entropy.CpuRandom;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import java.time.Duration;

/**
 * The instant after a VM restore, JVM-wide: the hypervisor's restore counter has moved,
 * and the guest kernel may not have reseeded its own generator yet.
 *
 * <p>Why it matters: the hypervisor bumps the counter before the restored guest runs, but
 * the kernel reseeds only when it handles the vmgenid notification, tens of milliseconds
 * later under emulation. Until then getrandom(2) gives every clone the same bytes, so a
 * reseed from getrandom alone would seed every clone identically and then pass for safe.
 * While the hazard is open, a seeding must add input that differs between clones at
 * once, the CPU's random number instruction; without it, draws are served from the
 * kernel, as NativePRNG would serve them, and no state is seeded.
 *
 * <p>The hazard opens when a stamp shows restore bits other than those settled, and
 * closes when either comes: the epoch page shows a {@value #KERNEL_RESEEDED_NOTIFIER}
 * bump after the restore (the daemon bumps only after the kernel reseeded: on the
 * kernel's own log record, or after forcing the reseed itself), or
 * reseeddrbg.restoreGrace has passed since the restore was first seen. The restore bits in
 * force when the JVM first drew are settled: a restore before that was the kernel's to
 * handle before this JVM started.
 *
 * <p>Only seeding consults this class, never a draw served from a seeded state.
 */
final class RestoreHazard {
    /** The notifier the daemon bumps once the kernel's generator has diverged between clones. */
    static final String KERNEL_RESEEDED_NOTIFIER = "vm-snapshot";
    private static final long NONE = -1;
    /** The CPU's input to a seeding at a restore: the security strength at its highest, 256 bits. */
    private static final int CPU_INPUT_BYTES = 32;

    /** The restore bits (stamp >>> 32) the kernel is taken to have reseeded for; NONE before the first draw. */
    private static volatile long settled = NONE;
    /** The restore bits being waited out, or NONE. */
    private static volatile long pending = NONE;
    /** Guarded by the class lock: when {@link #pending} was first seen, and the word then. */
    private static long since;
    private static int wordAtRestore;

    private RestoreHazard() {
    }

    /** Takes {@code stamp}'s restore bits as settled, if none are yet. */
    static synchronized void settleFirst(long stamp) {
        if (settled == NONE && stamp != EpochBinding.LOST) {
            settled = stamp >>> 32;
        }
    }

    /**
     * Whether a seeding under {@code stamp} must not rely on getrandom alone. Opens the
     * hazard when {@code stamp} shows a restore not seen before.
     */
    static boolean open(long stamp, EpochBinding binding, Duration grace) {
        if (ignoredForTest) {
            return false;
        }
        long bits = stamp >>> 32;
        if (bits == settled && pending == NONE) {
            return false;
        }
        synchronized (RestoreHazard.class) {
            long now = System.nanoTime();
            if (bits != settled && bits != pending) {
                pending = bits;
                since = now;
                wordAtRestore = (int) stamp;
            }
            if (pending == NONE) {
                return false;
            }
            int word = (int) stamp;
            boolean kernelReseeded = word != wordAtRestore
                    && KERNEL_RESEEDED_NOTIFIER.equals(binding.notifierName(word));
            if (kernelReseeded || now - since >= grace.toNanos()) {
                settled = pending;
                pending = NONE;
                return false;
            }
            return true;
        }
    }

    /**
     * What a seeding under {@code stamp} adds to the kernel's entropy input
     * ({@link Instantiation.Holder#restoreInput}): null while no hazard is open (getrandom
     * alone is clone-unique); the CPU's random bytes while one is; or
     * {@link Instantiation#NO_INPUT} when one is open and the CPU gave nothing, in which
     * case nothing may be seeded.
     */
    static byte[] seedingInput(long stamp, EpochBinding binding, Duration grace, ProviderStats stats) {
        if (stamp == EpochBinding.LOST || !open(stamp, binding, grace)) {
            return null;
        }
        byte[] cpu = new byte[CPU_INPUT_BYTES];
        if (CpuRandom.get().fill(cpu)) {
            stats.cpuInputMixed();
            return cpu;
        }
        return Instantiation.NO_INPUT;
    }

    /** Set only by {@link #ignoreForTest}. */
    private static volatile boolean ignoredForTest;

    /**
     * Test seam, not for production: seedings never see a hazard, so a restore is handled
     * as an ordinary epoch change (getrandom alone), which is what this class prevents;
     * for the clone test's control.
     */
    static void ignoreForTest() {
        ignoredForTest = true;
    }
}
