package dev.reseeddrbg.simkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VM-generation probe on sysfs-shaped trees, and the VMClock notifier on a VMClock-shaped page file. */
class VmGenerationTest {
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    @Test
    void probeReportsWhatThisMachineHas() {
        List<VmGenerationSources.Finding> findings = VmGenerationSources.probe();
        assertEquals(List.of("vmgenid", "vmclock", "rndepoch"), findings.stream().map(VmGenerationSources.Finding::source).toList());
        assertFalse(findings.get(2).usable());
    }

    @Test
    void probeRecognisesFirecrackerDevices() throws IOException {
        Path acpi = dir.resolve("acpi");
        Path vmgen = Files.createDirectories(acpi.resolve("VMGENCTR:00"));
        Files.writeString(vmgen.resolve("modalias"), "acpi:VMGENCTR:VM_GEN_COUNTER:\n");
        Path driver = Files.createDirectories(dir.resolve("drivers/vmgenid"));
        Files.createDirectories(vmgen.resolve("physical_node"));
        Files.createSymbolicLink(vmgen.resolve("physical_node/driver"), driver);
        Path clock = Files.createDirectories(acpi.resolve("AMZNC10C:00"));
        Files.writeString(clock.resolve("modalias"), "acpi:AMZNC10C:VMCLOCK:\n");

        List<VmGenerationSources.Finding> on618 = VmGenerationSources.probe(acpi, dir.resolve("vmclock0"), "6.18.44");
        assertFalse(on618.get(0).usable());
        assertTrue(on618.get(0).detail().contains("driver vmgenid"), on618.toString());
        assertTrue(on618.get(1).detail().contains("no driver bound"), on618.toString());
        assertTrue(VmGenerationSources.probe(acpi, dir.resolve("vmclock0"), "6.8.0").get(0).usable());
        Files.write(dir.resolve("vmclock0"), new byte[4096]);
        assertTrue(VmGenerationSources.probe(acpi, dir.resolve("vmclock0"), "6.18").get(1).usable());
    }

    @Test
    void vmClockGenerationChangeFiresVmSnapshot() throws Exception {
        Path device = dir.resolve("vmclock0");
        Files.write(device, new byte[4096]);
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofShared();
             KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            MemorySegment hv = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, arena);
            hv.set(LE_INT, 0, VmClockNotifier.MAGIC);
            hv.set(LE_LONG, VmClockNotifier.FLAGS, VmClockNotifier.FLAG_VM_GEN_COUNTER_PRESENT);
            hv.set(LE_LONG, VmClockNotifier.VM_GENERATION_COUNTER, 7);
            CountDownLatch fired = new CountDownLatch(1);
            try (VmClockNotifier n = VmClockNotifier.start(device, kernel.notifier("vm-snapshot"), Duration.ofMillis(2),
                    w -> fired.countDown())) {
                Thread.sleep(50);
                assertEquals(0, kernel.page().loadWord(), "no change, no notification");
                // The hypervisor restores the VM: seqcount odd, new generation, seqcount even.
                hv.set(LE_INT, VmClockNotifier.SEQ_COUNT, 1);
                hv.set(LE_LONG, VmClockNotifier.VM_GENERATION_COUNTER, 8);
                hv.set(LE_INT, VmClockNotifier.SEQ_COUNT, 2);
                assertTrue(fired.await(10, TimeUnit.SECONDS));
            }
            assertEquals(0x01000001, kernel.page().loadWord());
        }
    }

    @Test
    void vmClockWithoutGenerationCounterIsRefused() throws Exception {
        Path device = dir.resolve("vmclock0");
        byte[] bytes = new byte[4096];
        MemorySegment.ofArray(bytes).set(LE_INT, 0, VmClockNotifier.MAGIC);
        Files.write(device, bytes);
        try (KernelPage kernel = KernelPage.initialize(dir.resolve("epoch"))) {
            IOException e = assertThrows(IOException.class, () -> VmClockNotifier.start(device,
                    kernel.notifier("vm-snapshot"), Duration.ofMillis(2), w -> { }));
            assertTrue(e.getMessage().contains("flag bit 8"), e.getMessage());
        }
    }
}
