package dev.reseeddrbg.simkernel.cli;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.simkernel.KernelPage;
import dev.reseeddrbg.simkernel.Notifier;
import dev.reseeddrbg.simkernel.TimerNotifier;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
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
                SimKernelCommand.Run.class})
public final class SimKernelCommand {

    /** Exit code for a page, file or notifier problem. */
    static final int EXIT_FAILURE = 1;

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
            commandLine.getErr().println("simkernel: " + e.getMessage());
            return EXIT_FAILURE;
        });
        cli.setParameterExceptionHandler((e, args1) -> {
            e.getCommandLine().getErr().println("simkernel: " + e.getMessage()
                    + " (see 'simkernel " + e.getCommandLine().getCommandName() + " --help')");
            return CommandLine.ExitCode.USAGE;
        });
        return cli.execute(args);
    }

    static String describe(EpochPage page, int word) {
        return String.format("0x%08x %s", word, page.describe(word));
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

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create the page (mode 0644) and register the standard notifiers; an existing valid page keeps its word.")
    static final class Init implements Callable<Integer> {
        @CommandLine.Mixin
        PageOption page;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (KernelPage kernel = KernelPage.initialize(page.path)) {
                EpochPage p = kernel.page();
                spec.commandLine().getOut().printf("%s %s: word %s; notifiers: %s%n",
                        kernel.created() ? "created" : "kept", page.path, describe(p, p.loadWord()), registry(p));
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
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (KernelPage kernel = KernelPage.open(page.path)) {
                Notifier n = kernel.notifier(notifier);
                spec.commandLine().getOut().println(describe(kernel.page(), n.fire()));
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Print the word, decoded, and the notifier registry.")
    static final class Status implements Callable<Integer> {
        @CommandLine.Mixin
        PageOption page;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (KernelPage kernel = KernelPage.open(page.path)) {
                EpochPage p = kernel.page();
                PrintWriter out = spec.commandLine().getOut();
                out.println("page      " + page.path);
                out.println("word      " + describe(p, p.loadWord()));
                out.println("notifiers " + registry(p));
            }
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Own the page (creating it if needed) and run the timer notifier until stopped (SIGTERM or Ctrl-C).")
    static final class Run implements Callable<Integer> {
        @CommandLine.Mixin
        PageOption page;
        @Option(names = "--timer", paramLabel = "DURATION", defaultValue = "60s",
                description = "Timer notifier period, e.g. 500ms, 10s, 5m (default: ${DEFAULT-VALUE}, as the Linux CRNG reseed interval).")
        Duration timer;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            CountDownLatch stopped = new CountDownLatch(1);
            try (KernelPage kernel = KernelPage.initialize(page.path)) {
                EpochPage p = kernel.page();
                out.printf("running on %s, word %s, timer every %s%n", page.path, describe(p, p.loadWord()),
                        DurationConverter.format(timer));
                Thread hook = new Thread(stopped::countDown, "simkernel-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                try (TimerNotifier ignored = TimerNotifier.start(kernel.notifier("timer"), timer,
                        word -> out.printf("%s notify %s%n", Instant.now(), describe(p, word)))) {
                    stopped.await();
                }
                out.printf("stopped; page left in place with word %s%n", describe(p, p.loadWord()));
            }
            return 0;
        }
    }
}
