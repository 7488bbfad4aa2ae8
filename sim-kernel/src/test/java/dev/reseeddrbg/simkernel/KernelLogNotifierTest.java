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
