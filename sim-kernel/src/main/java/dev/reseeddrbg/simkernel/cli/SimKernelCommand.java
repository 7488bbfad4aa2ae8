package dev.reseeddrbg.simkernel.cli;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.EpochWord;
import dev.reseeddrbg.page.PageTrust;
import dev.reseeddrbg.simkernel.ControlSocket;
import dev.reseeddrbg.simkernel.DaemonNotify;
import dev.reseeddrbg.simkernel.KernelPage;
import dev.reseeddrbg.simkernel.Notifier;
import dev.reseeddrbg.simkernel.SimKernelDaemon;
import dev.reseeddrbg.simkernel.VmGenerationSources;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code simkernel}: operate a simulated kernel's epoch page.
 *
 * <p>Every failure is one line on stderr, starting with {@code simkernel:}, that names
 * the problem and what to do, and a non-zero exit: 1 for a page or I/O problem, 2 for a
 * usage error.
 */
@Command(name = "simkernel", mixinStandardHelpOptions = true, version = "simkernel 0.1 (epoch page ABI v1)",
        description = "Simulated kernel side of reseed notifications: owns the epoch page and runs its notifiers.",
        subcommands = {SimKernelCommand.Init.class, SimKernelCommand.Notify.class, SimKernelCommand.Status.class,
                SimKernelCommand.Run.class, SimKernelCommand.Watch.class})
public final class SimKernelCommand {

    /** Exit code for a page, file or notifier problem. */
    static final int EXIT_FAILURE = SimKernelDaemon.EXIT_FAILURE;

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams; returns the exit code. Tests call this directly too. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new SimKernelCommand());
        cli.setOut(out);
        cli.setErr(err);
        cli.registerConverter(Duration.class, DurationConverter::parse);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("simkernel: " + message(e));
            return EXIT_FAILURE;
        });
        cli.setParameterExceptionHandler((e, args1) -> {
            e.getCommandLine().getErr().println("simkernel: " + e.getMessage()
                    + " (see 'simkernel " + e.getCommandLine().getCommandName() + " --help')");
            return CommandLine.ExitCode.USAGE;
        });
        return cli.execute(args);
    }

    /** An error's one line; a file system error without its own wording still names its file. */
    static String message(Exception e) {
        if (e instanceof java.nio.file.FileSystemException f && (f.getMessage() == null || f.getReason() == null)) {
            return f.getFile() + ": " + e.getClass().getSimpleName().replace("Exception", "").replaceAll(
                    "([a-z])([A-Z])", "$1 $2").toLowerCase();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    static String registry(EpochPage page) {
        Map<Integer, String> all = page.notifiers();
        return all.entrySet().stream().map(e -> e.getValue() + "(" + e.getKey() + ")")
                .collect(Collectors.joining(" "));
    }

    /** The {@code --page} option every subcommand takes. */
    static final class PageOption {
        @Option(names = "--page", required = true, paramLabel = "PATH", description = "The epoch page file.")
        Path path;
    }

    /** The {@code --timeout} option of the daemon's clients. */
    static final class TimeoutOption {
        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
                description = "How long to wait for the daemon to accept the connection, and again for its answer "
                        + "(default: ${DEFAULT-VALUE}).")
        Duration timeout;
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create the page (mode 0644) and register the standard notifiers; an existing valid page keeps its word.")
    static final class Init implements Callable<Integer> {
        @CommandLine.Mixin
        PageOption page;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            // The owner's rules of 'run' (KernelPage.own): a page in a directory others
            // can write, or another user's page, is one no reader would trust; it is not made
            // or adopted.
            try (KernelPage kernel = KernelPage.own(page.path)) {
                EpochPage p = kernel.page();
                spec.commandLine().getOut().printf("%s %s: word %s; notifiers: %s%n",
                        kernel.created() ? "created" : "kept", page.path, p.describe(p.loadWord()), registry(p));
            }
            return 0;
        }
    }

    @Command(name = "notify", mixinStandardHelpOptions = true,
            description = "Fire NOTIFIER once (bump the epoch, write its ID) and print the new word.")
    static final class Notify implements Callable<Integer> {
        @CommandLine.Mixin
        PageOption page;
        @Parameters(paramLabel = "NOTIFIER", description = "A registered notifier name, e.g. vm-snapshot, timer, manual.")
        String notifier;
        @Option(names = "--via-daemon", description = "Ask the running 'simkernel run' through its control socket "
                + "(PATH.sock) instead of writing the page; for processes that may not write the page. Only for a "
                + "page this process would read (root's or its own, in a directory no one else can write), and the "
                + "answer counts only from a daemon running as root or as the page's owner whose bump the page shows.")
        boolean viaDaemon;
        @CommandLine.Mixin
        TimeoutOption timeout;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (viaDaemon) {
                // The page is checked with the readers' rules first (DaemonNotify): an answer
                // about a page no reader trusts is worth nothing.
                spec.commandLine().getOut().println(DaemonNotify.notify(page.path, notifier, timeout.timeout));
                return 0;
            }
            // Writing a page whose directory others can write could write whatever they put
            // at the path; the directory is checked first, as 'run' checks it.
            PageTrust.requireTrustedDirectory(page.path, PageTrust.currentUid());
            try (KernelPage kernel = KernelPage.open(page.path)) {
                Notifier n = kernel.notifier(notifier);
                spec.commandLine().getOut().println(kernel.page().describe(n.fire()));
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Print the word, decoded, the notifier "
            + "registry, and whether the daemon answers on its control socket (exit 1 when a socket is there but no "
            + "trusted daemon answers on it in time).")
    static final class Status implements Callable<Integer> {
        @CommandLine.Mixin
        PageOption page;
        @CommandLine.Mixin
        TimeoutOption timeout;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (KernelPage kernel = KernelPage.open(page.path)) {
                EpochPage p = kernel.page();
                PrintWriter out = spec.commandLine().getOut();
                out.println("page      " + page.path);
                out.println("word      " + p.describe(p.loadWord()));
                out.println("notifiers " + registry(p));
                for (VmGenerationSources.Finding f : VmGenerationSources.probe()) {
                    out.println("vm-gen    " + f);
                }
                Path socket = ControlSocket.pathFor(page.path);
                if (!java.nio.file.Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    out.println("daemon    none (no control socket " + socket + ")");
                    return 0;
                }
                try {
                    String answer = ControlSocket.request(page.path, "status", timeout.timeout);
                    out.println("daemon    answers on " + socket + ": " + answer);
                } catch (java.io.IOException e) {
                    out.println("daemon    not answering on " + socket);
                    throw e;
                }
            }
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Own the page (creating it if needed, never replacing it): run the timer notifier, the "
                    + "control socket PATH.sock, the kernel-log notifier (the vmgenid driver's VM-fork record in "
                    + "/dev/kmsg) and the VMClock notifier where /dev/vmclock0 exists, until SIGTERM or Ctrl-C.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Mixin
        PageOption page;
        @Option(names = "--timer", paramLabel = "DURATION", defaultValue = "60s",
                description = "Timer notifier period, e.g. 500ms, 10s, 5m (default: ${DEFAULT-VALUE}, as the Linux CRNG reseed interval).")
        Duration timer;
        @Option(names = "--vmclock", paramLabel = "DEVICE", defaultValue = "/dev/vmclock0",
                description = "VMClock page to watch for VM restores when it exists (default: ${DEFAULT-VALUE}).")
        Path vmclock;
        @Option(names = "--kmsg", paramLabel = "DEVICE", defaultValue = "/dev/kmsg",
                description = "Kernel log to watch for the vmgenid driver's VM-fork record (default: ${DEFAULT-VALUE}).")
        Path kmsg;
        @Option(names = "--no-kmsg", description = "Do not watch the kernel log (restores then reach the page only "
                + "through VMClock, the timer or a manual notification).")
        boolean noKmsg;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            return SimKernelDaemon.run(new SimKernelDaemon.Options(page.path, timer, vmclock, kmsg, noKmsg), line -> {
                synchronized (out) {
                    out.println(Instant.now() + " " + line);
                }
            });
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = "Print each change of the word as it happens: time, notifier, epoch. Reads the page read-only.")
    static final class Watch implements Callable<Integer> {
        @CommandLine.Mixin
        PageOption page;
        @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1ms",
                description = "How often to look (default: ${DEFAULT-VALUE}).")
        Duration interval;
        @Option(names = "--count", paramLabel = "N", defaultValue = "0",
                description = "Stop after N changes (default: run until stopped).")
        long count;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                EpochPage p = dev.reseeddrbg.page.PageFile.mapReadOnly(page.path, arena);
                int last = p.loadWord();
                out.printf("%s watching %s, word %s%n", Instant.now(), page.path, p.describe(last));
                for (long seen = 0; count == 0 || seen < count; ) {
                    Thread.sleep(interval);
                    int now = p.loadWord();
                    if (now != last) {
                        int missed = (EpochWord.epoch(now) - EpochWord.epoch(last) - 1) & EpochWord.EPOCH_MASK;
                        out.printf("%s %s%s%n", Instant.now(), p.describe(now),
                                missed > 0 ? " (" + missed + " more since the last line)" : "");
                        last = now;
                        seen++;
                    }
                }
            }
            return 0;
        }
    }
}
