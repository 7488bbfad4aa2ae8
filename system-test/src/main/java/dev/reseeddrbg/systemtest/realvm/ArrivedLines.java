package dev.reseeddrbg.systemtest.realvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Everything one QEMU process said, on every port, in arrival order, each line stamped
 * with the host's {@link System#nanoTime()} as it arrived: the reader threads add, the
 * test reads at any time (the list is copy-on-write, so a reader sees a consistent prefix).
 */
final class ArrivedLines {
    private final List<Qemu.Line> lines = new CopyOnWriteArrayList<>();

    void add(String port, String text) {
        lines.add(new Qemu.Line(System.nanoTime(), port, text));
    }

    List<Qemu.Line> all() {
        return List.copyOf(lines);
    }

    /** The first line of {@code port} that satisfies {@code test}, if one has arrived. */
    Optional<Qemu.Line> first(String port, Predicate<String> test) {
        return lines.stream().filter(l -> l.port().equals(port) && test.test(l.text())).findFirst();
    }

    /** The last lines of the console, the daemon and the application, for an error message. */
    String tail(String vm) {
        StringBuilder b = new StringBuilder("last lines:");
        for (String port : List.of("console", "daemon", "app")) {
            List<Qemu.Line> of = lines.stream().filter(l -> l.port().equals(port)).toList();
            of.subList(Math.max(0, of.size() - 8), of.size())
                    .forEach(l -> b.append("\n  ").append(vm).append(' ').append(port).append("| ").append(l.text()));
        }
        return b.toString();
    }

    /** Writes every line with its arrival in ms since {@code startedNanos}. */
    void write(Path file, long startedNanos) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Qemu.Line l : lines) {
            b.append(String.format("%9.3f %-7s| %s%n", (l.nanos() - startedNanos) / 1e6, l.port(), l.text()));
        }
        Files.writeString(file, b);
    }
}
