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
 * <li><b>vmgenid</b> (ACPI VM_GEN_COUNTER; QEMU, Firecracker, Hyper-V, Cloud Hypervisor):
 *     the kernel's vmgenid driver reseeds the kernel's own RNG on a new generation. It
 *     sends user space no event (Linux 6.8's NEW_VMGENID uevent was reverted), but the
 *     kernel logs the reseed, which is the next source.</li>
 * <li><b>kernel-log</b>: {@code /dev/kmsg}, watched by {@link KernelLogNotifier} for the
 *     record the vmgenid reseed prints. Usable where the vmgenid driver is bound and this
 *     process may read the kernel log.</li>
 * <li><b>vmclock</b> (ACPI VMCLOCK; {@code /dev/vmclock0}, driver ptp_vmclock since Linux
 *     6.13, notifications since 7.0): a page whose {@code vm_generation_counter} (where
 *     flag bit 8 says it is there: Firecracker) or else {@code disruption_marker} (QEMU)
 *     changes on every restore, watched by {@link VmClockNotifier}. The finding names the
 *     field, read from the page's header.</li>
 * <li><b>rndepoch</b>: the 2023 reseed-notification proposal this project simulates
 *     never merged; no kernel offers it.</li>
 * </ul>
 */
public final class VmGenerationSources {
    public static final Path ACPI_DEVICES = Path.of("/sys/bus/acpi/devices");

    /** One finding: what, whether the daemon can use it to notify, and why. */
    public record Finding(String source, boolean usable, String detail) {
        @Override
        public String toString() {
            return source + ": " + (usable ? "usable" : "not usable") + " (" + detail + ")";
        }
    }

    private VmGenerationSources() {
    }

    /** What this machine offers, with the daemon's default devices. */
    public static List<Finding> probe() {
        return probe(ACPI_DEVICES, VmClockNotifier.DEFAULT_DEVICE, KernelLogNotifier.DEFAULT_DEVICE);
    }

    /** What this machine offers, with the given device paths (a sysfs-shaped tree in tests). */
    public static List<Finding> probe(Path acpiDevices, Path vmclockDevice, Path kmsgDevice) {
        List<Finding> findings = new ArrayList<>();
        Optional<Path> vmgenid = acpiDevice(acpiDevices, "VM_GEN_COUNTER");
        Optional<String> driver = vmgenid.map(VmGenerationSources::driver);
        boolean vmgenidBound = driver.filter("vmgenid"::equals).isPresent();
        findings.add(vmgenid.map(dev -> new Finding("vmgenid", false, "ACPI " + dev.getFileName() + ", driver "
                        + driver.orElseThrow() + (vmgenidBound ? "; the kernel reseeds itself on a new generation and "
                        + "logs it, but sends user space no event" : "; no vmgenid driver bound, so the kernel does "
                        + "not reseed on a restore (CONFIG_VMGENID)")))
                .orElse(new Finding("vmgenid", false, "no ACPI VM_GEN_COUNTER device")));
        Optional<String> unreadable = KernelLogNotifier.unreadableBecause(kmsgDevice);
        if (unreadable.isPresent()) {
            findings.add(new Finding("kernel-log", false, unreadable.get()));
        } else if (!vmgenidBound) {
            findings.add(new Finding("kernel-log", false, kmsgDevice + " readable and watched, but without a bound "
                    + "vmgenid driver the kernel never logs '" + KernelLogNotifier.VM_FORK_MESSAGE + "'"));
        } else {
            findings.add(new Finding("kernel-log", true, kmsgDevice + " readable; the record '"
                    + KernelLogNotifier.VM_FORK_MESSAGE + "' fires vm-snapshot"));
        }
        Optional<Path> vmclockAcpi = acpiDevice(acpiDevices, "VMCLOCK");
        if (Files.exists(vmclockDevice)) {
            try {
                findings.add(new Finding("vmclock", true, VmClockNotifier.watching(vmclockDevice,
                        VmClockNotifier.restoreCounter(vmclockDevice))));
            } catch (IOException e) {
                findings.add(new Finding("vmclock", false, e.getMessage()));
            }
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

    /**
     * The driver bound to an ACPI device: up to Linux 6.9 vmgenid is an ACPI driver (the
     * link is the device's own {@code driver}); from 6.10 it is a platform driver (the link
     * is under {@code physical_node}).
     */
    private static String driver(Path dev) {
        for (String link : new String[] {"driver", "physical_node/driver"}) {
            try {
                return Files.readSymbolicLink(dev.resolve(link)).getFileName().toString();
            } catch (IOException | UnsupportedOperationException e) {
                // not bound this way
            }
        }
        return "none";
    }
}
