package dev.reseeddrbg.simkernel;

import dev.reseeddrbg.simkernel.cli.SimKernelCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code simkernel} child process as an operator runs it, its output (stdout and
 * stderr together) collected as it comes, so that a test can wait for a line with a
 * deadline and read the whole log afterwards.
 */
final class Daemon implements AutoCloseable {
    private final Process process;
    private final StringBuilder output = new StringBuilder();

    private Daemon(Process process) {
        this.process = process;
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    synchronized (output) {
                        output.append(line).append('\n');
                        output.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process is gone; what it wrote is kept
            }
        });
    }

    /** The java command line that runs the simkernel CLI from this test's class path. */
    static List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), SimKernelCommand.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** {@code simkernel ARGS} in a child process. */
    static Daemon start(String... args) throws IOException {
        return of(javaCommand(args));
    }

    /** Any command line, its output collected the same way. */
    static Daemon of(List<String> command) throws IOException {
        return new Daemon(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    /** {@code command} through {@code sh -c 'PREFIX; exec "$@"'}: a umask or ulimit for the child only. */
    static Daemon withShell(String prefix, List<String> command) throws IOException {
        List<String> shell = new ArrayList<>(List.of("/bin/sh", "-c", prefix + "; exec \"$@\"", "sh"));
        shell.addAll(command);
        return of(shell);
    }

    /** Waits until a line contains {@code marker}; fails with the log so far if none does in time. */
    String await(String marker, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (output) {
            while (output.indexOf(marker) < 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no '" + marker + "' within " + timeout + " in:\n" + output);
                }
                TimeUnit.NANOSECONDS.timedWait(output, left);
            }
            return output.toString();
        }
    }

    /** Everything written so far. */
    String log() {
        synchronized (output) {
            return output.toString();
        }
    }

    /** The exit code once the process has ended by itself within {@code timeout}; fails (with the log) if it has not. */
    int exitWithin(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + timeout + "; its log:\n" + log());
        }
        Thread.sleep(100); // the last lines
        return process.exitValue();
    }

    long pid() {
        return process.pid();
    }

    /** Sends {@code signal} (TERM, STOP, CONT, ...) with kill(1). */
    void signal(String signal) throws IOException, InterruptedException {
        if (new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor() != 0) {
            throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /** Sends {@code signal} to the process's first child (the daemon under strace). */
    void signalChild(String signal) throws IOException, InterruptedException {
        long child = process.toHandle().children().findFirst().orElseThrow().pid();
        if (new ProcessBuilder("kill", "-" + signal, Long.toString(child)).start().waitFor() != 0) {
            throw new AssertionError("kill -" + signal + " " + child + " failed");
        }
    }

    @Override
    public void close() throws IOException {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        if (process.isAlive()) {
            try {
                signal("CONT");
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
