package dev.reseeddrbg.systemtest.realvm;

import java.util.ArrayList;
import java.util.List;

/** The real-VM clone test's verdicts, in the order they were made: the report and the exit code come from here. */
final class Checks {
    record Check(String mode, String what, boolean passed, String detail) {
    }

    private final List<Check> all = new ArrayList<>();

    void add(String mode, String what, boolean passed, String detail) {
        all.add(new Check(mode, what, passed, detail));
    }

    List<Check> all() {
        return List.copyOf(all);
    }

    long failed() {
        return all.stream().filter(c -> !c.passed()).count();
    }
}
