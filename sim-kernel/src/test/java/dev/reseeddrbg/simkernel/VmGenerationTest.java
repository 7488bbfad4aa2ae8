package dev.reseeddrbg.simkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.page.VmClockLayout;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VM-generation probe on sysfs-shaped trees, and the VMClock notifier on a VMClock-shaped page file. */
class VmGenerationTest {
    private static final ValueLayout.OfLong LE_LONG = VmClockLayout.LE_LONG;
    private static final ValueLayout.OfShort LE_SHORT = VmClockLayout.LE_SHORT;
    private static final ValueLayout.OfInt LE_INT = VmClockLayout.LE_INT;

    @TempDir
    Path dir;

    private static Optional<String> noReseed(byte[] ignored) {
        return Optional.empty();
    }

    @Test
    void probeNamesEverySourceAndTheKernelLogFollowsTheVmgenidDriver() throws IOException {
        Path acpi = dir.resolve("acpi");
        Path kmsg = dir.resolve("kmsg");
        Files.writeString(kmsg, ""); // a readable file stands in for /dev/kmsg
        assertEquals(List.of("vmgenid", "kernel-log", "vmclock", "rndepoch"), VmGenerationSources.probe(acpi,
                dir.resolve("vmclock0"), kmsg).stream().map(VmGenerationSources.Finding::source).toList());
        assertFalse(VmGenerationSources.probe(acpi, dir.resolve("vmclock0"), kmsg).get(1).usable(),
                "no vmgenid device: the kernel never logs a fork");

        Path vmgen = Files.createDirectories(acpi.resolve("QEMUVGID:00"));
        Files.writeString(vmgen.resolve("modalias"), "acpi:QEMUVGID:VM_GEN_COUNTER:\n");
        Path driver = Files.createDirectories(dir.resolve("drivers/vmgenid"));
        Files.createDirectories(vmgen.resolve("physical_node"));
        Files.createSymbolicLink(vmgen.resolve("physical_node/driver"), driver);
        List<VmGenerationSources.Finding> bound = VmGenerationSources.probe(acpi, dir.resolve("vmclock0"), kmsg);
        assertFalse(bound.get(0).usable(), "vmgenid itself tells user space nothing");
        assertTrue(bound.get(0).detail().contains("driver vmgenid"), bound.toString());
        assertTrue(bound.get(1).usable(), bound.toString());
        List<VmGenerationSources.Finding> noLog = VmGenerationSources.probe(acpi, dir.resolve("vmclock0"),
                dir.resolve("missing-kmsg"));
        assertFalse(noLog.get(1).usable());
        assertTrue(noLog.get(1).detail().contains("missing-kmsg"), noLog.toString());
    }

    @Test
    void probeFindsTheVmgenidDriverBoundAsAnAcpiDriver() throws IOException {
        // Linux up to 6.9 (Debian 12's 6.1 among them) binds vmgenid to the ACPI device itself.
        Path acpi = dir.resolve("acpi");
        Path kmsg = Files.writeString(dir.resolve("kmsg"), "");
        Path vmgen = Files.createDirectories(acpi.resolve("QEMUVGID:00"));
        Files.writeString(vmgen.resolve("modalias"), "acpi:QEMUVGID:VM_GEN_COUNTER:\n");
        assertFalse(VmGenerationSources.probe(acpi, dir.resolve("vmclock0"), kmsg).get(1).usable(), "not bound yet");
        Files.createSymbolicLink(vmgen.resolve("driver"), Files.createDirectories(dir.resolve("acpi-drivers/vmgenid")));
        List<VmGenerationSources.Finding> bound = VmGenerationSources.probe(acpi, dir.resolve("vmclock0"), kmsg);
        assertTrue(bound.get(0).detail().contains("driver vmgenid"), bound.toString());
        assertTrue(bound.get(1).usable(), bound.toString());
    }

    @Test
    void probeRecognisesFirecrackerDevices() throws IOException {
        Path acpi = dir.resolve("acpi");
        Path clock = Files.createDirectories(acpi.resolve("AMZNC10C:00"));
        Files.writeString(clock.resolve("modalias"), "acpi:AMZNC10C:VMCLOCK:\n");
        List<VmGenerationSources.Finding> noDriver = VmGenerationSources.probe(acpi, dir.resolve("vmclock0"),
                dir.resolve("kmsg"));
        assertTrue(noDriver.get(2).detail().contains("no driver bound"), noDriver.toString());
        try (Arena arena = Arena.ofShared()) {
            hypervisorPage(dir.resolve("vmclock0"), arena, VmClockLayout.FLAG_VM_GEN_COUNTER_PRESENT, 0);
        }
        assertTrue(VmGenerationSources.probe(acpi, dir.resolve("vmclock0"), dir.resolve("kmsg")).get(2).usable());
    }

    /** A VMClock-shaped page file, mapped as the hypervisor writes it. */
    private MemorySegment hypervisorPage(Path device, Arena arena, long flags, int seq) throws IOException {
        Files.write(device, new byte[4096]);
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment hv = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, arena);
            hv.set(LE_INT, 0, VmClockLayout.MAGIC);
            hv.set(LE_INT, VmClockLayout.SIZE_OFFSET, 4096);
            hv.set(LE_SHORT, VmClockLayout.VERSION_OFFSET, (short) 1);
            hv.set(LE_INT, VmClockLayout.SEQ_COUNT_OFFSET, seq);
            hv.set(LE_LONG, VmClockLayout.FLAGS_OFFSET, flags);
            hv.set(LE_LONG, VmClockLayout.DISRUPTION_MARKER_OFFSET, 3);
            hv.set(LE_LONG, VmClockLayout.VM_GENERATION_COUNTER_OFFSET, 7);
            return hv;
        }
    }

    private static void restore(MemorySegment hv, long generation) {
        // The hypervisor restores the VM: seqcount odd, new generation, seqcount even.
        setUnderSeqCount(hv, VmClockLayout.VM_GENERATION_COUNTER_OFFSET, generation);
    }

    /** The hypervisor writes one counter as it does: seqcount odd, the new value, seqcount even. */
    private static void setUnderSeqCount(MemorySegment hv, long offset, long value) {
        int seq = hv.get(LE_INT, VmClockLayout.SEQ_COUNT_OFFSET);
        hv.set(LE_INT, VmClockLayout.SEQ_COUNT_OFFSET, seq + 1);
        hv.set(LE_LONG, offset, value);
        hv.set(LE_INT, VmClockLayout.SEQ_COUNT_OFFSET, seq + 2);
    }

    @Test
    void vmClockGenerationChangeReseedsTheKernelFirstThenFiresVmSnapshot() throws Exception {
        assertARestoreReseedsTheKernelFirstThenFires(VmClockLayout.FLAG_VM_GEN_COUNTER_PRESENT,
                VmClockLayout.RestoreCounter.VM_GENERATION_COUNTER);
    }

    /**
     * QEMU 10 sets no flags and moves disruption_marker on restore (in the device's
     * post_load, before the guest runs); the notifier watches the marker there.
     */
    @Test
    void withoutTheGenerationCounterADisruptionMarkerChangeFires() throws Exception {
        assertARestoreReseedsTheKernelFirstThenFires(0, VmClockLayout.RestoreCounter.DISRUPTION_MARKER);
    }

    /** On a page with these flags, a restore that moves {@code counter} reseeds the kernel, then bumps the page. */
    private void assertARestoreReseedsTheKernelFirstThenFires(long flags, VmClockLayout.RestoreCounter counter)
            throws Exception {
        Path device = dir.resolve("vmclock0");
        try (Arena arena = Arena.ofShared();
             KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            MemorySegment hv = hypervisorPage(device, arena, flags, 0);
            List<Integer> wordAtReseed = new CopyOnWriteArrayList<>();
            List<String> log = new CopyOnWriteArrayList<>();
            CountDownLatch fired = new CountDownLatch(1);
            try (VmClockNotifier n = VmClockNotifier.start(device, kernel.notifier("vm-snapshot"), Duration.ofMillis(2),
                    peculiar -> {
                        wordAtReseed.add(kernel.page().loadWord());
                        return Optional.empty();
                    }, line -> {
                        log.add(line);
                        fired.countDown();
                    })) {
                assertEquals(counter, n.counter());
                assertTrue(n.watching().contains("watching " + counter.field()), n.watching());
                assertFalse(n.usesPoll(), "no notification flag: the page is read every period");
                Thread.sleep(50);
                assertEquals(0, kernel.page().loadWord(), "no change, no notification");
                setUnderSeqCount(hv, counter.offset(), 8);
                assertTrue(fired.await(10, TimeUnit.SECONDS), "the restore was not noticed");
            }
            assertEquals(0x01000001, kernel.page().loadWord());
            assertEquals(List.of(0), wordAtReseed, "the kernel was reseeded before the page was bumped");
            assertTrue(log.getFirst().contains("VMClock " + counter.field() + " is now 8; kernel RNG reseeded first"),
                    log.toString());
        }
    }

    @Test
    void aFailedKernelReseedIsSaidInTheNotificationLine() throws Exception {
        Path device = dir.resolve("vmclock0");
        try (Arena arena = Arena.ofShared();
             KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            MemorySegment hv = hypervisorPage(device, arena, VmClockLayout.FLAG_VM_GEN_COUNTER_PRESENT
                    | VmClockLayout.FLAG_NOTIFICATION_PRESENT, 0);
            List<String> log = new CopyOnWriteArrayList<>();
            CountDownLatch fired = new CountDownLatch(1);
            try (VmClockNotifier n = VmClockNotifier.start(device, kernel.notifier("vm-snapshot"), Duration.ofHours(1),
                    peculiar -> Optional.of("ioctl RNDRESEEDCRNG: EPERM"), line -> {
                        log.add(line);
                        fired.countDown();
                    })) {
                assertTrue(n.usesPoll(), "notification flag set: the notifier waits in poll(), not for the period");
                restore(hv, 9);
                assertTrue(fired.await(10, TimeUnit.SECONDS), "poll() woke the notifier long before its 1 h period");
            }
            assertTrue(log.getFirst().contains("NOT forced to reseed first: ioctl RNDRESEEDCRNG: EPERM"), log.toString());
        }
    }

    @Test
    void aSeqCountThatStaysOddIsBoundedAtStartAndWhileRunning() throws Exception {
        Path device = dir.resolve("vmclock0");
        try (Arena arena = Arena.ofShared();
             KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            MemorySegment hv = hypervisorPage(device, arena, VmClockLayout.FLAG_VM_GEN_COUNTER_PRESENT, 1);
            IOException e = assertThrows(IOException.class, () -> VmClockNotifier.start(device,
                    kernel.notifier("vm-snapshot"), Duration.ofMillis(2), VmGenerationTest::noReseed, line -> { }));
            assertTrue(e.getMessage().contains("did not settle in " + VmClockNotifier.MAX_READ_ATTEMPTS), e.getMessage());

            hv.set(LE_INT, VmClockLayout.SEQ_COUNT_OFFSET, 2);
            List<String> log = new CopyOnWriteArrayList<>();
            try (VmClockNotifier _ = VmClockNotifier.start(device, kernel.notifier("vm-snapshot"), Duration.ofMillis(2),
                    VmGenerationTest::noReseed, log::add)) {
                hv.set(LE_INT, VmClockLayout.SEQ_COUNT_OFFSET, 3); // a hypervisor stuck mid-update
                hv.set(LE_LONG, VmClockLayout.VM_GENERATION_COUNTER_OFFSET, 8);
                for (int i = 0; i < 1000 && log.isEmpty(); i++) {
                    Thread.sleep(10);
                }
                assertTrue(log.getFirst().contains("seq_count stayed odd"), log.toString());
                assertEquals(0, kernel.page().loadWord(), "a half-written page is never trusted");
                hv.set(LE_INT, VmClockLayout.SEQ_COUNT_OFFSET, 4); // it finishes
                for (int i = 0; i < 1000 && kernel.page().loadWord() == 0; i++) {
                    Thread.sleep(10);
                }
            }
            assertEquals(0x01000001, kernel.page().loadWord(), "the notifier kept watching and saw the restore");
            assertEquals(1, log.stream().filter(l -> l.contains("stayed odd")).count(), "reported once: " + log);
        }
    }

    /**
     * Where the page has vm_generation_counter, a live migration (disruption_marker moves,
     * the generation does not) is no restore and does not fire.
     */
    @Test
    void withTheGenerationCounterADisruptionMarkerChangeAloneDoesNotFire() throws Exception {
        Path device = dir.resolve("vmclock0");
        try (Arena arena = Arena.ofShared();
             KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            MemorySegment hv = hypervisorPage(device, arena, VmClockLayout.FLAG_VM_GEN_COUNTER_PRESENT, 0);
            List<String> log = new CopyOnWriteArrayList<>();
            try (VmClockNotifier n = VmClockNotifier.start(device, kernel.notifier("vm-snapshot"), Duration.ofMillis(2),
                    VmGenerationTest::noReseed, log::add)) {
                assertEquals(VmClockLayout.RestoreCounter.VM_GENERATION_COUNTER, n.counter());
                setUnderSeqCount(hv, VmClockLayout.DISRUPTION_MARKER_OFFSET, 4);
                Thread.sleep(200); // a hundred reads at the 2 ms period
                assertEquals(0, kernel.page().loadWord(), "a live migration fired the notifier: " + log);
                restore(hv, 8); // still watching: a restore after it fires
                for (int i = 0; i < 1000 && kernel.page().loadWord() == 0; i++) {
                    Thread.sleep(10);
                }
            }
            assertEquals(0x01000001, kernel.page().loadWord(), log.toString());
        }
    }

    @Test
    void theProbeStatusPrintsNamesTheWatchedField() throws Exception {
        Path acpi = dir.resolve("acpi");
        Path device = dir.resolve("vmclock0");
        try (Arena arena = Arena.ofShared()) {
            hypervisorPage(device, arena, 0, 0);
            VmGenerationSources.Finding qemu = VmGenerationSources.probe(acpi, device, dir.resolve("kmsg")).get(2);
            assertTrue(qemu.usable(), qemu.toString());
            assertTrue(qemu.detail().contains(device + ", watching disruption_marker"), qemu.toString());
            hypervisorPage(device, arena, VmClockLayout.FLAG_VM_GEN_COUNTER_PRESENT, 0);
            VmGenerationSources.Finding firecracker = VmGenerationSources.probe(acpi, device, dir.resolve("kmsg")).get(2);
            assertTrue(firecracker.detail().contains(device + ", watching vm_generation_counter"), firecracker.toString());
        }
    }

    @Test
    void aPageThatIsNoVmClockIsRefusedWithItsReason() throws Exception {
        Path device = dir.resolve("vmclock0");
        try (Arena arena = Arena.ofShared();
             KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            MemorySegment hv = hypervisorPage(device, arena, 0, 0);
            hv.set(LE_SHORT, VmClockLayout.VERSION_OFFSET, (short) 2);
            IOException e = assertThrows(IOException.class, () -> VmClockNotifier.start(device,
                    kernel.notifier("vm-snapshot"), Duration.ofMillis(2), VmGenerationTest::noReseed, line -> { }));
            assertTrue(e.getMessage().contains("VMClock version 2"), e.getMessage());
            hv.set(LE_INT, VmClockLayout.MAGIC_OFFSET, 0);
            VmGenerationSources.Finding finding = VmGenerationSources.probe(dir.resolve("acpi"), device,
                    dir.resolve("kmsg")).get(2);
            assertFalse(finding.usable(), finding.toString());
            assertTrue(finding.detail().contains("is not a VMClock page"), finding.toString());
        }
    }
}
