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
    /** Instances per JVM in the Error tests: each draw after the notification sweeps the stack, so fewer. */
    private static final int ERROR_PAIRS = 30;

    @TempDir
    Path dir;

    private record Worker(Process process, PrintWriter in, BufferedReader out) {
        List<String> read(String phase) throws IOException {
            return read(phase, PAIRS);
        }

        List<String> read(String phase, int pairs) throws IOException {
            return read(phase, pairs, new ArrayList<>());
        }

        /** The values of {@code phase}'s lines; each line's fourth field, if any, goes to {@code extra}. */
        List<String> read(String phase, int pairs, List<String> extra) throws IOException {
            List<String> values = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                String line = out.readLine();
                if (line == null) {
                    throw new IOException("worker ended early");
                }
                String[] parts = line.split(" ");
                assertEquals(phase, parts[0], line);
                assertEquals(Integer.toString(i), parts[1], line);
                values.add(parts[2]);
                if (parts.length > 3) {
                    extra.add(parts[3]);
                }
            }
            return values;
        }
    }

    private Worker start(Path page, String config) throws IOException {
        return start(page, config, "plain", List.of(), PAIRS);
    }

    private Worker start(Path page, String config, String mode, List<String> jvmOptions, int pairs) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dreseeddrbg.page=" + page,
                "-Dreseeddrbg.onMissingPage=fail", "-Dreseeddrbg.config=" + config,
                "-Dreseeddrbg.entropySource=" + SnapshotEntropySource.NAME));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), CloneWorker.class.getName(),
                Integer.toString(pairs), mode));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        return new Worker(p, new PrintWriter(p.getOutputStream(), true),
                new BufferedReader(new InputStreamReader(p.getInputStream())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"CTR_DRBG,AES-256,256", "Hash_DRBG,SHA-256,256", "HMAC_DRBG,SHA-512,256"})
    void clonesCollideUntilTheNotificationAndNeverAfter(String config) throws Exception {
        List<Path> pages = clonePages();
        Path pageA = pages.get(0);
        Path pageB = pages.get(1);
        Worker a = start(pageA, config);
        Worker b = start(pageB, config);
        try {
            List<String> a1 = a.read("p1");
            List<String> b1 = b.read("p1");
            assertEquals(a1, b1, "clones of one snapshot draw the same bytes before any notification");
            assertEquals(PAIRS, new HashSet<>(a1).size(), "different snapshots differ");
            assertEquals("waiting", a.out().readLine());
            assertEquals("waiting", b.out().readLine());

            notifyVmSnapshot(pages);
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

    /**
     * G1 under an Error: an application that catches a StackOverflowError or an
     * OutOfMemoryError from its first draw after the notification, and draws again, must
     * get bytes no other clone gets. The Error strikes right after the state saw the new
     * word; if the word were recorded before the old engine and its buffer were dropped,
     * the retried draw would serve the pre-snapshot state under the new word, identical in
     * both clones.
     */
    @ParameterizedTest
    @ValueSource(strings = {"stack-overflow", "heap-exhaustion"})
    void anErrorInTheFirstDrawAfterTheNotificationLeavesNoSharedState(String mode) throws Exception {
        List<Path> pages = clonePages();
        Path pageA = pages.get(0);
        Path pageB = pages.get(1);
        // A small serial-GC heap fills quickly and predictably; interpreted and compiled
        // frames both occur in the stack sweep, as in an application.
        List<String> options = mode.equals("heap-exhaustion") ? List.of("-Xmx48m", "-XX:+UseSerialGC") : List.of();
        String config = "CTR_DRBG,AES-256,256";
        Worker a = start(pageA, config, mode, options, ERROR_PAIRS);
        Worker b = start(pageB, config, mode, options, ERROR_PAIRS);
        try {
            List<String> a1 = a.read("p1", ERROR_PAIRS);
            assertEquals(a1, b.read("p1", ERROR_PAIRS), "clones of one snapshot draw the same bytes before any notification");
            assertEquals("waiting", a.out().readLine());
            assertEquals("waiting", b.out().readLine());
            notifyVmSnapshot(pages);
            a.in().println("go");
            b.in().println("go");
            List<String> errorsA = new ArrayList<>();
            List<String> errorsB = new ArrayList<>();
            List<String> a2 = a.read("p2", ERROR_PAIRS, errorsA);
            List<String> b2 = b.read("p2", ERROR_PAIRS, errorsB);
            long struck = java.util.stream.Stream.concat(errorsA.stream(), errorsB.stream())
                    .filter(n -> !n.equals("0")).count();
            assertTrue(struck >= ERROR_PAIRS, "the " + mode + " struck the first draw after the notification in at least "
                    + ERROR_PAIRS + " of " + 2 * ERROR_PAIRS + " draws (else this test shows nothing): " + struck);
            Set<String> all = new HashSet<>(a1);
            all.addAll(a2);
            all.addAll(b2);
            assertEquals(3 * ERROR_PAIRS, all.size(), "after a " + mode + " in the first draw after vm-snapshot, no "
                    + "output collides with any other: " + (3 * ERROR_PAIRS - all.size()) + " collisions");
        } finally {
            for (Worker w : List.of(a, b)) {
                assertTrue(w.process().waitFor(120, TimeUnit.SECONDS) || w.process().destroyForcibly() == null);
            }
        }
        assertEquals(0, a.process().exitValue());
        assertEquals(0, b.process().exitValue());
    }

    /** One host page copied twice: each clone of the snapshot gets the page as it was. */
    private List<Path> clonePages() throws IOException {
        Path host = dir.resolve("host");
        KernelPage.initialize(host).close();
        return List.of(Files.copy(host, dir.resolve("clone-a")), Files.copy(host, dir.resolve("clone-b")));
    }

    /** What each clone's kernel does on its restore: vm-snapshot on its own page. */
    private static void notifyVmSnapshot(List<Path> pages) throws IOException {
        for (Path page : pages) {
            try (KernelPage kernel = KernelPage.open(page)) {
                kernel.notifier("vm-snapshot").fire();
            }
        }
    }
}
