package dev.reseeddrbg.simkernel;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What this Linux guest offers for learning that the VM was restored from a snapshot,
 * found at start and reported by {@code simkernel status} and {@code run}.
 *
 * <ul>
 * <li><b>vmgenid</b> (ACPI VM_GEN_COUNTER; Firecracker, QEMU, Hyper-V): the kernel's
 *     vmgenid driver reseeds the kernel's own RNG on a generation change. Only Linux 6.8
 *     also sent user space a {@code NEW_VMGENID} uevent; on other kernels user space
 *     cannot see the change through it.</li>
 * <li><b>VMClock</b> (ACPI VMCLOCK; {@code /dev/vmclock0}, Linux 6.13+ driver
 *     ptp_vmclock): a page user space can map, whose {@code vm_generation_counter}
 *     changes on every restore when flag bit 8 is set. Usable here: see
 *     {@link VmClockNotifier}.</li>
 * <li><b>RNDEPOCH</b>: the 2023 reseed-notification proposal this project simulates
 *     never merged; no kernel offers it.</li>
 * </ul>
 */
public final class VmGenerationSources {
    public static final Path ACPI_DEVICES = Path.of("/sys/bus/acpi/devices");
    public static final Path VMCLOCK_DEVICE = Path.of("/dev/vmclock0");

    /** One finding: what, whether user space can use it to notify, and why. */
    public record Finding(String source, boolean usable, String detail) {
        @Override
        public String toString() {
            return source + ": " + (usable ? "usable" : "not usable") + " (" + detail + ")";
        }
    }

    private VmGenerationSources() {
    }

    public static List<Finding> probe() {
        return probe(ACPI_DEVICES, VMCLOCK_DEVICE, System.getProperty("os.version", "?"));
    }

    static List<Finding> probe(Path acpiDevices, Path vmclockDevice, String kernel) {
        List<Finding> findings = new ArrayList<>();
        Optional<Path> vmgenid = acpiDevice(acpiDevices, "VM_GEN_COUNTER");
        boolean uevent = kernel.startsWith("6.8.") || kernel.equals("6.8");
        findings.add(vmgenid.map(dev -> new Finding("vmgenid", uevent, "ACPI " + dev.getFileName() + ", driver "
                        + driver(dev) + "; the kernel reseeds itself on a new generation; "
                        + (uevent ? "Linux 6.8 sends NEW_VMGENID uevents" : "kernel " + kernel
                        + " sends no NEW_VMGENID uevent (only 6.8 did)")))
                .orElse(new Finding("vmgenid", false, "no ACPI VM_GEN_COUNTER device")));
        Optional<Path> vmclockAcpi = acpiDevice(acpiDevices, "VMCLOCK");
        if (Files.exists(vmclockDevice)) {
            findings.add(new Finding("vmclock", true, vmclockDevice + " present; its vm_generation_counter is watched"));
        } else {
            findings.add(new Finding("vmclock", false, vmclockAcpi
                    .map(dev -> "ACPI " + dev.getFileName() + " present but " + vmclockDevice
                            + " missing: no driver bound (ptp_vmclock, Linux 6.13+)")
                    .orElse("no ACPI VMCLOCK device")));
        }
        findings.add(new Finding("rndepoch", false, "the 2023 reseed-notification proposal never merged"));
        return findings;
    }

    private static Optional<Path> acpiDevice(Path acpiDevices, String cid) {
        if (!Files.isDirectory(acpiDevices)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> devices = Files.newDirectoryStream(acpiDevices)) {
            for (Path dev : devices) {
                Path modalias = dev.resolve("modalias");
                if (Files.isReadable(modalias) && Files.readString(modalias).contains(":" + cid + ":")) {
                    return Optional.of(dev);
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static String driver(Path dev) {
        try {
            return Files.readSymbolicLink(dev.resolve("physical_node/driver")).getFileName().toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "none";
        }
    }
}
