package dev.reseeddrbg.systemtest.realvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How the host pairs and judges two clones' probe lines: rounds after the snapshot only,
 * a page or VMClock device that does not exist read as {@code none}, and the counts the
 * matrix's checks rest on.
 */
class CloneRunTest {
    private static final long MS = 1_000_000;

    /** A clone's app lines: rounds {@code from..to}, ReseedDRBG drawing {@code drbg(round)}. */
    private static CloneRun.Clone clone(String name, int from, int to, String word, String vmclock,
                                        java.util.function.IntFunction<String> drbg) {
        List<Qemu.Line> lines = new ArrayList<>();
        for (int r = from; r <= to; r++) {
            lines.add(new Qemu.Line(r * 50 * MS, "app", "draw " + r + " " + word + " " + vmclock + " ReseedDRBG="
                    + drbg.apply(r) + " NativePRNG=" + name + r));
        }
        return new CloneRun.Clone(name, 0, lines);
    }

    @Test
    void identicalDrawsAfterTheSnapshotAreCountedAndNothingChanged() {
        CloneRun run = new CloneRun(clone("A", 0, 9, "none", "none", r -> "d" + r),
                clone("B", 0, 9, "none", "none", r -> "d" + r), 4, "none", "none");
        CloneRun.Comparison c = run.compare("ReseedDRBG");
        assertEquals(5, c.compared(), "rounds 5..9 only");
        assertEquals(5, c.identical());
        assertTrue(c.firstDifferentMillis().isEmpty());
        assertFalse(run.pageChanged());
        assertTrue(run.millisToVmClockChange(run.a).isEmpty());
        assertEquals(0, run.compare("NativePRNG").identical());
        assertEquals(250, run.compare("NativePRNG").firstDifferentMillis().getAsLong());
    }

    @Test
    void drawsThatDifferFromTheFirstRoundOnHaveNoIdenticalRound() {
        CloneRun run = new CloneRun(clone("A", 0, 9, "00000000", "2", r -> "a" + r),
                clone("B", 0, 9, "00000000", "2", r -> "b" + r), 4, "00000000", "1");
        CloneRun.Comparison c = run.compare("ReseedDRBG");
        assertEquals(0, c.identical());
        assertEquals(250, c.firstDifferentMillis().getAsLong());
        assertEquals(250, run.millisToVmClockChange(run.b).getAsLong(), "the first round after the snapshot");
    }

    @Test
    void anIdenticalRoundAfterTheFirstDifferenceIsCounted() {
        CloneRun run = new CloneRun(clone("A", 0, 9, "00000001", "none", r -> r == 8 ? "same" : "a" + r),
                clone("B", 0, 9, "00000001", "none", r -> r == 8 || r < 6 ? (r == 8 ? "same" : "a" + r) : "b" + r),
                4, "00000000", "none");
        CloneRun.Comparison c = run.compare("ReseedDRBG");
        assertEquals(2, c.identical(), "rounds 5 and 8");
        assertEquals(1, c.identicalAfterFirstDifference());
        assertEquals(2, c.identicalWithBothPagesBumped());
        assertTrue(run.pageChanged());
    }
}
