package dev.reseeddrbg.systemtest.realvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One QEMU process of the real-VM clone test, and what the host sees of it.
 *
 * <p>The guest has three serial ports, each a QEMU socket chardev the host connects to:
 * ttyS0 is the kernel console (the vmgenid driver's record appears there), ttyS1 the
 * application ({@link CloneProbe}), ttyS2 the daemon's log. Every line is stamped with
 * the host's {@link System#nanoTime()} when it arrives, so the lines of all ports and the
 * QMP commands are on one clock. The chardevs are created with {@code wait=on}: QEMU does
 * not start the guest (or load an incoming snapshot) until the host is connected to every
 * port, so no line is lost.
 *
 * <p>QMP (the control socket) takes the snapshot ({@code migrate} to a file) and resumes
 * a clone ({@code cont}); a clone is started with {@code -incoming} and {@code -S}, so it
 * is paused once the snapshot is loaded and its restore time is the moment of {@code cont}.
 */
final class Qemu implements AutoCloseable {
    /** A line from one port, stamped on arrival. */
    record Line(long nanos, String port, String text) {
    }

    static final List<String> PORTS = List.of("console", "app", "daemon");

    private final String name;
    private final Process process;
    private final ArrivedLines lines = new ArrivedLines();
    private final List<Thread> readers = new ArrayList<>();
    private final LinkedBlockingQueue<String> qmpReplies = new LinkedBlockingQueue<>();
    private final Path log;
    /** Set once by the QMP reader thread when connected; guarded by {@code this}. */
    private SocketChannel qmp;
    private OutputStream qmpOut;

    private final long startedNanos = System.nanoTime();

    private Qemu(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts QEMU and connects to its QMP socket and serial ports.
     *
     * @param machine the binary, its environment and the machine's arguments
     * @param append the kernel command line
     * @param incoming a snapshot file to restore (paused), or null to boot
     */
    static Qemu start(String name, Path dir, QemuMachine machine, String append, Path incoming)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        List<String> command = machine.command(name, dir, append, incoming);
        for (String s : List.of("qmp.sock", "console.sock", "app.sock", "daemon.sock")) {
            Files.deleteIfExists(dir.resolve(s));
        }
        Path log = dir.resolve("qemu.log");
        Files.writeString(log, machine.env() + " " + String.join(" ", command) + "\n");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(machine.env());
        Process p = pb.start();
        Qemu q = new Qemu(name, p, log);
        try {
            q.connect(dir);
        } catch (IOException | RuntimeException e) {
            q.close();
            throw e;
        }
        return q;
    }

    private void connect(Path dir) throws IOException, InterruptedException {
        // QEMU waits on its server sockets one at a time, in an order of its own: connect to
        // all of them at once.
        reader("qmp", () -> {
            SocketChannel ch = connectWhenListening(dir.resolve("qmp.sock"));
            synchronized (this) {
                qmp = ch;
                qmpOut = Channels.newOutputStream(ch);
            }
            BufferedReader in = reader(ch);
            for (String l; (l = in.readLine()) != null; ) {
                if (l.contains("\"event\"")) {
                    lines.add("qmp", l);
                } else {
                    qmpReplies.add(l);
                }
            }
        });
        for (String port : PORTS) {
            reader(port, () -> {
                BufferedReader in = reader(connectWhenListening(dir.resolve(port + ".sock")));
                for (String l; (l = in.readLine()) != null; ) {
                    lines.add(port, l.replace("\r", ""));
                }
            });
        }
        take("greeting"); // {"QMP": {...}}, once every socket is connected
        execute("{\"execute\":\"qmp_capabilities\"}");
    }

    private static BufferedReader reader(SocketChannel ch) {
        return new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
    }

    private interface Reading {
        void run() throws IOException, InterruptedException;
    }

    private void reader(String port, Reading body) {
        Thread t = Thread.ofPlatform().daemon().name(name + "-" + port).start(() -> {
            try {
                body.run();
            } catch (IOException e) {
                // the VM has gone (or never listened): the lines so far are what it said
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        readers.add(t);
    }

    private SocketChannel connectWhenListening(Path socket) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (!process.isAlive()) {
                throw new IOException(name + ": QEMU exited (" + process.exitValue() + "): " + Files.readString(log));
            }
            if (Files.exists(socket)) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return ch;
                } catch (IOException e) {
                    ch.close();
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(name + ": QEMU did not open " + socket + " within 30 s; see " + log);
            }
            Thread.sleep(20);
        }
    }

    private String take(String what) throws IOException, InterruptedException {
        String reply = qmpReplies.poll(60, TimeUnit.SECONDS);
        if (reply == null) {
            throw new IOException(name + ": no QMP " + what + " within 60 s; see " + log);
        }
        return reply;
    }

    /** Runs one QMP command and returns its reply line; an {@code error} reply is an exception. */
    synchronized String execute(String json) throws IOException, InterruptedException {
        qmpOut.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        qmpOut.flush();
        String reply = take(json);
        if (reply.contains("\"error\"")) {
            throw new IOException(name + ": QMP " + json + " failed: " + reply);
        }
        return reply;
    }

    /** Polls a QMP query until its reply contains one of {@code done}; a reply containing {@code failed} is an exception. */
    String await(String query, List<String> done, String failed, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String reply = execute(query);
            if (done.stream().anyMatch(reply::contains)) {
                return reply;
            }
            if (reply.contains(failed)) {
                throw new IOException(name + ": " + query + " -> " + reply);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(name + ": " + query + " still " + reply + " after " + timeout.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }

    /** Waits until a line of {@code port} satisfies {@code test}, and returns it. */
    Line awaitLine(String port, Predicate<String> test, Duration timeout, String what)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Line> found = lines.first(port, test);
            if (found.isPresent()) {
                return found.get();
            }
            if (!process.isAlive()) {
                throw new IOException(name + ": QEMU exited before " + what + "; " + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(name + ": no " + what + " within " + timeout.toSeconds() + " s; " + tail());
            }
            Thread.sleep(20);
        }
    }

    /** The last lines of every port, for an error message. */
    String tail() {
        return lines.tail(name);
    }

    /** Records a host event among the VM's lines, for the log written at close. */
    void mark(String text) {
        lines.add("host", text);
    }

    List<Line> lines() {
        return lines.all();
    }

    String name() {
        return name;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws IOException {
        try {
            synchronized (this) {
                if (qmp != null && process.isAlive()) {
                    qmpOut.write("{\"execute\":\"quit\"}\n".getBytes(StandardCharsets.UTF_8));
                    qmpOut.flush();
                }
            }
        } catch (IOException e) {
            // QEMU is going anyway
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (qmp != null) {
                qmp.close();
            }
        }
        for (Thread t : readers) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Every line, with its arrival in ms since QEMU was started, beside QEMU's own log.
        lines.write(log.resolveSibling("lines.log"), startedNanos);
    }
}
