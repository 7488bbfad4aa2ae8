package dev.reseeddrbg.simkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.reseeddrbg.page.PageTrust;
import dev.reseeddrbg.page.VmClockLayout;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's work under the system call filter conf/reseeddrbg.service gives it. systemd
 * cannot run here as PID 1, so the test builds the same allow-list (the unit's
 * SystemCallFilter= lines, the sets expanded by {@code systemd-analyze syscall-filter}),
 * runs the daemon under it with libseccomp, and has every refused call fail with an errno
 * nothing else returns (ENOTRECOVERABLE), so that strace shows each one. Needs root (for
 * RNDRESEEDCRNG), strace, systemd-analyze and python3-seccomp; skipped without them.
 */
class SystemdUnitFilterTest {
    private static final int REFUSED = 131; // ENOTRECOVERABLE
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void theDaemonsWorkNeedsNoCallTheUnitRefuses() throws Exception {
        assumeTrue(PageTrust.currentUid() == 0, "the kernel reseed needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/strace")), "needs strace");
        assumeTrue(run(List.of("/usr/bin/python3", "-c", "import seccomp")) == 0, "needs python3-seccomp");
        Path unit = unitFile();
        List<String> filterLines = Files.readAllLines(unit).stream().filter(l -> l.startsWith("SystemCallFilter="))
                .map(l -> l.substring("SystemCallFilter=".length()).strip()).toList();
        assertFalse(filterLines.isEmpty(), unit + " has no SystemCallFilter=");
        Set<String> allowed = allowed(filterLines);
        assertFalse(allowed.contains("mount") || allowed.contains("umount2"), "the unit lets the daemon mount");
        Path allowList = Files.write(dir.resolve("allowed"), allowed);
        Path helper = dir.resolve("seccomp-exec.py");
        try (var in = SystemdUnitFilterTest.class.getResourceAsStream("seccomp-exec.py")) {
            Files.write(helper, in.readAllBytes());
        }

        Path page = Files.createDirectory(dir.resolve("run")).resolve("epoch");
        Path vmclock = dir.resolve("vmclock0");
        Path trace = dir.resolve("trace");
        List<String> command = new ArrayList<>(List.of("/usr/bin/strace", "-f", "-qq", "-o", trace.toString(),
                "/usr/bin/python3", helper.toString(), allowList.toString(), Integer.toString(REFUSED)));
        command.addAll(Daemon.javaCommand("run", "--page", page.toString(), "--vmclock", vmclock.toString(),
                "--timer", "1h"));
        try (Arena arena = Arena.ofShared()) {
            MemorySegment hv = qemuVmClock(vmclock, arena);
            try (Daemon d = Daemon.withShell("umask 077", command)) {
                d.await("Z control socket", START);
                hv.set(VmClockLayout.LE_LONG, VmClockLayout.DISRUPTION_MARKER_OFFSET, 4); // a restore
                d.await("disruption_marker is now 4", START);
                SimKernelCommandTest.Result r = SimKernelCommandTest.run("notify", "--page", page.toString(),
                        "--via-daemon", "manual");
                assertEquals(0, r.exit(), r.err());
                d.signalChild("TERM"); // strace passes no signal on
                d.exitWithin(START);
                String log = d.log();
                assertTrue(log.contains("kernel RNG reseeded first"), "RNDRESEEDCRNG under the filter:\n" + log);
                assertTrue(log.contains("kernel-log notifier watching"), log);
                assertTrue(log.contains("stopped; page left in place"), log);
            }
        }
        List<String> refused = Files.readAllLines(trace).stream().filter(l -> l.contains("ENOTRECOVERABLE")).toList();
        assertEquals(List.of(), refused, "calls the unit's filter refused");
    }

    /** conf/reseeddrbg.service, found from the working directory up. */
    private static Path unitFile() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path unit = p.resolve("conf/reseeddrbg.service");
            if (Files.isRegularFile(unit)) {
                return unit;
            }
        }
        throw new AssertionError("conf/reseeddrbg.service not found above " + Path.of("").toAbsolutePath());
    }

    /** The allow-list systemd builds: the first line's names and sets, less every later "~" line's. */
    private static Set<String> allowed(List<String> filterLines) throws Exception {
        Map<String, List<String>> sets = syscallSets();
        Set<String> allowed = new HashSet<>();
        for (String line : filterLines) {
            boolean deny = line.startsWith("~");
            Set<String> names = new HashSet<>();
            for (String item : line.replaceFirst("^~", "").split("\\s+")) {
                names.addAll(expand(item, sets));
            }
            if (deny) {
                allowed.removeAll(names);
            } else {
                allowed.addAll(names);
            }
        }
        return allowed;
    }

    private static Set<String> expand(String item, Map<String, List<String>> sets) {
        if (!item.startsWith("@")) {
            return Set.of(item);
        }
        List<String> members = sets.get(item);
        assertTrue(members != null, "systemd-analyze knows no set " + item);
        Set<String> names = new HashSet<>();
        for (String m : members) {
            names.addAll(expand(m, sets));
        }
        return names;
    }

    /** {@code systemd-analyze syscall-filter}: every set and its members. */
    private static Map<String, List<String>> syscallSets() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("systemd-analyze", "syscall-filter").redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "needs systemd-analyze");
            throw e;
        }
        Map<String, List<String>> sets = new HashMap<>();
        List<String> current = null;
        for (String line : new String(p.getInputStream().readAllBytes()).lines().toList()) {
            if (line.startsWith("@")) {
                current = sets.computeIfAbsent(line.strip(), _ -> new ArrayList<>());
            } else if (current != null && !line.isBlank() && !line.strip().startsWith("#")) {
                current.add(line.strip());
            }
        }
        assertEquals(0, p.waitFor());
        return sets;
    }

    /** A VMClock page as QEMU 10 exposes it: no flags, disruption_marker 3. */
    private static MemorySegment qemuVmClock(Path device, Arena arena) throws IOException {
        Files.write(device, new byte[4096]);
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment hv = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, arena);
            hv.set(VmClockLayout.LE_INT, VmClockLayout.MAGIC_OFFSET, VmClockLayout.MAGIC);
            hv.set(VmClockLayout.LE_INT, VmClockLayout.SIZE_OFFSET, 4096);
            hv.set(VmClockLayout.LE_SHORT, VmClockLayout.VERSION_OFFSET, (short) VmClockLayout.VERSION);
            hv.set(VmClockLayout.LE_LONG, VmClockLayout.DISRUPTION_MARKER_OFFSET, 3);
            return hv;
        }
    }

    private static int run(List<String> command) {
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).start().waitFor();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }
}
