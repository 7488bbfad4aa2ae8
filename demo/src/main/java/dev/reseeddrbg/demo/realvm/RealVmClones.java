package dev.reseeddrbg.demo.realvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The real-VM clone test's host side (run by {@code scripts/real-vm-clones}, which builds
 * the guest): boots a QEMU guest with a vmgenid device, snapshots it while the daemon and
 * {@link CloneProbe} run, restores two clones from that one snapshot in two QEMU
 * processes, and compares what the clones drew.
 *
 * <p>It does this twice: once with nothing to tell the page of the restore (the daemon's
 * kernel-log notifier off and its timer beyond the window: {@code --no-kmsg --timer=1h}),
 * where ReseedDRBG's draws must stay identical in both clones (the failure this test
 * exists to catch, shown to be caught), and once with the daemon exactly as the systemd
 * unit starts it, where the draws must diverge after the restore and never again agree.
 * It writes the measured times, and the JDK's generators beside ReseedDRBG, to a
 * Markdown report, and prints {@code real-vm-clones: N passed, M failed}.
 *
 * <p>Arguments: {@code --work DIR --kernel VMLINUZ --initrd INITRD --report FILE
 * [--accel auto|kvm|tcg] [--observe SECONDS]}.
 */
public final class RealVmClones {
    static final List<String> GENERATORS = List.of("ReseedDRBG", "DRBG", "NativePRNG", "SHA1PRNG");
    /** Rounds each mode must compare after the restore, so that "identical" and "never again" mean something. */
    static final int MIN_COMPARED_ROUNDS = 100;
    /** Rounds the source VM draws before the snapshot is taken. */
    static final int ROUNDS_BEFORE_SNAPSHOT = 20;

    private record Check(String mode, String what, boolean passed, String detail) {
    }

    private record ModeResult(String mode, String daemonArgs, CloneRun run, List<String> guestStatus) {
    }

    private final Path work;
    private final Path kernel;
    private final Path initrd;
    private final Duration observe;
    private final List<Check> checks = new ArrayList<>();
    private List<String> machine;
    private String accelNote;
    private String guestKernel = "?";

    private RealVmClones(Path work, Path kernel, Path initrd, Duration observe) {
        this.work = work;
        this.kernel = kernel;
        this.initrd = initrd;
        this.observe = observe;
    }

    public static void main(String[] args) throws Exception {
        Path work = null;
        Path kernel = null;
        Path initrd = null;
        Path report = null;
        String accel = "auto";
        long observeSeconds = 15;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--work" -> work = Path.of(args[i + 1]);
                case "--kernel" -> kernel = Path.of(args[i + 1]);
                case "--initrd" -> initrd = Path.of(args[i + 1]);
                case "--report" -> report = Path.of(args[i + 1]);
                case "--accel" -> accel = args[i + 1];
                case "--observe" -> observeSeconds = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --work, --kernel, --initrd, --report, --accel, --observe)");
            }
        }
        if (work == null || kernel == null || initrd == null || report == null) {
            throw new IllegalArgumentException("--work, --kernel, --initrd and --report are required");
        }
        RealVmClones test = new RealVmClones(work, kernel, initrd, Duration.ofSeconds(observeSeconds));
        test.chooseAccelerator(accel);
        List<ModeResult> results = new ArrayList<>();
        results.add(test.runMode("notifier off", "--no-kmsg --timer=1h"));
        results.add(test.runMode("defaults", ""));
        Files.writeString(report, test.report(results));
        long failed = test.checks.stream().filter(c -> !c.passed()).count();
        System.out.println();
        for (Check c : test.checks) {
            System.out.printf("%s  [%s] %s: %s%n", c.passed() ? "PASS" : "FAIL", c.mode(), c.what(), c.detail());
        }
        System.out.println("report written to " + report);
        System.out.printf("real-vm-clones: %d passed, %d failed%n", test.checks.size() - failed, failed);
        System.exit(failed == 0 ? 0 : 1);
    }

    /**
     * KVM where it boots a stock kernel, TCG otherwise: on a PVM-style nested KVM the
     * Debian kernel hangs before its first console line, so a KVM boot that prints
     * nothing within the limit counts as not working.
     */
    private void chooseAccelerator(String accel) throws IOException, InterruptedException {
        List<String> tcg = List.of("-machine", "q35", "-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1");
        List<String> kvm = List.of("-machine", "q35", "-accel", "kvm", "-cpu", "host", "-m", "1024", "-smp", "1");
        switch (accel) {
            case "tcg" -> {
                machine = tcg;
                accelNote = "TCG (chosen with --accel tcg)";
                return;
            }
            case "kvm" -> {
                machine = kvm;
                accelNote = "KVM (chosen with --accel kvm)";
                return;
            }
            case "auto" -> {
            }
            default -> throw new IllegalArgumentException("--accel must be auto, kvm or tcg, not " + accel);
        }
        Path dev = Path.of("/dev/kvm");
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
            machine = tcg;
            accelNote = "TCG (/dev/kvm is not usable here)";
        } else {
            try (Qemu probe = Qemu.start("kvm-probe", work.resolve("kvm-probe"), kvm, kernel, initrd,
                    "console=ttyS0 loglevel=6 panic=-1 reseeddrbg.kmsg=off", null)) {
                probe.awaitLine("console", s -> s.contains("Linux version"), Duration.ofSeconds(20), "kernel banner");
                machine = kvm;
                accelNote = "KVM (a stock kernel boots under it here)";
            } catch (IOException e) {
                machine = tcg;
                accelNote = "TCG (KVM did not boot the guest kernel within 20 s: /dev/kvm here does not run a stock kernel)";
            }
        }
        System.out.println("real-vm-clones: accelerator " + accelNote);
    }

    private ModeResult runMode(String mode, String daemonArgs) throws IOException, InterruptedException {
        System.out.println("real-vm-clones: [" + mode + "] booting the source VM");
        String append = "console=ttyS0 loglevel=6 panic=-1 reseeddrbg.kmsg=" + (daemonArgs.isEmpty() ? "on" : "off");
        Path dir = work.resolve(mode.replace(' ', '-'));
        Path snapshot = dir.resolve("snapshot");
        long lastSourceRound;
        int snapshotWord;
        List<String> status;
        try (Qemu source = Qemu.start("source", dir.resolve("source"), machine, kernel, initrd, append, null)) {
            guestKernel = source.awaitLine("console", s -> s.contains("Linux version"), Duration.ofSeconds(60),
                    "kernel banner").text().replaceAll("^\\[[^]]*] ", "");
            String probe = source.awaitLine("app", s -> s.startsWith("probe "), Duration.ofMinutes(5),
                    "probe start").text();
            check(mode, "new SecureRandom() in the guest is ReseedDRBG", probe.contains("default=ReseedDRBG/ReseedDRBG"),
                    probe);
            source.awaitLine("app", s -> s.startsWith("draw " + ROUNDS_BEFORE_SNAPSHOT + " "), Duration.ofMinutes(2),
                    ROUNDS_BEFORE_SNAPSHOT + " rounds of draws");
            status = source.lines().stream().filter(l -> l.port().equals("console") && l.text().startsWith("status: "))
                    .map(l -> l.text().substring("status: ".length())).toList();
            System.out.println("real-vm-clones: [" + mode + "] snapshot (migration to " + snapshot + ")");
            source.execute("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > " + snapshot + "\"}}");
            source.await("{\"execute\":\"query-migrate\"}", List.of("\"completed\""), "\"failed\"",
                    Duration.ofMinutes(3));
            TimeUnit.MILLISECONDS.sleep(500); // lines already in flight from the paused source
            var last = new CloneRun.Clone("source", 0, source.lines()).rounds().lastEntry();
            lastSourceRound = last.getKey();
            snapshotWord = last.getValue().word();
        }
        System.out.println("real-vm-clones: [" + mode + "] restoring two clones from one snapshot");
        try (Qemu a = Qemu.start("clone-a", dir.resolve("clone-a"), machine, kernel, initrd, append, snapshot);
             Qemu b = Qemu.start("clone-b", dir.resolve("clone-b"), machine, kernel, initrd, append, snapshot)) {
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
                    new CloneRun.Clone("B", resumedB, b.lines()), lastSourceRound, snapshotWord);
            Files.deleteIfExists(snapshot);
            return judge(new ModeResult(mode, daemonArgs, run, status), a, b);
        }
    }

    private ModeResult judge(ModeResult r, Qemu a, Qemu b) {
        CloneRun run = r.run();
        String mode = r.mode();
        boolean off = !r.daemonArgs().isEmpty();
        for (CloneRun.Clone c : List.of(run.a, run.b)) {
            OptionalLong record = c.millisTo("console", CloneRun.FORK_RECORD);
            check(mode, "clone " + c.name() + "'s kernel logged the VM-fork record", record.isPresent(),
                    record.isPresent() ? record.getAsLong() + " ms after the restore" : "not seen; "
                            + (c.name().equals("A") ? a : b).tail());
        }
        CloneRun.Comparison drbg = run.compare("ReseedDRBG");
        check(mode, "enough rounds compared", drbg.compared() >= MIN_COMPARED_ROUNDS,
                drbg.compared() + " rounds after the snapshot in both clones (at least " + MIN_COMPARED_ROUNDS + ")");
        if (off) {
            check(mode, "page not bumped with no notifier able to fire", !run.pageChanged(),
                    String.format("word 0x%08x in every round", run.snapshotWord));
            check(mode, "ReseedDRBG's draws identical in both clones (the clone problem, caught)",
                    drbg.identical() == drbg.compared(), drbg.identical() + " of " + drbg.compared() + " rounds identical");
        } else {
            boolean statusUsable = r.guestStatus().stream().anyMatch(s -> s.contains("kernel-log: usable"));
            check(mode, "simkernel status in the guest names the kernel-log source usable", statusUsable,
                    r.guestStatus().stream().filter(s -> s.contains("kernel-log")).findFirst().orElse("no kernel-log line"));
            for (CloneRun.Clone c : List.of(run.a, run.b)) {
                OptionalLong bump = c.millisTo("daemon", "(kernel log: '" + CloneRun.FORK_RECORD);
                check(mode, "the kernel-log notifier bumped clone " + c.name() + "'s page", bump.isPresent(),
                        bump.isPresent() ? bump.getAsLong() + " ms after the restore" : "no notify line in the daemon's log");
            }
            check(mode, "ReseedDRBG's draws diverge after the restore", drbg.firstDifferentMillis().isPresent(),
                    drbg.firstDifferentMillis().isPresent() ? "first differing round " + drbg.firstDifferentMillis().getAsLong()
                            + " ms after the restore" : "identical in all " + drbg.compared() + " rounds");
            check(mode, "no identical ReseedDRBG round after the first differing one",
                    drbg.identicalAfterFirstDifference() == 0, drbg.identicalAfterFirstDifference() + " identical after it");
            check(mode, "no identical ReseedDRBG round once both clones' pages were bumped",
                    drbg.identicalWithBothPagesBumped() == 0, drbg.identicalWithBothPagesBumped() + " such rounds");
        }
        return r;
    }

    private void check(String mode, String what, boolean passed, String detail) {
        checks.add(new Check(mode, what, passed, detail));
    }

    private static String ms(OptionalLong v) {
        return v.isPresent() ? String.format("%,d ms", v.getAsLong()) : "never";
    }

    private String report(List<ModeResult> results) {
        long failed = checks.stream().filter(c -> !c.passed()).count();
        StringBuilder b = new StringBuilder();
        b.append("# Real VM clones: what two restores of one snapshot drew\n\n");
        b.append("<!-- generated by scripts/real-vm-clones from its run; do not edit -->\n\n");
        b.append("Run ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(": QEMU ")
                .append(accelNote).append(", guest `").append(guestKernel).append("`, JRE ")
                .append(Runtime.version()).append(" (jlink).\n");
        b.append("Each mode boots a guest with QEMU's `vmgenid` device (`guid=auto`), starts the daemon with the ")
                .append("systemd unit's `ExecStart` line (plus `--no-kmsg --timer=1h` in the first mode) and `CloneProbe`, which draws ")
                .append(CloneProbe.DRAW_BYTES).append(" bytes from each generator every ").append(CloneProbe.TICK_MILLIS)
                .append(" ms; the running VM is migrated to a file, and two QEMU processes restore it and run for ")
                .append(observe.toSeconds()).append(" s. Times (ms after the restore) are from the `cont` that resumed each clone to the line's ")
                .append("arrival on the host, so they include the serial line and the probe's ").append(CloneProbe.TICK_MILLIS)
                .append(" ms tick.\n\n");
        b.append("Result: ").append(checks.size() - failed).append(" checks passed, ").append(failed).append(" failed.\n\n");
        for (ModeResult r : results) {
            CloneRun run = r.run();
            b.append("## ").append(r.mode().equals("defaults") ? "Daemon as the systemd unit starts it"
                    : "Nothing tells the page (`--no-kmsg --timer=1h`)").append("\n\n");
            b.append("| clone | kernel's VM-fork record | daemon's notification | first draw under the new word "
                    + "| first ReseedDRBG draw that differs between the clones |\n");
            b.append("| --- | ---: | ---: | ---: | ---: |\n");
            String first = ms(run.compare("ReseedDRBG").firstDifferentMillis());
            for (CloneRun.Clone c : List.of(run.a, run.b)) {
                b.append("| ").append(c.name()).append(" | ").append(ms(c.millisTo("console", CloneRun.FORK_RECORD)))
                        .append(" | ").append(ms(c.millisTo("daemon", "notify "))).append(" | ")
                        .append(ms(run.millisToWordChange(c))).append(" | ").append(first).append(" |\n");
            }
            b.append("\n| generator | rounds compared | identical in both clones | first differing draw | identical after it |\n");
            b.append("| --- | ---: | ---: | ---: | ---: |\n");
            for (String g : GENERATORS) {
                CloneRun.Comparison c = run.compare(g);
                b.append("| ").append(g.equals("ReseedDRBG") ? "ReseedDRBG (`new SecureRandom()`)" : g + " (SUN)")
                        .append(" | ").append(c.compared()).append(" | ").append(c.identical()).append(" | ")
                        .append(ms(c.firstDifferentMillis())).append(" | ").append(c.identicalAfterFirstDifference())
                        .append(" |\n");
            }
            b.append('\n');
        }
        b.append("## Checks\n\n");
        for (Check c : checks) {
            b.append("- ").append(c.passed() ? "PASS" : "FAIL").append(" [").append(c.mode()).append("] ")
                    .append(c.what()).append(": ").append(c.detail().replace("\n", " ")).append('\n');
        }
        return b.toString();
    }
}
