package dev.reseeddrbg.benchmarks.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The vDSO getrandom peer (benchmarks/vdso, C), read from the TSV its program prints
 * ({@code vdso-getrandom SIZE ROUND NS_PER_CALL}), as rows of the peer table: benchmark
 * {@code PeerBenchmark.nextBytes}, generator {@link #NAME}, one "fork" per round. It runs in
 * the same {@code benchmarks/run} invocation as JMH, so its ratios come from one session.
 */
final class VdsoPeer {
    static final String NAME = "vDSO-getrandom-C";

    private VdsoPeer() {
    }

    /** The rows in {@code tsv}; none when the file is absent (a kernel without vDSO getrandom). */
    static List<JmhResult> read(Path tsv, String jdk, String vm) throws IOException {
        if (!Files.exists(tsv)) {
            return List.of();
        }
        Map<Integer, List<Double>> bySize = new TreeMap<>();
        int lineNumber = 0;
        for (String line : Files.readAllLines(tsv)) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length != 4 || !f[0].equals("vdso-getrandom")) {
                throw new IOException(tsv + ":" + lineNumber + ": expected 'vdso-getrandom SIZE ROUND NS' with tabs, got '"
                        + line + "'");
            }
            try {
                bySize.computeIfAbsent(Integer.parseInt(f[1]), k -> new ArrayList<>()).add(Double.parseDouble(f[3]));
            } catch (NumberFormatException e) {
                throw new IOException(tsv + ":" + lineNumber + ": " + e.getMessage(), e);
            }
        }
        List<JmhResult> rows = new ArrayList<>();
        bySize.forEach((size, rounds) -> {
            double[] values = rounds.stream().mapToDouble(Double::doubleValue).toArray();
            List<double[]> forks = Arrays.stream(values).mapToObj(v -> new double[] {v}).toList();
            rows.add(new JmhResult("PeerBenchmark.nextBytes", "avgt", 1,
                    Map.of("generator", NAME, "size", Integer.toString(size)),
                    Arrays.stream(values).average().orElse(Double.NaN), Double.NaN, "ns/op", forks, Map.of(), jdk, vm));
        });
        return rows;
    }
}
