package dev.reseeddrbg.demo;

import dev.reseeddrbg.simkernel.KernelPage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The README's demo: the clone problem and the fix, in one command.
 *
 * <ol>
 * <li>A sim-kernel creates the host's epoch page. "Taking a snapshot" copies it: each
 *     clone is a VM with its own kernel and so its own page.</li>
 * <li>Two child JVMs start as clones of one snapshot: their DRBGs are in the same state
 *     ({@link SnapshotEntropySource} replays the snapshot's seed). Both draw.</li>
 * <li>Each clone's kernel learns it was restored and fires {@code vm-snapshot} on its
 *     page. Both draw again: the naive DRBG still collides; ReseedDRBG reseeded from its
 *     kernel and the clones differ.</li>
 * <li>A {@code timer} notification on clone A only, and the reseed counters.</li>
 * </ol>
 */
public final class CloneDemo {
    private CloneDemo() {
    }

    /** One child JVM and its pipes. */
    private record Clone(String name, Path page, Process process, PrintWriter in, BufferedReader out) {
        String ask(String command) throws IOException {
            in.println(command);
            String line = out.readLine();
            if (line == null) {
                throw new IOException("clone " + name + " exited: " + Files.readString(page.resolveSibling("clone-" + name + ".log")));
            }
            return line;
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("reseeddrbg-demo-");
        Path host = dir.resolve("host-epoch");
        List<Clone> clones = new ArrayList<>();
        try (KernelPage hostKernel = KernelPage.initialize(host)) {
            System.out.println("ReseedDRBG demo: two VMs restored from one snapshot");
            System.out.println("  sim-kernel page " + host + "  " + hostKernel.page().describe(hostKernel.page().loadWord()));
            for (String name : List.of("A", "B")) {
                Path copy = dir.resolve("clone-" + name.toLowerCase() + "-epoch");
                Files.copy(host, copy, StandardCopyOption.COPY_ATTRIBUTES);
                clones.add(start(name, copy));
            }
            System.out.println("  snapshot taken: each clone gets its own copy of the page (its own kernel)");
            System.out.println();

            System.out.println("1. Both clones resume from the snapshot and draw 16 bytes");
            boolean naiveSame1 = compare(clones);

            System.out.println();
            System.out.println("2. Each clone's kernel learns of the restore and fires vm-snapshot");
            for (Clone c : clones) {
                try (KernelPage kernel = KernelPage.open(c.page())) {
                    int word = kernel.notifier("vm-snapshot").fire();
                    System.out.printf("   clone %s page  %s%n", c.name(), kernel.page().describe(word));
                }
            }
            boolean[] after = {false};
            boolean naiveSame2 = compare(clones, after);

            System.out.println();
            System.out.println("3. The timer notifier fires on clone A only");
            try (KernelPage kernel = KernelPage.open(clones.getFirst().page())) {
                System.out.printf("   clone A page  %s%n", kernel.page().describe(kernel.notifier("timer").fire()));
            }
            compare(clones);

            System.out.println();
            System.out.println("4. Reseed counters (MBean dev.reseeddrbg:type=Provider)");
            for (Clone c : clones) {
                System.out.printf("   clone %s  %s%n", c.name(), c.ask("counters"));
            }
            System.out.println();
            boolean reseedDiverged = !after[0];
            System.out.println(naiveSame1 && naiveSame2 && reseedDiverged
                    ? "Verdict: the naive DRBG clones kept drawing the same bytes; ReseedDRBG clones diverged at the first draw after vm-snapshot."
                    : "Verdict: UNEXPECTED - see the rows above.");
            for (Clone c : clones) {
                c.in().println("quit");
            }
        } finally {
            for (Clone c : clones) {
                if (!c.process().waitFor(10, TimeUnit.SECONDS)) {
                    c.process().destroyForcibly();
                }
            }
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static Clone start(String name, Path page) throws IOException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Dreseeddrbg.page=" + page,
                "-Dreseeddrbg.entropySource=" + SnapshotEntropySource.NAME,
                "-D" + SnapshotEntropySource.SEED_PROPERTY + "=c0ffee",
                "-Djava.util.logging.config.file=/dev/null",
                "-cp", System.getProperty("java.class.path"), CloneProcess.class.getName())
                .redirectError(page.resolveSibling("clone-" + name + ".log").toFile())
                .start();
        Clone c = new Clone(name, page, p, new PrintWriter(p.getOutputStream(), true),
                new BufferedReader(new InputStreamReader(p.getInputStream())));
        String ready = c.out().readLine();
        if (ready == null || !ready.startsWith("ready")) {
            throw new IOException("clone " + name + " did not start: " + ready + " "
                    + Files.readString(page.resolveSibling("clone-" + name + ".log")));
        }
        return c;
    }

    private static boolean compare(List<Clone> clones) throws IOException {
        return compare(clones, new boolean[1]);
    }

    /** Draws on both clones and prints them side by side; returns whether the naive columns match. */
    private static boolean compare(List<Clone> clones, boolean[] reseedSame) throws IOException {
        String[] a = clones.get(0).ask("draw").split(" ");
        String[] b = clones.get(1).ask("draw").split(" ");
        System.out.printf("   %-9s %-34s %s%n", "", "naive DRBG", "ReseedDRBG");
        System.out.printf("   clone A   %-34s %s%n", a[0], a[1]);
        System.out.printf("   clone B   %-34s %s%n", b[0], b[1]);
        boolean naiveSame = a[0].equals(b[0]);
        reseedSame[0] = a[1].equals(b[1]);
        System.out.printf("   %-9s %-34s %s%n", "", naiveSame ? "SAME (collision)" : "different",
                reseedSame[0] ? "SAME (collision)" : "different");
        return naiveSame;
    }
}
