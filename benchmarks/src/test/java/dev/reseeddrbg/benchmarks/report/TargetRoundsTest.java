package dev.reseeddrbg.benchmarks.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.benchmarks.report.TargetRounds.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verdicts of benchmarks/run targets: the median, its interval, and what counts as met. */
class TargetRoundsTest {
    private static final Target AT_LEAST_2 = new Target("t", "at least 2x", "ratio", List.of(), s -> s[0], 2.0, true, null);
    private static final Target AT_MOST_1_01 = new Target("c", "at most 1%", "ratio", List.of(), s -> s[0], 1.01, false, null);

    @TempDir
    Path dir;

    /** Rounds run their variants in alternating order; a report from the TSV puts each score in its column. */
    @Test
    void aReportFromTheTsvPutsEveryScoreInItsColumn() throws Exception {
        Path tsv = dir.resolve("targets.tsv");
        Files.writeString(tsv, """
                round\ttarget\tvariant\tscore\tunit
                1\tthreads\tshared, 1 thread\t10.0\tops/us
                1\tthreads\tshared, 2 threads\t19.0\tops/us
                1\tthreads\tper-thread, 1\t11.0\tops/us
                1\tthreads\tper-thread, 2\t21.0\tops/us
                2\tthreads\tper-thread, 2\t22.0\tops/us
                2\tthreads\tper-thread, 1\t12.0\tops/us
                2\tthreads\tshared, 2 threads\t17.0\tops/us
                2\tthreads\tshared, 1 thread\t10.0\tops/us
                """);
        Map<Target, List<double[]>> scores = TargetRounds.readTsv(tsv);
        assertEquals(1, scores.size());
        Map.Entry<Target, List<double[]>> threads = scores.entrySet().iterator().next();
        assertEquals("threads", threads.getKey().key());
        assertArrayEquals(new double[] {10, 19, 11, 21}, threads.getValue().get(0));
        assertArrayEquals(new double[] {10, 17, 12, 22}, threads.getValue().get(1));
        // shared scaling over the per-thread control: (17 / 10) / (22 / 12)
        assertEquals(1.7 / (22.0 / 12.0), threads.getKey().ratio().applyAsDouble(threads.getValue().get(1)), 1e-12);
    }

    @Test
    void binomialTailsAreExact() {
        assertEquals(1.0 / 1024, MedianInterval.binomialCdf(0, 10), 1e-15);
        assertEquals(11.0 / 1024, MedianInterval.binomialCdf(1, 10), 1e-15);
        assertEquals(56.0 / 1024, MedianInterval.binomialCdf(2, 10), 1e-15);
        assertEquals(1.0, MedianInterval.binomialCdf(10, 10), 1e-12);
    }

    @Test
    void tenRoundsGiveTheSecondSmallestToSecondLargestAtNinetyEightPercent() {
        MedianInterval s = MedianInterval.of(new double[] {7, 3, 10, 1, 5, 9, 2, 8, 6, 4});
        assertEquals(5.5, s.median());
        assertEquals(2, s.low());
        assertEquals(9, s.high());
        assertEquals(1 - 22.0 / 1024, s.coverage(), 1e-12); // P(X <= 1) on each side
    }

    @Test
    void fiveRoundsAreTooFewForAnInterval() {
        MedianInterval s = MedianInterval.of(new double[] {2.1, 2.2, 2.3, 2.4, 2.5});
        assertEquals(2.3, s.median());
        assertTrue(Double.isNaN(s.low()));
        assertEquals("met by the median (too few rounds for an interval)", AT_LEAST_2.verdict(s));
    }

    @Test
    void metOnlyWhenTheWholeIntervalIsOnTheTargetsSide() {
        double[] clear = {2.05, 2.1, 2.1, 2.2, 2.2, 2.3, 2.3, 2.4, 2.4, 2.5};
        double[] crossing = {1.7, 1.96, 2.0, 2.05, 2.06, 2.07, 2.1, 2.13, 2.2, 2.3};
        double[] below = {1.7, 1.8, 1.85, 1.9, 1.95, 1.97, 1.99, 2.0, 2.1, 2.2};
        assertEquals("met", AT_LEAST_2.verdict(MedianInterval.of(clear)));
        assertTrue(AT_LEAST_2.verdict(MedianInterval.of(crossing)).startsWith("**NOT SHOWN**"));
        assertEquals("**MISSED**", AT_LEAST_2.verdict(MedianInterval.of(below)));

        double[] cheap = {0.99, 0.995, 1.0, 1.0, 1.001, 1.002, 1.003, 1.004, 1.005, 1.02};
        assertEquals("met", AT_MOST_1_01.verdict(MedianInterval.of(cheap)));
        assertEquals("**MISSED**", AT_MOST_1_01.verdict(
                MedianInterval.of(new double[] {1.02, 1.03, 1.01, 1.04, 1.05, 1.0, 1.02, 1.03, 1.02, 1.01})));
    }
}
