package dev.reseeddrbg.simkernel;

import java.time.Duration;

/** How the daemon and its clients write a duration in their lines: whole seconds as "5s", else milliseconds. */
public final class Durations {
    private Durations() {
    }

    public static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
