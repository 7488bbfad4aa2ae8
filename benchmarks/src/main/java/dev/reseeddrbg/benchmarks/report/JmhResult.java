package dev.reseeddrbg.benchmarks.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of JMH's JSON output: benchmark, parameters, score with its error, the raw
 * per-fork iteration scores, and the secondary metrics (gc.alloc.rate.norm with -prof gc).
 */
record JmhResult(String benchmark, String mode, int threads, Map<String, String> params, double score, double error,
                 String unit, List<double[]> forks, Map<String, Double> secondary, String jdk, String vm) {

    static List<JmhResult> read(Path json) throws IOException {
        JsonArray rows = JsonParser.parseString(Files.readString(json)).getAsJsonArray();
        List<JmhResult> results = new ArrayList<>();
        for (JsonElement e : rows) {
            JsonObject row = e.getAsJsonObject();
            Map<String, String> params = new LinkedHashMap<>();
            if (row.has("params")) {
                row.getAsJsonObject("params").entrySet().forEach(p -> params.put(p.getKey(), p.getValue().getAsString()));
            }
            JsonObject primary = row.getAsJsonObject("primaryMetric");
            List<double[]> forks = new ArrayList<>();
            for (JsonElement fork : primary.getAsJsonArray("rawData")) {
                JsonArray its = fork.getAsJsonArray();
                double[] values = new double[its.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = its.get(i).getAsDouble();
                }
                forks.add(values);
            }
            Map<String, Double> secondary = new LinkedHashMap<>();
            if (row.has("secondaryMetrics")) {
                row.getAsJsonObject("secondaryMetrics").entrySet().forEach(m -> {
                    JsonElement s = m.getValue().getAsJsonObject().get("score");
                    if (s != null && s.isJsonPrimitive()) {
                        // JMH before 1.37 prefixed secondary metrics with a middle dot.
                        secondary.put(m.getKey().replace("\u00b7", ""), s.getAsDouble());
                    }
                });
            }
            String name = row.get("benchmark").getAsString();
            results.add(new JmhResult(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1),
                    row.get("mode").getAsString(), row.get("threads").getAsInt(), params,
                    primary.get("score").getAsDouble(), finite(primary.get("scoreError")),
                    primary.get("scoreUnit").getAsString(), forks, secondary,
                    row.has("jdkVersion") ? row.get("jdkVersion").getAsString() : "?",
                    row.has("vmName") ? row.get("vmName").getAsString() + " " + row.get("vmVersion").getAsString() : "?"));
        }
        return results;
    }

    private static double finite(JsonElement e) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            return Double.NaN;
        }
        return e.getAsDouble();
    }

    /** The mean of each fork's iterations. */
    double[] forkMeans() {
        return forks.stream().mapToDouble(f -> Arrays.stream(f).average().orElse(Double.NaN)).toArray();
    }

    String param(String name) {
        return params.getOrDefault(name, "");
    }
}
