package dev.reseeddrbg.simkernel;

import dev.reseeddrbg.page.EpochPage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * {@code simkernel run}: the daemon that owns one epoch page. It owns the page
 * ({@link KernelPage#own}), publishes the control socket, runs the timer, kernel-log and
 * VMClock notifiers, and checks every {@link #PAGE_CHECK_INTERVAL} that the file at the
 * page's path is still the page it notifies, until SIGTERM, Ctrl-C or a failure.
 *
 * <p>Order and failure policy:
 * <ul>
 * <li>A notifier whose source this machine lacks (no device, not readable) is logged once
 *     and left out; the daemon runs with the others.</li>
 * <li>A notifier thread that dies, or a page replaced or removed under the daemon, is a
 *     failure ({@link Supervisor}): the socket is removed first, so clients do not take a
 *     failed daemon for a running one, the notifiers are stopped, and the daemon exits 1.
 *     Notifiers that do not stop within {@link #FAILURE_HALT_AFTER} are cut short by a halt.</li>
 * <li>SIGTERM and Ctrl-C run the shutdown hook, which removes the socket before anything
 *     else (a notifier that fails to stop cannot keep it), then waits at most 5 s for the
 *     main thread to stop the notifiers. The page is always left in place.</li>
 * </ul>
 */
public final class SimKernelDaemon {
    /** How often the daemon checks that the file at the page's path is still the page it notifies. */
    public static final Duration PAGE_CHECK_INTERVAL = Duration.ofSeconds(1);
    /** How long a failing daemon gives its notifiers to stop before it halts. */
    public static final Duration FAILURE_HALT_AFTER = Duration.ofSeconds(10);
    /** Exit code after a failure. */
    public static final int EXIT_FAILURE = 1;
    /** How often the VMClock page is read where the device does not notify. */
    static final Duration VMCLOCK_PERIOD = Duration.ofMillis(10);

    /** What {@code simkernel run} was asked to do. */
    public record Options(Path page, Duration timer, Path vmclock, Path kmsg, boolean kmsgOff) {
    }

    private SimKernelDaemon() {
    }

    /**
     * Runs the daemon until it is stopped; returns the exit code (0 when stopped, 1 after a
     * failure). Throws when it cannot start (the page or socket cannot be had).
     */
    public static int run(Options options, Consumer<String> log) throws IOException, InterruptedException {
        Supervisor supervisor = new Supervisor(log);
        supervisor.watchAllThreads();
        AtomicReference<ControlSocket> published = new AtomicReference<>();
        CountDownLatch finished = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            supervisor.stop();
            ControlSocket socket = published.get();
            if (socket != null) {
                socket.unpublish();
            }
            try {
                finished.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "simkernel-shutdown"));
        try (KernelPage kernel = KernelPage.own(options.page())) {
            EpochPage p = kernel.page();
            try (ControlSocket socket = ControlSocket.start(kernel, log)) {
                published.set(socket);
                if (supervisor.stopping()) {
                    socket.unpublish(); // the hook ran before the socket was there to remove
                }
                log.accept("running on " + options.page() + " (" + (kernel.created() ? "created" : "existing page kept")
                        + "), word " + p.describe(p.loadWord()) + ", timer every " + Durations.format(options.timer()));
                VmGenerationSources.probe().forEach(f -> log.accept("vm-gen " + f));
                runNotifiers(options, kernel, log, socket, supervisor);
            }
            if (supervisor.failure().isPresent()) {
                log.accept("stopped after a failure; the page is left in place");
                return EXIT_FAILURE;
            }
            log.accept("stopped; page left in place with word " + p.describe(p.loadWord()));
        } finally {
            finished.countDown();
        }
        return 0;
    }

    private static void runNotifiers(Options options, KernelPage kernel, Consumer<String> log, ControlSocket socket,
                                     Supervisor supervisor) throws InterruptedException {
        EpochPage p = kernel.page();
        Notifier vmSnapshot = kernel.notifier("vm-snapshot");
        Path kmsg = options.kmsg();
        Path vmclock = options.vmclock();
        try (TimerNotifier _ = TimerNotifier.start(kernel.notifier("timer"), options.timer(),
                word -> log.accept("notify " + p.describe(word) + " (timer)"));
             OptionalNotifier _ = options.kmsgOff() ? OptionalNotifier.off("kernel-log", "--no-kmsg", log)
                     : OptionalNotifier.start("kernel-log", log, () -> KernelLogNotifier.start(kmsg, vmSnapshot, log,
                             KernelLogNotifier.cursorFor(options.page())));
             OptionalNotifier _ = !Files.exists(vmclock) ? OptionalNotifier.off("vmclock", vmclock + " does not exist",
                     log) : OptionalNotifier.start("vmclock", log, () -> VmClockNotifier.start(vmclock, vmSnapshot,
                             VMCLOCK_PERIOD, KernelReseed::forceKernelReseed, log))) {
            log.accept("control socket " + socket.path());
            while (!supervisor.awaitStop(PAGE_CHECK_INTERVAL)) {
                String changed = kernel.changedSinceMapped();
                if (changed != null) {
                    supervisor.fail("epoch page " + options.page() + " " + changed + ": readers follow the path, so "
                            + "this daemon would notify a page no new reader maps");
                }
            }
            if (supervisor.failure().isPresent()) {
                socket.unpublish(); // clients must not take a failed daemon for a running one
                haltIfStillRunningAfter(FAILURE_HALT_AFTER, log);
            }
        }
    }

    /** A watchdog: notifiers that do not stop in time after a failure must not keep a failed daemon alive. */
    private static void haltIfStillRunningAfter(Duration limit, Consumer<String> log) {
        Thread.ofPlatform().daemon().name("simkernel-halt").start(() -> {
            try {
                Thread.sleep(limit);
                log.accept("notifiers did not stop within " + limit.toSeconds() + " s; halting");
                Runtime.getRuntime().halt(EXIT_FAILURE);
            } catch (InterruptedException e) {
                // not reached: nothing interrupts this thread
            }
        });
    }

    /** A notifier that runs where its source works; where not, the reason is logged once and the daemon goes on. */
    private record OptionalNotifier(NotifierThread notifier) implements NotifierThread {
        interface Starter {
            NotifierThread start() throws IOException;
        }

        static OptionalNotifier start(String source, Consumer<String> log, Starter starter) {
            try {
                NotifierThread started = starter.start();
                log.accept(source + " notifier " + started.describe());
                return new OptionalNotifier(started);
            } catch (IOException e) {
                log.accept(source + " notifier not used: " + e.getMessage());
                return new OptionalNotifier(null);
            }
        }

        static OptionalNotifier off(String source, String why, Consumer<String> log) {
            log.accept(source + " notifier off (" + why + ")");
            return new OptionalNotifier(null);
        }

        @Override
        public String describe() {
            return notifier == null ? "off" : notifier.describe();
        }

        @Override
        public void close() {
            if (notifier != null) {
                notifier.close();
            }
        }
    }
}
