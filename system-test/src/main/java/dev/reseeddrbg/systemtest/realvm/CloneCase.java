package dev.reseeddrbg.systemtest.realvm;

import java.util.List;
import java.util.OptionalLong;

/**
 * One cell of the real-VM clone matrix: which guest, whether the hypervisor offers a
 * VMClock device, how the guest's page owner runs, and what ReseedDRBG's draws in two
 * clones of one snapshot must then show. Each expectation can fail: a control expects
 * identical draws and fails the moment something reseeds; the others expect draws that
 * differ and fail when ReseedDRBG misses the restore.
 *
 * <p>The guest's init reads the daemon mode from the kernel command line
 * ({@code reseeddrbg.daemon=quiet|unit|none}).
 */
record CloneCase(String id, String title, String guest, boolean vmclock, Daemon daemon, Expect expect) {
    /** How the guest runs the page owner. */
    enum Daemon {
        /** The daemon with nothing able to bump the page within the window: the kernel-log notifier off, the timer at an hour. */
        QUIET("quiet", "--no-kmsg --timer=1h"),
        /** The daemon exactly as the systemd unit starts it. */
        UNIT("unit", ""),
        /** No page owner at all: the provider runs on its default {@code onMissingPage=embedded}. */
        NONE("none", null);

        final String flag;
        final String extraArgs;

        Daemon(String flag, String extraArgs) {
            this.flag = flag;
            this.extraArgs = extraArgs;
        }
    }

    /** What ReseedDRBG's draws in the two clones must show. */
    enum Expect {
        /** Identical in every compared round: nothing told ReseedDRBG of the restore (the clone problem, caught). */
        IDENTICAL,
        /** Diverging once the daemon has bumped the page, and never agreeing again. */
        DIVERGE_AFTER_BUMP,
        /** Different in every compared round from the first draw after the restore on. */
        DIFFERENT_FROM_FIRST
    }

    static final String LINUX6 = "linux6";
    static final String LINUX7 = "linux7";

    /** The matrix, in the order it runs. */
    static final List<CloneCase> MATRIX = List.of(
            new CloneCase("linux6-quiet", "nothing tells the page (`--no-kmsg --timer=1h`)", LINUX6, false,
                    Daemon.QUIET, Expect.IDENTICAL),
            new CloneCase("linux6-unit", "daemon as the systemd unit starts it (kernel log only)", LINUX6, false,
                    Daemon.UNIT, Expect.DIVERGE_AFTER_BUMP),
            new CloneCase("linux7-vmclock-unit", "VMClock device, daemon as the systemd unit starts it", LINUX7, true,
                    Daemon.UNIT, Expect.DIFFERENT_FROM_FIRST),
            new CloneCase("linux7-vmclock-no-daemon", "VMClock device, no page owner (embedded page)", LINUX7, true,
                    Daemon.NONE, Expect.DIFFERENT_FROM_FIRST),
            new CloneCase("linux7-no-vmclock-no-daemon", "no VMClock device, no page owner: the control", LINUX7, false,
                    Daemon.NONE, Expect.IDENTICAL));

    /** The QEMU devices beside the machine's own. */
    List<String> devices() {
        return vmclock ? List.of("vmgenid,guid=auto", "vmclock") : List.of("vmgenid,guid=auto");
    }

    /** What the source VM and the clones of one case showed. */
    record Result(CloneCase c, String qemuVersion, String kernelBanner, String probeLine, List<String> guestStatus,
                  List<String> vmclockLines, CloneRun run) {
    }

    /** Adds this case's checks on {@code r} to {@code checks}; {@code tails} explains a missing record per clone. */
    void judge(Result r, Checks checks, List<String> tails) {
        CloneRun run = r.run();
        checks.add(id, "new SecureRandom() in the guest is ReseedDRBG", r.probeLine().contains("default=ReseedDRBG/ReseedDRBG"),
                r.probeLine());
        List<CloneRun.Clone> clones = List.of(run.a, run.b);
        for (int i = 0; i < 2; i++) {
            OptionalLong record = clones.get(i).millisTo("console", CloneRun.FORK_RECORD);
            check(checks, "clone " + clones.get(i).name() + "'s kernel logged the VM-fork record", record.isPresent(),
                    record.isPresent() ? record.getAsLong() + " ms after the restore" : "not seen; " + tails.get(i));
        }
        judgeVmClock(r, checks);
        CloneRun.Comparison drbg = run.compare("ReseedDRBG");
        check(checks, "enough rounds compared", drbg.compared() >= RealVmClones.MIN_COMPARED_ROUNDS, drbg.compared()
                + " rounds after the snapshot in both clones (at least " + RealVmClones.MIN_COMPARED_ROUNDS + ")");
        if (daemon == Daemon.NONE) {
            check(checks, "no page file: the probe sees none", r.probeLine().contains("page=" + CloneProbe.NONE),
                    r.probeLine());
        }
        if (daemon == Daemon.UNIT) {
            boolean usable = r.guestStatus().stream().anyMatch(s -> s.contains("kernel-log: usable"));
            check(checks, "simkernel status in the guest names the kernel-log source usable", usable,
                    r.guestStatus().stream().filter(s -> s.contains("kernel-log")).findFirst().orElse("no kernel-log line"));
            for (CloneRun.Clone c : clones) {
                OptionalLong bump = c.millisTo("daemon", "notify ");
                check(checks, "the daemon bumped clone " + c.name() + "'s page", bump.isPresent(),
                        bump.isPresent() ? bump.getAsLong() + " ms after the restore" : "no notify line in the daemon's log");
            }
        }
        switch (expect) {
            case IDENTICAL -> {
                if (daemon != Daemon.NONE) {
                    check(checks, "page not bumped with no notifier able to fire", !run.pageChanged(),
                            "word " + run.snapshotWord + " at the snapshot");
                }
                check(checks, "ReseedDRBG's draws identical in both clones (the clone problem, caught)",
                        drbg.identical() == drbg.compared(), drbg.identical() + " of " + drbg.compared() + " rounds identical");
            }
            case DIVERGE_AFTER_BUMP -> {
                check(checks, "ReseedDRBG's draws diverge after the restore", drbg.firstDifferentMillis().isPresent(),
                        drbg.firstDifferentMillis().isPresent() ? "first differing round "
                                + drbg.firstDifferentMillis().getAsLong() + " ms after the restore"
                                : "identical in all " + drbg.compared() + " rounds");
                check(checks, "no identical ReseedDRBG round after the first differing one",
                        drbg.identicalAfterFirstDifference() == 0, drbg.identicalAfterFirstDifference() + " identical after it");
                check(checks, "no identical ReseedDRBG round once both clones' pages were bumped",
                        drbg.identicalWithBothPagesBumped() == 0, drbg.identicalWithBothPagesBumped() + " such rounds");
            }
            case DIFFERENT_FROM_FIRST -> check(checks,
                    "ReseedDRBG's draws differ from the first draw after the restore on (0 identical rounds drawn "
                            + "under the new VMClock counter)",
                    drbg.comparedUnderNewVmClock() > 0 && drbg.identicalUnderNewVmClock() == 0,
                    drbg.identicalUnderNewVmClock() + " of " + drbg.comparedUnderNewVmClock() + " rounds identical"
                            + (drbg.compared() > drbg.comparedUnderNewVmClock() ? " (" + (drbg.compared()
                            - drbg.comparedUnderNewVmClock()) + " round(s) begun before the snapshot not counted, "
                            + (drbg.identical() - drbg.identicalUnderNewVmClock()) + " of them identical)" : "")
                            + (drbg.firstDifferentMillis().isPresent() ? ", first differing "
                            + drbg.firstDifferentMillis().getAsLong() + " ms after the restore" : ""));
        }
    }

    private void judgeVmClock(Result r, Checks checks) {
        String node = r.vmclockLines().stream().filter(s -> s.startsWith("vmclock: /dev/")).findFirst().orElse("");
        if (!vmclock) {
            check(checks, "no /dev/vmclock0 without the device", r.vmclockLines().contains("vmclock: absent"),
                    String.join("; ", r.vmclockLines()));
            return;
        }
        check(checks, "/dev/vmclock0 readable by all after conf/99-vmclock.rules' mode", node.contains(" cr--r--r-- "),
                node.isEmpty() ? "no vmclock line from the guest: " + String.join("; ", r.vmclockLines()) : node);
        CloneRun run = r.run();
        for (CloneRun.Clone c : List.of(run.a, run.b)) {
            OptionalLong change = run.millisToVmClockChange(c);
            check(checks, "the hypervisor changed clone " + c.name() + "'s VMClock restore counter", change.isPresent()
                    && !run.snapshotVmClock.equals(CloneProbe.NONE), change.isPresent()
                    ? "first round under the new counter " + change.getAsLong() + " ms after the restore (snapshot: "
                    + run.snapshotVmClock + ")" : "counter " + run.snapshotVmClock + " in every round");
        }
    }

    private void check(Checks checks, String what, boolean passed, String detail) {
        checks.add(id, what, passed, detail);
    }
}
