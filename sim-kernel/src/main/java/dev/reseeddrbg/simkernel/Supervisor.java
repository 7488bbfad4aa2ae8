package dev.reseeddrbg.simkernel;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The daemon runs whole or not at all: a thread of it that dies (a notifier, the accept
 * loop) or a page that is no longer its own makes it stop with a failure, so that it
 * exits non-zero and the service manager restarts it (the unit has
 * {@code Restart=always}). A daemon that answers on its socket while a notifier is gone
 * would look healthy and notify nothing.
 */
public final class Supervisor {
    /** What each of the daemon's threads is, for the log line of its death. */
    private static final Map<String, String> THREADS = Map.of(
            "simkernel-timer", "the timer notifier",
            "simkernel-vmclock", "the VMClock notifier",
            "simkernel-kmsg", "the kernel-log notifier",
            "simkernel-control", "the control socket's accept loop",
            "simkernel-control-client", "a control connection");

    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final Consumer<String> log;

    public Supervisor(Consumer<String> log) {
        this.log = log;
    }

    /** Makes every thread of this JVM that dies of an uncaught throwable fail the daemon. */
    public void watchAllThreads() {
        Thread.setDefaultUncaughtExceptionHandler(this::died);
    }

    private void died(Thread thread, Throwable e) {
        String what = THREADS.getOrDefault(thread.getName(), "thread '" + thread.getName() + "'");
        e.printStackTrace();
        fail(what + " died (" + e + ")");
    }

    /** Stops the daemon with a failure; the first reason is the one kept and logged. */
    public void fail(String why) {
        if (failure.compareAndSet(null, why)) {
            log.accept(why + "; stopping with exit status 1, for the service manager to restart the daemon");
        }
        stop.countDown();
    }

    /** Stops the daemon normally (SIGTERM, Ctrl-C). */
    public void stop() {
        stop.countDown();
    }

    /** Whether a stop was asked for. */
    public boolean stopping() {
        return stop.getCount() == 0;
    }

    /** Waits up to {@code timeout} for a stop; true once one was asked for. */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return stop.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Why the daemon failed, if it did. */
    public Optional<String> failure() {
        return Optional.ofNullable(failure.get());
    }
}
