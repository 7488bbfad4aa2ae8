package dev.reseeddrbg.simkernel.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads durations the way operators type them: 500ms, 10s, 5m, 1h, or ISO-8601 (PT10S). */
final class DurationConverter {
    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h)");

    private DurationConverter() {
    }

    static Duration parse(String text) {
        Matcher m = SHORT.matcher(text.trim());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
            return positive(text, d);
        }
        try {
            return positive(text, Duration.parse(text));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; write e.g. 500ms, 10s, 5m or PT10S");
        }
    }

    private static Duration positive(String text, Duration d) {
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("duration '" + text + "' must be positive");
        }
        return d;
    }
}
