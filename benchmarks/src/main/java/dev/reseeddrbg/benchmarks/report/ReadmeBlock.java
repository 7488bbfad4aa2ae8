package dev.reseeddrbg.benchmarks.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A generated block of the README, between a start and an end marker line. */
final class ReadmeBlock {
    private ReadmeBlock() {
    }

    /** Replaces what is between the markers with {@code body}; leaves the README alone when it has no markers. */
    static void replace(Path readme, String start, String end, String body) throws IOException {
        if (!Files.exists(readme)) {
            return;
        }
        String text = Files.readString(readme);
        int from = text.indexOf(start);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            System.err.println("README has no " + start + " marker; left unchanged");
            return;
        }
        Files.writeString(readme, text.substring(0, from) + start + "\n" + body + end + text.substring(to + end.length()));
    }
}
