package dev.reseeddrbg.simkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel-log notifier on this machine's real {@code /dev/kmsg}: what fires, what
 * cannot be forged, what is skipped at start. (The record itself firing on a real
 * restore is the real-VM clone test's job: scripts/real-vm-clones.)
 */
class KernelLogNotifierTest {
    private static final Path KMSG = KernelLogNotifier.DEFAULT_DEVICE;

    @TempDir
    Path dir;

    @Test
    void onlyAKernelFacilityRecordWithTheExactTextAnnouncesAFork() {
        String fork = KernelLogNotifier.VM_FORK_MESSAGE;
        KernelLogNotifier.Record kernel = KernelLogNotifier.Record.parse("5,1234,26599955,-;" + fork + "\n").orElseThrow();
        assertEquals(0, kernel.facility());
        assertEquals(5, kernel.level());
        assertEquals(1234, kernel.sequence());
        assertEquals(26599955, kernel.timestampMicros());
        assertTrue(kernel.announcesVmFork());
        // prio 13 = facility 1 (user) level 5: what the kernel makes of any record written to /dev/kmsg.
        assertFalse(KernelLogNotifier.Record.parse("13,1235,26600000,-;" + fork + "\n").orElseThrow().announcesVmFork());
        assertFalse(KernelLogNotifier.Record.parse("5,1236,1,-;" + fork + " (not quite)\n").orElseThrow()
                .announcesVmFork());
        assertTrue(KernelLogNotifier.Record.parse("5,7,1,c,caller=T1;" + fork + "\n SUBSYSTEM=random\n")
                .orElseThrow().announcesVmFork(), "extra header fields and dictionary lines are allowed");
        assertTrue(KernelLogNotifier.Record.parse("no header").isEmpty());
        assertTrue(KernelLogNotifier.Record.parse("x,1,1,-;" + fork).isEmpty());
    }

    @Test
    void aUserWrittenRecordWithTheForkTextDoesNotFire() throws Exception {
        assumeTrue(Files.isWritable(KMSG) && KernelLogNotifier.unreadableBecause(KMSG).isEmpty(),
                "needs read and write access to /dev/kmsg (root)");
        try (KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            List<KernelLogNotifier.Record> seen = new CopyOnWriteArrayList<>();
            List<String> log = new CopyOnWriteArrayList<>();
            String marker = "reseeddrbg-test-" + UUID.randomUUID();
            try (KernelLogNotifier _ = KernelLogNotifier.start(KMSG, kernel.notifier("vm-snapshot"), log::add, seen::add)) {
                // Asks for facility 0 (<5> = kernel, notice); devkmsg_write files it as facility 1 (user).
                writeKmsg("<5>" + KernelLogNotifier.VM_FORK_MESSAGE);
                writeKmsg("<5>" + marker);
                awaitRecord(seen, marker);
            }
            KernelLogNotifier.Record forged = seen.stream()
                    .filter(r -> r.message().equals(KernelLogNotifier.VM_FORK_MESSAGE)).findFirst().orElseThrow();
            assertEquals(1, forged.facility(), "the kernel refiled the forged record as user");
            assertEquals(0, kernel.page().loadWord(), "a forged record must not bump the page; log: " + log);
        }
    }

    @Test
    void recordsAlreadyInTheBufferDoNotFire() throws Exception {
        assumeTrue(Files.isWritable(KMSG) && KernelLogNotifier.unreadableBecause(KMSG).isEmpty(),
                "needs read and write access to /dev/kmsg (root)");
        String before = "reseeddrbg-test-before-" + UUID.randomUUID();
        String after = "reseeddrbg-test-after-" + UUID.randomUUID();
        writeKmsg("<5>" + before);
        try (KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            List<KernelLogNotifier.Record> seen = new CopyOnWriteArrayList<>();
            try (KernelLogNotifier _ = KernelLogNotifier.start(KMSG, kernel.notifier("vm-snapshot"), line -> { },
                    seen::add)) {
                writeKmsg("<5>" + after);
                awaitRecord(seen, after);
            }
            assertTrue(seen.stream().noneMatch(r -> r.message().equals(before)), "started at the end: " + seen);
            // On a guest that was itself restored from a snapshot (our Firecracker machines are), the
            // buffer holds a real kernel VM-fork record from boot; it must not fire either.
            assertEquals(0, kernel.page().loadWord());
        }
    }

    /**
     * A daemon restarted in the same boot reads on from where the last one stopped: what was
     * logged while it was down is read (a VM-fork record among it would fire), what the last
     * one read is not read again. User records stand in for the kernel's, which only the
     * kernel can write; the firing itself is the same code for both.
     */
    @Test
    void aRestartedNotifierReadsOnFromItsCursor() throws Exception {
        assumeTrue(Files.isWritable(KMSG) && KernelLogNotifier.unreadableBecause(KMSG).isEmpty(),
                "needs read and write access to /dev/kmsg (root)");
        String first = "reseeddrbg-test-first-" + UUID.randomUUID();
        String whileDown = "reseeddrbg-test-while-down-" + UUID.randomUUID();
        String later = "reseeddrbg-test-later-" + UUID.randomUUID();
        Path cursor = dir.resolve("epoch.kmsg-cursor");
        try (KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            List<KernelLogNotifier.Record> seenBefore = new CopyOnWriteArrayList<>();
            try (KernelLogNotifier _ = KernelLogNotifier.start(KMSG, kernel.notifier("vm-snapshot"), line -> { },
                    cursor, seenBefore::add)) {
                writeKmsg("<5>" + first);
                awaitRecord(seenBefore, first);
                awaitCursorAtLeast(cursor, seenBefore.getLast().sequence());
            }
            writeKmsg("<5>" + whileDown);
            List<KernelLogNotifier.Record> seenAfter = new CopyOnWriteArrayList<>();
            List<String> log = new CopyOnWriteArrayList<>();
            try (KernelLogNotifier _ = KernelLogNotifier.start(KMSG, kernel.notifier("vm-snapshot"), log::add,
                    cursor, seenAfter::add)) {
                writeKmsg("<5>" + later);
                awaitRecord(seenAfter, later);
            }
            assertTrue(seenAfter.stream().anyMatch(r -> r.message().equals(whileDown)),
                    "the record logged while it was down is read: " + seenAfter);
            assertTrue(seenAfter.stream().noneMatch(r -> r.message().equals(first)),
                    "the record the last run read is not read again: " + seenAfter);
            assertTrue(log.stream().anyMatch(l -> l.contains("reading on after record")), log.toString());
            assertEquals(0, kernel.page().loadWord(), "user records never fire: " + log);
        }
    }

    /**
     * A cursor of this boot whose sequence number is ahead of the kernel's newest record
     * would skip every record, VM-fork records included: it is distrusted, the notifier
     * fires once (a record an earlier run missed cannot be ruled out), reads on, and the
     * cursor is rewritten.
     */
    @Test
    void aCursorAheadOfTheLogIsDistrustedFiresOnceAndIsRewritten() throws Exception {
        assumeTrue(Files.isWritable(KMSG) && KernelLogNotifier.unreadableBecause(KMSG).isEmpty(),
                "needs read and write access to /dev/kmsg (root)");
        long ahead = 1L << 40;
        Path cursor = dir.resolve("epoch.kmsg-cursor");
        Files.writeString(cursor, Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip() + " " + ahead
                + "\n");
        String after = "reseeddrbg-test-after-a-cursor-ahead-" + UUID.randomUUID();
        try (KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            List<KernelLogNotifier.Record> seen = new CopyOnWriteArrayList<>();
            List<String> log = new CopyOnWriteArrayList<>();
            try (KernelLogNotifier _ = KernelLogNotifier.start(KMSG, kernel.notifier("vm-snapshot"), log::add,
                    cursor, seen::add)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (log.stream().noneMatch(l -> l.contains("cursor is distrusted"))) {
                    assertTrue(System.nanoTime() < deadline, "the cursor was never distrusted: " + log);
                    Thread.sleep(5);
                }
                writeKmsg("<5>" + after);
                awaitRecord(seen, after); // read on: a record after the newest is no longer skipped
                long written = seen.stream().filter(r -> r.message().equals(after)).findFirst().orElseThrow().sequence();
                awaitCursorAtLeast(cursor, written);
                assertTrue(cursorSequence(cursor) < ahead, "the cursor was rewritten from the log");
            }
            assertEquals(1, log.stream().filter(l -> l.contains("says record " + ahead + " was read, but the newest "
                    + "record of this boot is")).count(), "said once: " + log);
            assertEquals(0x01000001, kernel.page().loadWord(), "fired once, conservatively: " + log);
        }
    }

    private static long cursorSequence(Path cursor) throws IOException {
        return Long.parseLong(Files.readString(cursor).strip().split(" ")[1]);
    }

    private static void awaitCursorAtLeast(Path cursor, long sequence) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(cursor) || cursorSequence(cursor) < sequence) {
            assertTrue(System.nanoTime() < deadline, "the cursor never reached " + sequence);
            Thread.sleep(5);
        }
    }

    @Test
    void aMissingDeviceIsRefusedWithItsPath() {
        Path missing = dir.resolve("no-kmsg");
        IOException e = assertThrows(IOException.class,
                () -> KernelLogNotifier.start(missing, null, line -> { }));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("ENOENT"), e.getMessage());
    }

    private static void writeKmsg(String record) throws IOException {
        Files.write(KMSG, (record + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.WRITE);
    }

    private static void awaitRecord(List<KernelLogNotifier.Record> seen, String message) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (seen.stream().noneMatch(r -> r.message().equals(message))) {
            assertTrue(System.nanoTime() < deadline, "the notifier never read '" + message + "'; saw " + seen);
            Thread.sleep(5);
        }
    }
}
