package dev.reseeddrbg.simkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.reseeddrbg.page.PageTrust;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon and its clients against a local attacker and faults (issue 15 items 6 to 10,
 * issue 16 items 1, 3 and 5): real page files, real child processes, another user's
 * processes and files made with uid 65534 (nobody), since the tests run as root.
 */
class DaemonHardeningTest {
    private static final int NOBODY = 65534;
    private static final Duration START = Duration.ofSeconds(60);
    /** Longer than any bound the client or the daemon keeps, so that a hang fails the test instead of stalling it. */
    private static final Duration HANG = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    static void assumeRoot() throws IOException {
        assumeTrue(PageTrust.currentUid() == 0, "files and processes of another user need root to make");
    }

    private static Daemon run(Path page, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("run", "--page", page.toString(), "--no-kmsg"));
        args.addAll(List.of(more));
        return Daemon.start(args.toArray(String[]::new));
    }

    private Path page() throws IOException {
        Path page = dir.resolve("epoch");
        KernelPage.initialize(page).close();
        return page;
    }

    /** Asks {@code socket} one line, as a client without the CLI's own bounds; fails if no answer comes in time. */
    private static String ask(Path socket, String request, Duration timeout) throws Exception {
        return assertTimeoutPreemptively(timeout, () -> {
            try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                channel.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
                return readLine(channel);
            }
        }, "no answer from " + socket);
    }

    /** Reads to the first newline; null at end of stream. */
    private static String readLine(SocketChannel channel) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        StringBuilder line = new StringBuilder();
        while (true) {
            one.clear();
            if (channel.read(one) < 0) {
                return line.isEmpty() ? null : line.toString();
            }
            char c = (char) one.get(0);
            if (c == '\n') {
                return line.toString();
            }
            line.append(c);
        }
    }

    private static long count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1L;
    }

    static void assertOneLineError(SimKernelCommandTest.Result r, String... expected) {
        assertEquals(1, r.exit(), "exit code; stderr: " + r.err());
        String err = r.err().strip();
        assertTrue(err.startsWith("simkernel: ") && err.lines().count() == 1, "one 'simkernel:' line: " + err);
        for (String e : expected) {
            assertTrue(err.contains(e), "'" + err + "' should mention '" + e + "'");
        }
    }

    static SimKernelCommandTest.Result cli(String... args) {
        return assertTimeoutPreemptively(HANG, () -> SimKernelCommandTest.run(args), "simkernel " + String.join(" ", args)
                + " did not return");
    }

    /** A Squatter process of uid 65534 on {@code socket}. */
    static Daemon squatter(Path socket, String mode) throws Exception {
        Path classes = Path.of(Squatter.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Daemon squatter = Daemon.of(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                "-cp", classes.toString(), Squatter.class.getName(), socket.toString(), mode));
        squatter.await("listening", START);
        return squatter;
    }

    // Issue 15 item 6: the daemon refuses what it does not own.

    @Test
    void runRefusesAPageAnotherUserOwns() throws Exception {
        assumeRoot();
        Path page = page();
        Files.setAttribute(page, "unix:uid", NOBODY);
        try (Daemon d = run(page, "--timer", "1h")) {
            assertEquals(1, d.exitWithin(START));
            assertTrue(d.log().contains("simkernel: epoch page " + page + ": is owned by uid 65534"), d.log());
        }
        assertFalse(Files.exists(ControlSocket.pathFor(page), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void runRefusesASocketPathAnotherUserOwnsAndLeavesIt() throws Exception {
        assumeRoot();
        Path page = page();
        Path socket = ControlSocket.pathFor(page);
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(socket)); // closing it leaves the socket file
        }
        Files.setAttribute(socket, "unix:uid", NOBODY);
        try (Daemon d = run(page, "--timer", "1h")) {
            assertEquals(1, d.exitWithin(START));
            assertTrue(d.log().contains(socket + " is owned by uid 65534"), d.log());
        }
        assertEquals(NOBODY, Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS), "left as it was");
    }

    @Test
    void runRefusesADirectoryOthersCanWriteOrAnotherUserOwns() throws Exception {
        assumeRoot();
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (Daemon d = run(shared.resolve("epoch"), "--timer", "1h")) {
            assertEquals(1, d.exitWithin(START));
            assertTrue(d.log().contains("which group or others can write"), d.log());
        }
        Path foreign = Files.createDirectory(dir.resolve("foreign"));
        Files.setAttribute(foreign, "unix:uid", NOBODY);
        try (Daemon d = run(foreign.resolve("epoch"), "--timer", "1h")) {
            assertEquals(1, d.exitWithin(START));
            assertTrue(d.log().contains(foreign + ", owned by uid 65534"), d.log());
        }
        try (var entries = Files.list(shared)) {
            assertEquals(0, entries.count(), "no page or socket created in " + shared);
        }
    }

    // Issue 15 item 6: the client believes only root or the page's owner.

    @Test
    void anAnswerFromASocketAnotherUserServesIsNotBelieved() throws Exception {
        assumeRoot();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path page = shared.resolve("epoch");
        KernelPage.initialize(page).close();
        Path socket = ControlSocket.pathFor(page);
        try (Daemon squatter = squatter(socket, "answer")) {
            assertOneLineError(cli("status", "--page", page.toString()), socket.toString(), "user nobody");
            // notify --via-daemon checks the page's directory before it connects (DaemonNotifyTest).
            assertOneLineError(cli("notify", "--page", page.toString(), "--via-daemon", "vm-snapshot"),
                    "which group or others can write");
            assertFalse(squatter.log().contains("request"), "nothing was sent: " + squatter.log());
        }
    }

    // Issue 15 item 7: the socket has its mode from the start and is never chmod'ed in place.

    @Test
    void theSocketIsMadeInAPrivateDirectoryAndNeverChangedByItsPath() throws Exception {
        Path strace = Path.of("/usr/bin/strace");
        assumeTrue(Files.isExecutable(strace), "needs strace to see the daemon's system calls");
        Path page = page();
        Path socket = ControlSocket.pathFor(page);
        Path trace = dir.resolve("trace");
        List<String> command = new ArrayList<>(List.of(strace.toString(), "-f", "-qq", "-o", trace.toString(),
                "-e", "trace=bind,chmod,fchmodat,link,linkat,rename,renameat,renameat2"));
        command.addAll(Daemon.javaCommand("run", "--page", page.toString(), "--no-kmsg", "--timer", "1h"));
        try (Daemon d = Daemon.withShell("umask 000", command)) {
            d.await("control socket", START);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket,
                    LinkOption.NOFOLLOW_LINKS)), "mode 0600 even under umask 000");
            List<String> calls = Files.readAllLines(trace);
            String quoted = "\"" + socket + "\"";
            List<String> binds = calls.stream().filter(l -> l.contains("bind(") && l.contains("AF_UNIX")).toList();
            assertFalse(binds.isEmpty(), "the trace shows the bind: " + calls);
            assertTrue(binds.stream().noneMatch(l -> l.contains(quoted)),
                    "bound at the published path, where others can reach it before its mode is set: " + binds);
            assertTrue(calls.stream().filter(l -> l.contains("chmod")).noneMatch(l -> l.contains(quoted)),
                    "chmod by the published path, which follows a link put there: " + calls);
            d.signalChild("TERM"); // strace passes no signal on
            d.exitWithin(START);
        }
    }

    /** The systemd unit sets UMask=0077: readers of other users must still be able to read the page. */
    @Test
    void underTheUnitsUmaskThePageIsReadableByAllAndTheSocketByItsOwner() throws Exception {
        Path page = dir.resolve("epoch");
        try (Daemon d = Daemon.withShell("umask 077", Daemon.javaCommand("run", "--page", page.toString(),
                "--no-kmsg", "--timer", "1h"))) {
            d.await("Z control socket", START);
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(page,
                    LinkOption.NOFOLLOW_LINKS)), "the page a reader of another user opens");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    ControlSocket.pathFor(page), LinkOption.NOFOLLOW_LINKS)));
        }
    }

    // Issue 15 item 8: the accept loop outlives its failures and its clients.

    @Test
    void theAcceptLoopSurvivesRunningOutOfFileDescriptors() throws Exception {
        Path page = page();
        Path socket = ControlSocket.pathFor(page);
        try (Daemon d = Daemon.withShell("ulimit -n 40", Daemon.javaCommand("run", "--page", page.toString(),
                "--no-kmsg", "--timer", "1h"))) {
            d.await("Z control socket " + socket, START);
            assertTrue(ask(socket, "status", HANG).startsWith("ok "), d.log());
            List<SocketChannel> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 120; i++) {
                    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                    c.configureBlocking(false);
                    try {
                        c.connect(UnixDomainSocketAddress.of(socket));
                        idle.add(c);
                    } catch (SocketException backlogFull) {
                        c.close();
                    }
                }
                d.await("cannot accept", START);
            } finally {
                for (SocketChannel c : idle) {
                    c.close();
                }
            }
            assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the daemon is still there:\n" + d.log());
            assertTrue(ask(socket, "status", HANG).startsWith("ok "), "accepting again");
            d.await("accepting again", START);
            // Each episode is logged once when it starts and once when it ends, however many accepts fail.
            long deadline = System.nanoTime() + START.toNanos();
            String log = d.log();
            while (count(log, "cannot accept") != count(log, "accepting again") && System.nanoTime() < deadline) {
                Thread.sleep(100);
                log = d.log();
            }
            assertEquals(count(log, "cannot accept"), count(log, "accepting again"), log);
            assertTrue(log.matches("(?s).*accepting again after \\d+ failed accepts.*"), log);
        }
    }

    @Test
    void anIdleConnectionIsClosedByTheDaemon() throws Exception {
        Path page = page();
        try (Daemon d = run(page, "--timer", "1h");
             SocketChannel idle = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            d.await("control socket", START);
            idle.connect(UnixDomainSocketAddress.of(ControlSocket.pathFor(page)));
            long start = System.nanoTime();
            String line = assertTimeoutPreemptively(HANG, () -> readLine(idle), "the daemon kept an idle connection");
            assertTrue(line == null || line.startsWith("error "), line);
            assertTrue(System.nanoTime() - start >= Duration.ofSeconds(2).toNanos(), "not before the client had time");
        }
    }

    // Issue 15 item 9: a bounded request line; a notifier that dies takes the daemon down.

    @Test
    void anEndlessRequestLineIsCutOff() throws Exception {
        Path page = page();
        Path socket = ControlSocket.pathFor(page);
        SocketChannel endless = SocketChannel.open(StandardProtocolFamily.UNIX);
        try (Daemon d = run(page, "--timer", "1h")) {
            d.await("control socket", START);
            endless.connect(UnixDomainSocketAddress.of(socket));
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = Thread.ofPlatform().start(() -> {
                ByteBuffer block = ByteBuffer.wrap("a".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII));
                try {
                    while (!stop.get()) {
                        endless.write(block.clear());
                    }
                } catch (IOException cutOff) {
                    // the daemon closed the connection
                }
            });
            try {
                String line = assertTimeoutPreemptively(HANG, () -> {
                    try {
                        return readLine(endless);
                    } catch (IOException reset) {
                        return null;
                    }
                }, "the daemon went on reading an endless line");
                assertTrue(line == null || line.startsWith("error request line longer than"), line);
            } finally {
                stop.set(true);
                endless.close(); // ends the writer's blocked write
                writer.join();
            }
            d.await("request line longer than", START);
            assertTrue(ask(socket, "status", HANG).startsWith("ok "), "and serves the next client");
        } finally {
            endless.close();
        }
    }

    @Test
    void aNotifierThreadThatDiesTakesTheDaemonDown() throws Exception {
        Path page = page();
        try (Daemon d = run(page, "--timer", "20ms")) {
            d.await("(timer)", START);
            try (FileChannel file = FileChannel.open(page, StandardOpenOption.WRITE)) {
                file.truncate(0); // the timer's next notification faults on the mapping
            }
            assertNotEquals(0, d.exitWithin(START));
            assertTrue(d.log().contains("the timer notifier died"), d.log());
        }
        assertFalse(Files.exists(ControlSocket.pathFor(page), LinkOption.NOFOLLOW_LINKS), "its socket went with it");
    }

    // Issue 15 item 10: the page replaced or removed under the daemon.

    @Test
    void aReplacedPageStopsTheDaemonWithAnError() throws Exception {
        Path page = page();
        try (Daemon d = run(page, "--timer", "1h")) {
            d.await("control socket", START);
            Files.delete(page);
            KernelPage.initialize(page).close();
            assertEquals(1, d.exitWithin(START));
            assertTrue(d.log().contains(page + " was replaced or removed"), d.log());
        }
        assertFalse(Files.exists(ControlSocket.pathFor(page), LinkOption.NOFOLLOW_LINKS));
        try (Daemon again = run(page, "--timer", "1h")) {
            assertTrue(again.await("control socket", START).contains("existing page kept"), "a restart owns the new page");
        }
    }

    @Test
    void aRemovedPageStopsTheDaemonWithAnError() throws Exception {
        Path page = page();
        try (Daemon d = run(page, "--timer", "1h")) {
            d.await("control socket", START);
            Files.delete(page);
            assertEquals(1, d.exitWithin(START));
            assertTrue(d.log().contains(page + " was removed"), d.log());
        }
    }

    // Issue 16 item 1: the client's bounded waits.

    @Test
    void aStoppedDaemonMakesTheClientsFailInTime() throws Exception {
        Path page = page();
        Path socket = ControlSocket.pathFor(page);
        try (Daemon d = run(page, "--timer", "1h")) {
            d.await("control socket", START);
            d.signal("STOP");
            assertOneLineError(cli("notify", "--page", page.toString(), "--via-daemon", "manual"), socket.toString(),
                    "did not answer within 5s");
            assertOneLineError(cli("status", "--page", page.toString()), socket.toString(), "did not answer within 5s");
            d.signal("CONT");
        }
    }

    @Test
    void aSocketThatNeverAcceptsMakesTheClientFailInTime() throws Exception {
        Path page = page();
        Path socket = ControlSocket.pathFor(page);
        List<SocketChannel> queued = new ArrayList<>();
        try (ServerSocketChannel squatted = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            squatted.bind(UnixDomainSocketAddress.of(socket), 1);
            try {
                while (true) { // fill the backlog, which nothing accepts from
                    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                    c.configureBlocking(false);
                    queued.add(c);
                    c.connect(UnixDomainSocketAddress.of(socket));
                }
            } catch (SocketException full) {
                // the next connect waits
            }
            assertOneLineError(cli("notify", "--page", page.toString(), "--via-daemon", "manual", "--timeout", "1s"),
                    socket.toString(), "did not accept the connection within 1s");
        } finally {
            for (SocketChannel c : queued) {
                c.close();
            }
        }
    }

    // Issue 16 item 3: every error names its path.

    @Test
    void aDiskFullInitNamesThePage() throws Exception {
        assumeRoot();
        Path full = Files.createDirectory(dir.resolve("full"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4k,mode=0755", "tmpfs", full.toString())
                .redirectErrorStream(true).start();
        assumeTrue(mount.waitFor() == 0, "needs a small tmpfs: " + new String(mount.getInputStream().readAllBytes()));
        try {
            try (FileChannel filler = FileChannel.open(full.resolve("filler"), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                while (true) {
                    filler.write(ByteBuffer.allocate(1024));
                }
            } catch (IOException diskFull) {
                // the file system is full
            }
            Path page = full.resolve("epoch");
            assertOneLineError(cli("init", "--page", page.toString()), page.toString(), "No space left on device");
            try (var entries = Files.list(full)) {
                assertEquals(List.of(full.resolve("filler")), entries.toList(), "no temporary file left behind");
            }
        } finally {
            new ProcessBuilder("umount", full.toString()).inheritIO().start().waitFor();
        }
    }

    // Issue 16 item 5: SIGTERM removes the socket whatever the notifiers do.

    @Test
    void sigtermRemovesTheSocketEvenWhenANotifierDoesNotStop() throws Exception {
        Path page = page();
        Path socket = ControlSocket.pathFor(page);
        Path fifo = dir.resolve("vmclock");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        // Opening a FIFO nobody writes blocks: the VMClock notifier never finishes starting.
        try (Daemon d = run(page, "--timer", "1h", "--vmclock", fifo.toString())) {
            for (int i = 0; i < 600 && !Files.exists(socket, LinkOption.NOFOLLOW_LINKS); i++) {
                Thread.sleep(100);
            }
            assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), d.log());
            Thread.sleep(500);
            d.signal("TERM");
            d.exitWithin(START);
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "SIGTERM removed the socket:\n" + d.log());
        }
    }
}
