package dev.reseeddrbg.systemtest.realvm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What two clones restored from one snapshot drew, paired round by round, and the times
 * that matter: from the restore to the kernel's VM-fork record, to the page bump, and to
 * the first round in which a generator's draws differ between the clones.
 *
 * <p>Round {@code n} of both clones continues the same pre-snapshot state, so equal draws
 * in a round mean the generator did not reseed between the restore and that draw. Rounds
 * are compared from the first one the source VM had not printed before the snapshot.
 */
final class CloneRun {
    /** The record the vmgenid driver's reseed prints (drivers/char/random.c, add_vmfork_randomness). */
    static final String FORK_RECORD = "random: crng reseeded due to virtual machine fork";

    /**
     * One round of one clone: when its line arrived (host clock), the epoch page's word and
     * the VMClock restore counter as the probe printed them (hex, or {@link CloneProbe#NONE}),
     * and each generator's draw.
     */
    record Round(long nanos, String word, String vmclock, Map<String, String> draws) {
    }

    /** One clone: its lines and the host time it was resumed. */
    record Clone(String name, long resumedNanos, List<Qemu.Line> lines) {
        TreeMap<Long, Round> rounds() {
            TreeMap<Long, Round> rounds = new TreeMap<>();
            for (Qemu.Line l : lines) {
                if (l.port().equals("app") && l.text().startsWith("draw ")) {
                    String[] f = l.text().split(" ");
                    Map<String, String> draws = new LinkedHashMap<>();
                    for (int i = 4; i < f.length; i++) {
                        int eq = f[i].indexOf('=');
                        draws.put(f[i].substring(0, eq), f[i].substring(eq + 1));
                    }
                    rounds.put(Long.parseLong(f[1]), new Round(l.nanos(), f[2], f[3], draws));
                }
            }
            return rounds;
        }

        /** Milliseconds from the resume to the first line of {@code port} after it containing {@code text}. */
        OptionalLong millisTo(String port, String text) {
            return lines.stream().filter(l -> l.nanos() >= resumedNanos && l.port().equals(port)
                            && l.text().contains(text))
                    .mapToLong(l -> (l.nanos() - resumedNanos) / 1_000_000).findFirst();
        }
    }

    /**
     * How one generator fared in the common rounds after the snapshot. The last two
     * count the rounds both clones drew with the VMClock counter already moved, as the
     * probe read it just before the round's draws: a round whose draws began before the
     * snapshot (the VM paused mid-round) is not among them.
     */
    record Comparison(String generator, int compared, int identical, OptionalLong firstDifferentMillis,
                      int identicalAfterFirstDifference, int identicalWithBothPagesBumped,
                      int comparedUnderNewVmClock, int identicalUnderNewVmClock) {
    }

    final Clone a;
    final Clone b;
    final long lastSourceRound;
    /** The last source round's page word and VMClock counter: what both clones start from. */
    final String snapshotWord;
    final String snapshotVmClock;
    private final TreeMap<Long, Round> roundsA;
    private final TreeMap<Long, Round> roundsB;

    CloneRun(Clone a, Clone b, long lastSourceRound, String snapshotWord, String snapshotVmClock) {
        this.a = a;
        this.b = b;
        this.lastSourceRound = lastSourceRound;
        this.snapshotWord = snapshotWord;
        this.snapshotVmClock = snapshotVmClock;
        this.roundsA = a.rounds();
        this.roundsB = b.rounds();
    }

    /** The rounds both clones printed after the snapshot, in order. */
    List<Long> commonRounds() {
        List<Long> common = new ArrayList<>();
        for (long r : roundsA.tailMap(lastSourceRound, false).keySet()) {
            if (roundsB.containsKey(r)) {
                common.add(r);
            }
        }
        return common;
    }

    Comparison compare(String generator) {
        int compared = 0;
        int identical = 0;
        int identicalAfter = 0;
        int identicalBumped = 0;
        int comparedMoved = 0;
        int identicalMoved = 0;
        OptionalLong first = OptionalLong.empty();
        for (long r : commonRounds()) {
            Round x = roundsA.get(r);
            Round y = roundsB.get(r);
            compared++;
            boolean same = x.draws().get(generator).equals(y.draws().get(generator));
            boolean moved = !x.vmclock().equals(snapshotVmClock) && !y.vmclock().equals(snapshotVmClock)
                    && !x.vmclock().equals(CloneProbe.NONE);
            if (moved) {
                comparedMoved++;
                if (same) {
                    identicalMoved++;
                }
            }
            if (same) {
                identical++;
                if (first.isPresent()) {
                    identicalAfter++;
                }
                if (!x.word().equals(snapshotWord) && !y.word().equals(snapshotWord)) {
                    identicalBumped++;
                }
            } else if (first.isEmpty()) {
                first = OptionalLong.of(Math.max(x.nanos() - a.resumedNanos(), y.nanos() - b.resumedNanos()) / 1_000_000);
            }
        }
        return new Comparison(generator, compared, identical, first, identicalAfter, identicalBumped, comparedMoved,
                identicalMoved);
    }

    /** Milliseconds from the resume to the first round whose page word differs from the snapshot's. */
    OptionalLong millisToWordChange(Clone c) {
        return millisToFirst(c, r -> !r.word().equals(snapshotWord));
    }

    /** Milliseconds from the resume to the first round whose VMClock counter differs from the snapshot's. */
    OptionalLong millisToVmClockChange(Clone c) {
        return millisToFirst(c, r -> !r.vmclock().equals(snapshotVmClock));
    }

    private OptionalLong millisToFirst(Clone c, Predicate<Round> test) {
        TreeMap<Long, Round> rounds = c == a ? roundsA : roundsB;
        return rounds.tailMap(lastSourceRound, false).values().stream().filter(test)
                .mapToLong(r -> (r.nanos() - c.resumedNanos()) / 1_000_000).findFirst();
    }

    /** Whether any round of either clone after the snapshot shows a word other than the snapshot's. */
    boolean pageChanged() {
        return millisToWordChange(a).isPresent() || millisToWordChange(b).isPresent();
    }
}
