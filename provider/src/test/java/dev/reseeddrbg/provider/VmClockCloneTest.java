package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.page.VmClockLayout;
import dev.reseeddrbg.provider.engine.VmClockCloneProbe;
import dev.reseeddrbg.provider.testing.ChildJvm;
import dev.reseeddrbg.provider.testing.TestEntropySources;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restore hazard (docs/threat-model.md, G22 and G23), with real processes: two JVMs
 * restored from one simulated snapshot that offers a VMClock page and no epoch page. Their
 * entropy source replays the same bytes in both (a guest kernel that has not reseeded
 * yet), and the test bumps each clone's disruption_marker as the hypervisor does before
 * the restored guest runs.
 * <ul>
 * <li>with the CPU's random instruction, the clones differ from the first draw after the
 *     restore, because of that input: with the hazard ignored (test seam) the same clones
 *     collide;</li>
 * <li>without the instruction, the draws after the restore come from the kernel, not from
 *     a state seeded with the replayed bytes alone.</li>
 * </ul>
 */
class VmClockCloneTest {
    private static final int INSTANCES = 20;

    @TempDir
    Path dir;

    private record Clone(Process process, PrintWriter in, BufferedReader out, Path vmclock) {
        List<String> read(String phase) throws IOException {
            List<String> values = new ArrayList<>();
            for (int i = 0; i < INSTANCES; i++) {
                String line = out.readLine();
                if (line == null) {
                    throw new IOException("clone ended early");
                }
                String[] parts = line.split(" ");
                assertEquals(phase, parts[0], line);
                values.add(parts[2]);
            }
            return values;
        }
    }

    @Test
    void withTheCpusInputClonesDifferFromTheFirstDrawAfterTheRestore() throws Exception {
        List<List<String>> after = restoreTwice("cpu");
        assumeCpuInstruction(after);
        for (int i = 0; i < INSTANCES; i++) {
            assertNotEquals(after.get(0).get(i), after.get(1).get(i), "instance " + i + " collided after the restore");
        }
        assertTrue(after.get(2).get(0).contains("cpuInputs=" + INSTANCES), after.get(2).toString());
        assertTrue(after.get(2).get(0).contains("kernelServed=0"), after.get(2).toString());
    }

    @Test
    void withTheHazardIgnoredTheSameClonesCollide() throws Exception {
        List<List<String>> after = restoreTwice("ignore-hazard");
        assertEquals(after.get(0), after.get(1), "a reseed from the replayed kernel bytes alone gives every clone the "
                + "same state: this is what the CPU's input prevents");
        assertTrue(after.get(2).get(0).contains("vmRestore=" + INSTANCES), after.get(2).toString());
    }

    @Test
    void withoutACpuInstructionDrawsAfterTheRestoreComeFromTheKernel() throws Exception {
        List<List<String>> after = restoreTwice("no-cpu");
        for (int i = 0; i < INSTANCES; i++) {
            assertNotEquals(after.get(0).get(i), after.get(1).get(i), "instance " + i + " collided after the restore");
        }
        String counters = after.get(2).get(0);
        assertTrue(counters.contains("kernelServed=" + INSTANCES) && counters.contains("vmRestore=0")
                && counters.contains("cpuInputs=0"), "no state is seeded while the hazard is open: " + counters);
    }

    private static void assumeCpuInstruction(List<List<String>> after) {
        org.junit.jupiter.api.Assumptions.assumeFalse(after.get(2).get(0).contains("cpu=unavailable"),
                "this CPU has no random instruction: " + after.get(2));
    }

    /** Runs both clones through one restore; their p2 draws, and clone A's counter line (and B's). */
    private List<List<String>> restoreTwice(String mode) throws Exception {
        Path host = writeVmClock(dir.resolve("vmclock-host"), 1);
        Path a = Files.copy(host, dir.resolve("vmclock-a"));
        Path b = Files.copy(host, dir.resolve("vmclock-b"));
        Clone ca = start(mode, a);
        Clone cb = start(mode, b);
        try {
            List<String> a1 = ca.read("p1");
            assertEquals(a1, cb.read("p1"), "clones of one snapshot draw the same bytes before the restore");
            assertTrue(ca.out().readLine().startsWith("waiting"));
            String described = cb.out().readLine();
            assertTrue(described.contains("vmclock=" + b + " (disruption_marker)"), described);
            for (Path vmclock : List.of(a, b)) {
                bumpDisruptionMarker(vmclock);
            }
            ca.in().println("go");
            cb.in().println("go");
            List<String> a2 = ca.read("p2");
            List<String> b2 = cb.read("p2");
            return List.of(a2, b2, List.of(ca.out().readLine(), cb.out().readLine()));
        } finally {
            for (Clone c : List.of(ca, cb)) {
                assertTrue(c.process().waitFor(60, TimeUnit.SECONDS) || c.process().destroyForcibly() == null);
            }
        }
    }

    private Clone start(String mode, Path vmclock) throws IOException {
        List<String> command = List.of(ChildJvm.java(), "--enable-native-access=ALL-UNNAMED",
                "-Dreseeddrbg.page=" + dir.resolve("no-page"), "-Dreseeddrbg.vmclock=" + vmclock,
                "-Dreseeddrbg.entropySource=test-replay", "-D" + TestEntropySources.Replaying.SEED_PROPERTY + "=snapshot",
                "-cp", System.getProperty("java.class.path"), VmClockCloneProbe.class.getName(), mode,
                Integer.toString(INSTANCES));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new Clone(p, new PrintWriter(p.getOutputStream(), true),
                new BufferedReader(new InputStreamReader(p.getInputStream())), vmclock);
    }

    /** A VMClock page as QEMU 10 offers it: flags 0, disruption_marker {@code marker}. */
    static Path writeVmClock(Path path, long marker) throws IOException {
        Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(4096);
            page.set(VmClockLayout.LE_INT, VmClockLayout.MAGIC_OFFSET, VmClockLayout.MAGIC);
            page.set(VmClockLayout.LE_INT, VmClockLayout.SIZE_OFFSET, 4096);
            page.set(VmClockLayout.LE_SHORT, VmClockLayout.VERSION_OFFSET, (short) VmClockLayout.VERSION);
            page.set(VmClockLayout.LE_LONG, VmClockLayout.DISRUPTION_MARKER_OFFSET, marker);
            Files.write(path, page.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        return path;
    }

    /** What QEMU's post_load does to the page a restored clone sees. */
    static void bumpDisruptionMarker(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofConfined()) {
            MemorySegment page = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, arena);
            long marker = page.get(VmClockLayout.LE_LONG, VmClockLayout.DISRUPTION_MARKER_OFFSET);
            page.set(VmClockLayout.LE_LONG, VmClockLayout.DISRUPTION_MARKER_OFFSET, marker + 1);
        }
    }
}
