package dev.reseeddrbg.benchmarks.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a report says about the host it ran on: "AMD EPYC, 2 cores (aes avx2 sha_ni vaes;
 * no avx512f), Linux 6.18.44". A figure without its host is not published: the same code
 * runs several times faster on one CPU than on another, and the peers do not move alike.
 */
final class Machine {
    /** The CPU flags that decide this project's speed: AES and SHA intrinsics, vector widths. */
    static final List<String> FLAGS = List.of("aes", "vaes", "avx2", "avx512f", "sha_ni");

    private Machine() {
    }

    static String describe() {
        String cpu = "unknown CPU";
        Set<String> flags = Set.of();
        try {
            List<String> info = Files.readAllLines(Path.of("/proc/cpuinfo"));
            cpu = info.stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse(cpu);
            flags = info.stream().filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> Set.of(l.substring(l.indexOf(':') + 1).strip().split("\\s+"))).orElse(Set.of());
        } catch (IOException e) {
            // keep "unknown CPU"
        }
        Set<String> seen = flags;
        String present = FLAGS.stream().filter(seen::contains).collect(Collectors.joining(" "));
        String absent = FLAGS.stream().filter(f -> !seen.contains(f)).collect(Collectors.joining(" "));
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores (" + present
                + (absent.isEmpty() ? "" : "; no " + absent) + "), " + System.getProperty("os.name") + " "
                + System.getProperty("os.version");
    }
}
