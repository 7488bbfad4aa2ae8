package dev.reseeddrbg.systemtest.realvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real-VM clone test's host side (run by {@code scripts/real-vm-clones}, which builds
 * the guests): for each case of {@link CloneCase#MATRIX}, boots a QEMU guest with a
 * vmgenid device (and a VMClock device where the case asks), snapshots it while the
 * page owner and {@link CloneProbe} run, restores two clones from that one snapshot in
 * two QEMU processes, and compares what the clones drew. It writes the measured times,
 * and the JDK's generators beside ReseedDRBG, to a Markdown report, and prints
 * {@code real-vm-clones: N passed, M failed}.
 *
 * <p>Last, it checks that nothing under the work directory, where the guests' kernels
 * and QEMU were unpacked, can be changed by another user.
 *
 * <p>Arguments: {@code --work DIR --report FILE --guest SPEC... [--accel auto|kvm|tcg]
 * [--observe SECONDS] [--only CASE,...] [--started EPOCH_SECOND] [--host-check pass|fail:WHAT:DETAIL]...},
 * with SPEC as {@link Guest#parse} reads it; {@code --started} is when the preparation (fetching,
 * building) began, for the wall time reported; each {@code --host-check} is a check the script made
 * on the host before (such as {@code scripts/test-apt-lib}), counted and reported with the others.
 */
public final class RealVmClones {
    static final List<String> GENERATORS = List.of("ReseedDRBG", "DRBG", "NativePRNG", "SHA1PRNG");
    /** Rounds each case must compare after the restore, so that "identical" and "never again" mean something. */
    static final int MIN_COMPARED_ROUNDS = 100;
    /** Rounds the source VM draws before the snapshot is taken. */
    static final int ROUNDS_BEFORE_SNAPSHOT = 20;

    private final Path work;
    private final Duration observe;
    private final Checks checks = new Checks();
    private List<String> accel;
    private String accelNote;

    private RealVmClones(Path work, Duration observe) {
        this.work = work;
        this.observe = observe;
    }

    public static void main(String[] args) throws Exception {
        Path work = null;
        Path report = null;
        String accelArg = "auto";
        long observeSeconds = 9; // at least 100 compared rounds of 50 ms even in a guest slowed by the daemon under TCG
        List<String> only = null;
        long startedEpochSecond = Instant.now().getEpochSecond();
        Map<String, Guest> guests = new LinkedHashMap<>();
        List<String> hostChecks = new ArrayList<>();
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--work" -> work = Path.of(args[i + 1]);
                case "--report" -> report = Path.of(args[i + 1]);
                case "--guest" -> {
                    Guest g = Guest.parse(args[i + 1]);
                    guests.put(g.name(), g);
                }
                case "--accel" -> accelArg = args[i + 1];
                case "--observe" -> observeSeconds = Long.parseLong(args[i + 1]);
                case "--only" -> only = List.of(args[i + 1].split(","));
                case "--started" -> startedEpochSecond = Long.parseLong(args[i + 1]);
                case "--host-check" -> hostChecks.add(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --work, --report, --guest, --accel, --observe, --only, --started, --host-check)");
            }
        }
        if (work == null || report == null) {
            throw new IllegalArgumentException("--work and --report are required");
        }
        List<CloneCase> cases = new ArrayList<>();
        for (CloneCase c : CloneCase.MATRIX) {
            if (only == null || only.contains(c.id())) {
                if (!guests.containsKey(c.guest())) {
                    throw new IllegalArgumentException("case " + c.id() + " needs --guest name=" + c.guest() + ",...");
                }
                cases.add(c);
            }
        }
        RealVmClones test = new RealVmClones(work, Duration.ofSeconds(observeSeconds));
        for (String h : hostChecks) {
            String[] f = h.split(":", 3);
            if (f.length != 3 || !(f[0].equals("pass") || f[0].equals("fail"))) {
                throw new IllegalArgumentException("--host-check " + h + ": expected pass|fail:WHAT:DETAIL");
            }
            test.checks.add("host", f[1], f[0].equals("pass"), f[2]);
        }
        test.chooseAccelerator(accelArg, guests.values().iterator().next());
        List<CloneCase.Result> results = new ArrayList<>();
        for (CloneCase c : cases) {
            results.add(test.runCase(c, guests.get(c.guest())));
        }
        test.checkWorkTreePrivate();
        long wallSeconds = Instant.now().getEpochSecond() - startedEpochSecond;
        Files.writeString(report, new CloneReport(test.accelNote, test.observe, test.checks).markdown(results, wallSeconds));
        System.out.println();
        for (Checks.Check c : test.checks.all()) {
            System.out.printf("%s  [%s] %s: %s%n", c.passed() ? "PASS" : "FAIL", c.mode(), c.what(), c.detail());
        }
        System.out.println("report written to " + report);
        System.out.println("real-vm-clones: " + cases.size() + " cases in " + wallSeconds + " s, preparation included");
        long failed = test.checks.failed();
        System.out.printf("real-vm-clones: %d passed, %d failed%n", test.checks.all().size() - failed, failed);
        System.exit(failed == 0 ? 0 : 1);
    }

    /**
     * KVM where it boots a stock kernel, TCG otherwise: on a PVM-style nested KVM the
     * Debian kernel hangs before its first console line, so a KVM boot that prints
     * nothing within the limit counts as not working.
     */
    private void chooseAccelerator(String choice, Guest probeGuest) throws IOException, InterruptedException {
        List<String> tcg = List.of("-machine", "q35", "-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1");
        List<String> kvm = List.of("-machine", "q35", "-accel", "kvm", "-cpu", "host", "-m", "1024", "-smp", "1");
        switch (choice) {
            case "tcg" -> {
                accel = tcg;
                accelNote = "TCG (chosen with --accel tcg)";
                return;
            }
            case "kvm" -> {
                accel = kvm;
                accelNote = "KVM (chosen with --accel kvm)";
                return;
            }
            case "auto" -> {
            }
            default -> throw new IllegalArgumentException("--accel must be auto, kvm or tcg, not " + choice);
        }
        Path dev = Path.of("/dev/kvm");
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
            accel = tcg;
            accelNote = "TCG (/dev/kvm is not usable here)";
        } else {
            try (Qemu probe = Qemu.start("kvm-probe", work.resolve("kvm-probe"), probeGuest.machine(kvm, List.of()),
                    "console=ttyS0 loglevel=6 panic=-1 reseeddrbg.daemon=none", null)) {
                probe.awaitLine("console", s -> s.contains("Linux version"), Duration.ofSeconds(20), "kernel banner");
                accel = kvm;
                accelNote = "KVM (a stock kernel boots under it here)";
            } catch (IOException e) {
                accel = tcg;
                accelNote = "TCG (KVM did not boot the guest kernel within 20 s: /dev/kvm here does not run a stock kernel)";
            }
        }
        System.out.println("real-vm-clones: accelerator " + accelNote);
    }

    private CloneCase.Result runCase(CloneCase c, Guest guest) throws IOException, InterruptedException {
        System.out.println("real-vm-clones: [" + c.id() + "] booting the source VM");
        String append = "console=ttyS0 loglevel=6 panic=-1 reseeddrbg.daemon=" + c.daemon().flag;
        QemuMachine machine = guest.machine(accel, c.devices());
        Path dir = work.resolve("cases").resolve(c.id());
        Path snapshot = dir.resolve("snapshot");
        long lastSourceRound;
        CloneRun.Round last;
        String banner;
        String probe;
        List<String> console;
        try (Qemu source = Qemu.start("source", dir.resolve("source"), machine, append, null)) {
            banner = source.awaitLine("console", s -> s.contains("Linux version"), Duration.ofSeconds(60),
                    "kernel banner").text().replaceAll("^\\[[^]]*] ", "");
            probe = source.awaitLine("app", s -> s.startsWith("probe "), Duration.ofMinutes(5), "probe start").text();
            source.awaitLine("app", s -> s.startsWith("draw " + ROUNDS_BEFORE_SNAPSHOT + " "), Duration.ofMinutes(2),
                    ROUNDS_BEFORE_SNAPSHOT + " rounds of draws");
            console = source.lines().stream().filter(l -> l.port().equals("console")).map(Qemu.Line::text).toList();
            System.out.println("real-vm-clones: [" + c.id() + "] snapshot (migration to " + snapshot + ")");
            source.execute("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > " + snapshot + "\"}}");
            source.await("{\"execute\":\"query-migrate\"}", List.of("\"completed\""), "\"failed\"",
                    Duration.ofMinutes(3));
            TimeUnit.MILLISECONDS.sleep(500); // lines already in flight from the paused source
            var lastEntry = new CloneRun.Clone("source", 0, source.lines()).rounds().lastEntry();
            lastSourceRound = lastEntry.getKey();
            last = lastEntry.getValue();
        }
        System.out.println("real-vm-clones: [" + c.id() + "] restoring two clones from one snapshot");
        try (Qemu a = Qemu.start("clone-a", dir.resolve("clone-a"), machine, append, snapshot);
             Qemu b = Qemu.start("clone-b", dir.resolve("clone-b"), machine, append, snapshot)) {
            for (Qemu q : List.of(a, b)) {
                q.await("{\"execute\":\"query-status\"}", List.of("\"paused\"", "\"postmigrate\""), "\"internal-error\"",
                        Duration.ofMinutes(3));
            }
            a.mark("cont");
            long resumedA = System.nanoTime();
            a.execute("{\"execute\":\"cont\"}");
            b.mark("cont");
            long resumedB = System.nanoTime();
            b.execute("{\"execute\":\"cont\"}");
            TimeUnit.NANOSECONDS.sleep(observe.toNanos());
            CloneRun run = new CloneRun(new CloneRun.Clone("A", resumedA, a.lines()),
                    new CloneRun.Clone("B", resumedB, b.lines()), lastSourceRound, last.word(), last.vmclock());
            Files.deleteIfExists(snapshot);
            CloneCase.Result r = new CloneCase.Result(c, guest.qemuVersion(), banner, probe,
                    console.stream().filter(s -> s.startsWith("status: ")).map(s -> s.substring("status: ".length())).toList(),
                    console.stream().filter(s -> s.startsWith("vmclock: ")).toList(), run);
            c.judge(r, checks, List.of(a.tail(), b.tail()));
            return r;
        }
    }

    /** Another user who could change the work tree could choose the guest's kernel or QEMU: none may. */
    private void checkWorkTreePrivate() throws IOException {
        var me = work.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(System.getProperty("user.name"));
        Set<PosixFilePermission> othersWrite = Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
        List<String> bad = new ArrayList<>();
        try (Stream<Path> all = Files.walk(work)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isSymbolicLink()) {
                    continue;
                }
                if (!a.owner().equals(me) || a.permissions().stream().anyMatch(othersWrite::contains)) {
                    bad.add(work.relativize(p) + " (" + a.owner().getName() + ", "
                            + PosixFilePermissions.toString(a.permissions()) + ")");
                }
            }
        }
        checks.add("host", "nothing under " + work + " is owned by another user or writable by group or others",
                bad.isEmpty(), bad.isEmpty() ? "owner " + me.getName() + " throughout"
                        : bad.size() + " entries, e.g. " + String.join(", ", bad.subList(0, Math.min(5, bad.size()))));
    }
}
