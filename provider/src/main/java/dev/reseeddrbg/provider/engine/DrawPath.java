package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.entropy.CpuRandom;
import dev.reseeddrbg.provider.entropy.KernelEntropy;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import dev.reseeddrbg.provider.epoch.VmClockWatch;

/**
 * Readies, once per JVM and on a shallow stack, what a draw would otherwise set up the
 * first time it runs, on whatever stack its caller has.
 *
 * <p>Why: a draw may run on a nearly exhausted stack (an application that catches a
 * StackOverflowError and draws again, deeper than before). Most of what can fail there
 * fails once and is tried again by the next draw, which is safe: the state is dropped
 * first (DrbgState's ordering rule). Two things the JVM never tries again: a class whose
 * static initializer threw (every later use is NoClassDefFoundError) and an
 * invokedynamic site whose bootstrap threw (every later run is the same
 * BootstrapMethodError). One such failure would leave every draw of the JVM failing.
 * So the provider compiles string concatenation without invokedynamic, uses no lambda
 * on the draw path, and initialises here, from the SPI's constructor, the classes with
 * static state that a draw touches.
 *
 * <p>No cryptography runs here: an instance is built while the JDK initialises its own
 * crypto classes. The one kernel call is a one-byte getrandom(2), which also links its
 * downcall.
 */
final class DrawPath {
    /** Set once everything is ready; read and written under the class lock only. */
    private static boolean ready;

    private DrawPath() {
    }

    /** Readies the draw path for {@code binding}'s kind of page; cheap after the first call. */
    static synchronized void prepare(EpochBinding binding) {
        if (ready) {
            return;
        }
        // Initialises EpochBinding's and VmClockWatch's constant-address holders, and takes
        // the restore counter in force now as one the kernel has already reseeded for.
        RestoreHazard.settleFirst(binding.load());
        KernelEntropy.instance().fill(new byte[1]);
        if (VmClockWatch.watched()) {
            // Probing the CPU's instruction links a few downcalls (tens to hundreds of ms), so
            // it is done now, off the caller's thread, rather than at a restore's first seeding;
            // a seeding that comes sooner waits for it. Without VMClock no restore hazard opens.
            Thread.ofPlatform().daemon().name("reseeddrbg-cpu-probe").start(new CpuProbe());
        }
        for (Class<?> c : new Class<?>[] {ReseedEvent.class, KnownAnswerSelfTest.class, OutputBuffer.class,
                ReseedCause.class, ProviderStats.class, DrbgState.class, Instantiation.class, StateStripes.class,
                RestoreHazard.class}) {
            initialise(c);
        }
        ready = true;
    }

    /** Probes the CPU's random instruction; a class rather than a lambda, like everything here. */
    private static final class CpuProbe implements Runnable {
        @Override
        public void run() {
            CpuRandom.get();
        }
    }

    private static void initialise(Class<?> c) {
        try {
            Class.forName(c.getName(), true, c.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(c.getName() + " is loaded yet cannot be found by name", e);
        }
    }
}
