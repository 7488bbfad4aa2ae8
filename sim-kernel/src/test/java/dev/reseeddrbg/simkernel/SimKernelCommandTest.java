package dev.reseeddrbg.simkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.page.PageLayout;
import dev.reseeddrbg.simkernel.cli.SimKernelCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimKernelCommandTest {

    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = SimKernelCommand.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(exit, out.toString(), err.toString());
    }

    private static void assertOneLineError(Result r, String expected) {
        assertNotEquals(0, r.exit(), "exit code");
        assertEquals("", r.out());
        String err = r.err().strip();
        assertTrue(err.startsWith("simkernel: "), err);
        assertEquals(1, err.lines().count(), "exactly one line on stderr: " + err);
        assertTrue(err.contains(expected), "'" + err + "' should mention '" + expected + "'");
    }

    @Test
    void initCreatesOwnerOnlyWritablePageWithStandardNotifiers() throws IOException {
        Path page = dir.resolve("epoch");
        Result r = run("init", "--page", page.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("created " + page), r.out());
        assertTrue(r.out().contains("vm-snapshot(1) timer(2) manual(3)"), r.out());
        assertEquals(PageLayout.PAGE_SIZE, Files.size(page));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(page, LinkOption.NOFOLLOW_LINKS)));
        try (var dirStream = Files.list(dir)) {
            assertEquals(1, dirStream.count(), "no temporary file left behind");
        }
    }

    /** Neither init nor a direct notify works on a page in a directory others could swap it in. */
    @Test
    void initAndNotifyRefuseADirectoryOthersCanWrite() throws IOException {
        Path open = Files.createDirectory(dir.resolve("open"));
        Path page = open.resolve("epoch");
        KernelPage.initialize(page).close(); // made while the directory was still private
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertOneLineError(run("notify", "--page", page.toString(), "vm-snapshot"), "which group or others can write");
        Files.delete(page);
        assertOneLineError(run("init", "--page", page.toString()), "which group or others can write");
        assertFalse(Files.exists(page), "no page made there");
    }

    /** init adopts no page another user made: every reader would refuse it. */
    @Test
    void initRefusesAnotherUsersPage() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.reseeddrbg.page.PageTrust.currentUid() == 0,
                "making another user's file needs root");
        Path page = dir.resolve("epoch");
        KernelPage.initialize(page).close();
        Files.setAttribute(page, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
        assertOneLineError(run("init", "--page", page.toString()), "owned by uid 65534");
    }

    @Test
    void notifyBumpsWordAndStatusDecodesIt() {
        Path page = dir.resolve("epoch");
        run("init", "--page", page.toString());
        Result n1 = run("notify", "--page", page.toString(), "vm-snapshot");
        assertEquals(0, n1.exit(), n1.err());
        assertEquals("0x01000001 notifier=vm-snapshot(1) epoch=1", n1.out().strip());
        Result n2 = run("notify", "--page", page.toString(), "timer");
        assertEquals("0x02000002 notifier=timer(2) epoch=2", n2.out().strip());
        Result status = run("status", "--page", page.toString());
        assertEquals(0, status.exit());
        assertTrue(status.out().contains("word      0x02000002 notifier=timer(2) epoch=2"), status.out());
    }

    @Test
    void initOnExistingPageKeepsTheWord() {
        Path page = dir.resolve("epoch");
        run("init", "--page", page.toString());
        run("notify", "--page", page.toString(), "manual");
        Result again = run("init", "--page", page.toString());
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().startsWith("kept " + page), again.out());
        assertTrue(again.out().contains("epoch=1"), again.out());
    }

    @Test
    void missingFile() {
        assertOneLineError(run("status", "--page", dir.resolve("nope").toString()), "does not exist");
        assertOneLineError(run("notify", "--page", dir.resolve("nope").toString(), "timer"), "does not exist");
    }

    @Test
    void foreignFileIsRefused() throws IOException {
        Path foreign = dir.resolve("foreign");
        Files.writeString(foreign, "hello");
        assertOneLineError(run("status", "--page", foreign.toString()), "5 bytes");
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[PageLayout.PAGE_SIZE]);
        assertOneLineError(run("notify", "--page", junk.toString(), "timer"), "bad magic");
        assertOneLineError(run("init", "--page", junk.toString()), "bad magic");
    }

    @Test
    void unsupportedVersionIsRefused() throws IOException {
        Path page = dir.resolve("epoch");
        run("init", "--page", page.toString());
        byte[] bytes = Files.readAllBytes(page);
        ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putShort((int) PageLayout.VERSION_OFFSET, (short) 9);
        Files.write(page, bytes);
        assertOneLineError(run("status", "--page", page.toString()), "format version 9 is not supported");
    }

    @Test
    void unknownNotifierNamesTheRegisteredOnes() {
        Path page = dir.resolve("epoch");
        run("init", "--page", page.toString());
        assertOneLineError(run("notify", "--page", page.toString(), "meteor"),
                "unknown notifier 'meteor'; registered on " + page + ": vm-snapshot, timer, manual");
    }

    @Test
    void unwritablePath() throws IOException {
        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        assertOneLineError(run("init", "--page", file.resolve("epoch").toString()), "not an existing directory");
    }

    @Test
    void groupWritablePageIsRefused() throws IOException {
        Path page = dir.resolve("epoch");
        run("init", "--page", page.toString());
        Files.setPosixFilePermissions(page, PosixFilePermissions.fromString("rw-rw-r--"));
        assertOneLineError(run("notify", "--page", page.toString(), "timer"), "chmod go-w");
    }

    @Test
    void usageErrorsExitWithUsageCode() {
        Result r = run("notify", "timer");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("simkernel: Missing required option: '--page=PATH'"), r.err());
        Result d = run("run", "--page", dir.resolve("p").toString(), "--timer", "soon");
        assertEquals(2, d.exit());
        assertTrue(d.err().contains("'soon' is not a duration"), d.err());
    }

    @Test
    void timerNotifierFiresPeriodically() throws Exception {
        try (KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            int before = kernel.page().loadWord();
            var fired = new java.util.concurrent.CountDownLatch(3);
            try (TimerNotifier _ = TimerNotifier.start(kernel.notifier("timer"), java.time.Duration.ofMillis(20),
                    w -> fired.countDown())) {
                assertTrue(fired.await(10, java.util.concurrent.TimeUnit.SECONDS));
            }
            int after = kernel.page().loadWord();
            assertEquals(2, after >>> 24);
            assertTrue((after & 0xFFFFFF) - (before & 0xFFFFFF) >= 3);
        }
    }

    @Test
    void kernelPageMappingIsSharedWithReaders() throws IOException {
        Path path = dir.resolve("epoch");
        try (KernelPage kernel = KernelPage.initialize(path); Arena arena = Arena.ofConfined()) {
            var reader = dev.reseeddrbg.page.PageFile.mapReadOnly(path, arena);
            int w = kernel.notifier("vm-snapshot").fire();
            assertEquals(w, reader.loadWord());
        }
    }
}
