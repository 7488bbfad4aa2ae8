package dev.reseeddrbg.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.simkernel.KernelPage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reason the product exists, with real processes: two JVMs restored from the same
 * 100 snapshots, each with its own copy of the page. Before a notification every pair
 * draws the same bytes (so the test can fail); after vm-snapshot on each copy no output
 * of either JVM collides with any other.
 */
class CloneCollisionTest {
    private static final int PAIRS = 100;

    @TempDir
    Path dir;

    private record Worker(Process process, PrintWriter in, BufferedReader out) {
        List<String> read(String phase) throws IOException {
            List<String> values = new ArrayList<>();
            for (int i = 0; i < PAIRS; i++) {
                String line = out.readLine();
                if (line == null) {
                    throw new IOException("worker ended early");
                }
                String[] parts = line.split(" ");
                assertEquals(phase, parts[0], line);
                assertEquals(Integer.toString(i), parts[1], line);
                values.add(parts[2]);
            }
            return values;
        }
    }

    private Worker start(Path page, String config) throws IOException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dreseeddrbg.page=" + page,
                "-Dreseeddrbg.onMissingPage=fail", "-Dreseeddrbg.config=" + config,
                "-Dreseeddrbg.entropySource=" + SnapshotEntropySource.NAME,
                "-cp", System.getProperty("java.class.path"), CloneWorker.class.getName(), Integer.toString(PAIRS))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        return new Worker(p, new PrintWriter(p.getOutputStream(), true),
                new BufferedReader(new InputStreamReader(p.getInputStream())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"CTR_DRBG,AES-256,256", "Hash_DRBG,SHA-256,256", "HMAC_DRBG,SHA-512,256"})
    void clonesCollideUntilTheNotificationAndNeverAfter(String config) throws Exception {
        Path host = dir.resolve("host");
        KernelPage.initialize(host).close();
        Path pageA = Files.copy(host, dir.resolve("clone-a"));
        Path pageB = Files.copy(host, dir.resolve("clone-b"));
        Worker a = start(pageA, config);
        Worker b = start(pageB, config);
        try {
            List<String> a1 = a.read("p1");
            List<String> b1 = b.read("p1");
            assertEquals(a1, b1, "clones of one snapshot draw the same bytes before any notification");
            assertEquals(PAIRS, new HashSet<>(a1).size(), "different snapshots differ");
            assertEquals("waiting", a.out().readLine());
            assertEquals("waiting", b.out().readLine());

            for (Path page : List.of(pageA, pageB)) {
                try (KernelPage kernel = KernelPage.open(page)) {
                    kernel.notifier("vm-snapshot").fire();
                }
            }
            a.in().println("go");
            b.in().println("go");
            List<String> a2 = a.read("p2");
            List<String> b2 = b.read("p2");
            Set<String> all = new HashSet<>(a1);
            all.addAll(a2);
            all.addAll(b2);
            assertEquals(3 * PAIRS, all.size(), "after vm-snapshot no output collides with any other");
            for (int i = 0; i < PAIRS; i++) {
                assertNotEquals(a2.get(i), b2.get(i));
            }
        } finally {
            for (Worker w : List.of(a, b)) {
                assertTrue(w.process().waitFor(60, TimeUnit.SECONDS) || w.process().destroyForcibly() == null);
            }
        }
        assertEquals(0, a.process().exitValue());
        assertEquals(0, b.process().exitValue());
    }
}
