package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.ReseedProvider;
import dev.reseeddrbg.provider.entropy.CpuRandom;
import dev.reseeddrbg.provider.epoch.VmClockWatch;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A child JVM playing one clone of a VM snapshot that offers a VMClock page: its entropy
 * source replays the same bytes in every clone (a kernel that has not reseeded yet), and
 * its VMClock page is a file the test bumps, as the hypervisor bumps disruption_marker
 * before the restored guest runs. No daemon and no epoch page: onMissingPage=embedded.
 *
 * <p>It draws once from each of {@code N} instances ("p1 i HEX"), prints "waiting", reads
 * "go" (the VMClock counter has moved by then), draws again ("p2 i HEX"), and prints its
 * counters. The mode sets what is under test: {@code cpu} (the CPU's instruction is
 * mixed in), {@code no-cpu} (no instruction: draws must come from the kernel), or
 * {@code ignore-hazard} (test seam: the restore handled as an ordinary epoch change).
 */
public final class VmClockCloneProbe {
    private VmClockCloneProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int n = Integer.parseInt(args[1]);
        VmClockWatch.allowRegularFileForTest();
        switch (mode) {
            case "cpu" -> {
            }
            case "no-cpu" -> CpuRandom.disableForTest("disabled by the clone test");
            case "ignore-hazard" -> RestoreHazard.ignoreForTest();
            default -> throw new IllegalArgumentException(mode);
        }
        ReseedProvider provider = new ReseedProvider();
        SecureRandom[] clones = new SecureRandom[n];
        for (int i = 0; i < n; i++) {
            clones[i] = SecureRandom.getInstance("ReseedDRBG", provider);
        }
        HexFormat hex = HexFormat.of();
        byte[] out = new byte[32];
        for (int i = 0; i < n; i++) {
            clones[i].nextBytes(out);
            System.out.println("p1 " + i + " " + hex.formatHex(out));
        }
        System.out.println("waiting " + clones[0]);
        System.out.flush();
        String go = new BufferedReader(new InputStreamReader(System.in)).readLine();
        if (!"go".equals(go)) {
            throw new IllegalStateException("expected go, got " + go);
        }
        for (int i = 0; i < n; i++) {
            clones[i].nextBytes(out);
            System.out.println("p2 " + i + " " + hex.formatHex(out));
        }
        ProviderStats stats = ProviderStats.instance();
        System.out.println("counters kernelServed=" + stats.getKernelServedDraws() + " cpuInputs="
                + stats.getCpuInputSeedings() + " vmRestore=" + stats.getReseedsByCause().get("vm-restore")
                + " cpu=" + stats.getCpuRandom().replace(' ', '_'));
    }
}
