package dev.reseeddrbg.simkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.page.PageFile;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 'simkernel run' and 'watch' as an operator uses them: separate processes, signals, a control socket. */
class DaemonTest {
    @TempDir
    Path dir;

    private static Process simkernel(String... args) throws IOException {
        return new ProcessBuilder(Daemon.javaCommand(args)).redirectErrorStream(true).start();
    }

    private static Process simkernelTo(Path output, String... args) throws IOException {
        return new ProcessBuilder(Daemon.javaCommand(args)).redirectErrorStream(true).redirectOutput(output.toFile())
                .start();
    }

    /** Reads lines until one contains {@code marker}; returns everything read. */
    private static String readUntil(BufferedReader in, String marker) throws IOException {
        StringBuilder seen = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) {
            seen.append(line).append('\n');
            if (line.contains(marker)) {
                return seen.toString();
            }
        }
        throw new AssertionError("no '" + marker + "' in:\n" + seen);
    }

    @Test
    void daemonServesTheSocketLogsAndStopsCleanlyOnSigterm() throws Exception {
        Path page = dir.resolve("epoch");
        KernelPage.initialize(page).close();
        Object inode = Files.getAttribute(page, "unix:ino");
        Process daemon = simkernel("run", "--page", page.toString(), "--timer", "1h");
        BufferedReader log = new BufferedReader(new InputStreamReader(daemon.getInputStream()));
        readUntil(log, "control socket");
        Path socket = ControlSocket.pathFor(page);
        assertTrue(Files.exists(socket));

        Path watchLog = dir.resolve("watch.log");
        Process watch = simkernelTo(watchLog, "watch", "--page", page.toString(), "--count", "2");
        for (int i = 0; i < 3000 && !(Files.exists(watchLog) && Files.readString(watchLog).contains("watching")); i++) {
            Thread.sleep(10);
        }

        assertEquals("ok 0x01000001 notifier=vm-snapshot(1) epoch=1", ControlSocket.request(page, "notify vm-snapshot"));
        assertTrue(ControlSocket.request(page, "notify meteor").startsWith("error unknown notifier 'meteor'"));
        assertEquals(0, SimKernelCommandTest.run("notify", "--page", page.toString(), "--via-daemon", "manual").exit());
        assertTrue(readUntil(log, "(control socket)").contains("notifier=vm-snapshot(1) epoch=1"));
        assertTrue(watch.waitFor(30, TimeUnit.SECONDS), "watch --count 2 ends by itself");
        String changes = Files.readString(watchLog);
        assertTrue(changes.contains("notifier=vm-snapshot(1) epoch=1"), changes);
        assertTrue(changes.contains("notifier=manual(3) epoch=2"), changes);

        daemon.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its pipes
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
        assertTrue(readUntil(log, "stopped").contains("page left in place"));
        assertFalse(Files.exists(socket), "socket removed on SIGTERM");
        assertEquals(inode, Files.getAttribute(page, "unix:ino"), "the page was never replaced");
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(0x03000002, PageFile.mapReadOnly(page, arena).loadWord(), "and keeps its word");
        }
    }

    @Test
    void aKilledDaemonLeavesAValidPageAndARestartTakesOver() throws Exception {
        Path page = dir.resolve("epoch");
        Process daemon = simkernel("run", "--page", page.toString(), "--timer", "1ms", "--no-kmsg");
        BufferedReader log = new BufferedReader(new InputStreamReader(daemon.getInputStream()));
        readUntil(log, "control socket");
        readUntil(log, "epoch=50 (timer)"); // notifying a thousand times a second when killed
        daemon.destroyForcibly(); // SIGKILL, mid-notification as likely as not
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
        int word;
        try (Arena arena = Arena.ofConfined()) {
            word = PageFile.mapReadOnly(page, arena).loadWord();
        }
        assertEquals(2, word >>> 24, "the last complete notification is the timer's");
        assertTrue(Files.exists(ControlSocket.pathFor(page)), "SIGKILL leaves the socket behind");

        Process again = simkernel("run", "--page", page.toString(), "--timer", "1h");
        BufferedReader log2 = new BufferedReader(new InputStreamReader(again.getInputStream()));
        String started = readUntil(log2, "control socket");
        assertTrue(started.contains("existing page kept"), started);
        assertTrue(ControlSocket.request(page, "status").startsWith("ok "));
        again.destroy();
        assertTrue(again.waitFor(30, TimeUnit.SECONDS));
    }

    @Test
    void viaDaemonWithoutADaemonSaysHowToStartOne() {
        Path page = dir.resolve("epoch");
        SimKernelCommandTest.Result r = SimKernelCommandTest.run("notify", "--page", page.toString(), "--via-daemon",
                "timer");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("no sim-kernel daemon answers") && r.err().contains("simkernel run --page"), r.err());
    }
}
