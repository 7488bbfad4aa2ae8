package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.ConfigurationException;
import dev.reseeddrbg.provider.drbg.DrbgConfig;
import dev.reseeddrbg.provider.drbg.Mechanism;
import dev.reseeddrbg.provider.epoch.MissingPagePolicy;
import java.nio.file.Path;
import java.security.Security;
import java.time.Duration;
import java.time.format.DateTimeParseException;

/**
 * Every configuration property, read when an instance is created. Each is a security
 * property (java.security or -Djava.security.properties=...) and can be overridden by
 * the system property of the same name. The README's configuration table lists the same
 * names and defaults.
 *
 * @param page           reseeddrbg.page: the epoch page file
 * @param config         reseeddrbg.config: mechanism, algorithm, strength, capability
 * @param onMissingPage  reseeddrbg.onMissingPage: what to do without a usable page
 * @param entropySource  reseeddrbg.entropySource: name of the entropy source
 * @param reseedInterval reseeddrbg.reseedInterval: generate calls between reseeds
 * @param reseedAge      reseeddrbg.reseedAge: longest time a state runs on one seed
 * @param bufferSize     reseeddrbg.bufferSize: bytes of output generated ahead per state (0: off)
 */
public record ProviderSettings(Path page, DrbgConfig config, MissingPagePolicy onMissingPage, String entropySource,
                               long reseedInterval, Duration reseedAge, int bufferSize) {

    public static final String PAGE = "reseeddrbg.page";
    public static final String CONFIG = "reseeddrbg.config";
    public static final String ON_MISSING_PAGE = "reseeddrbg.onMissingPage";
    public static final String ENTROPY_SOURCE = "reseeddrbg.entropySource";
    public static final String RESEED_INTERVAL = "reseeddrbg.reseedInterval";
    public static final String RESEED_AGE = "reseeddrbg.reseedAge";
    public static final String BUFFER_SIZE = "reseeddrbg.bufferSize";

    public static final String DEFAULT_PAGE = "/run/reseeddrbg/epoch";
    /** OpenSSL reseeds every 2^16 requests; one of ours is a generate call of up to bufferSize bytes. */
    public static final long DEFAULT_RESEED_INTERVAL = 1L << 16;
    /** The Linux CRNG reseeds every 60 s. */
    public static final Duration DEFAULT_RESEED_AGE = Duration.ofSeconds(60);
    public static final int DEFAULT_BUFFER_SIZE = 16384;
    /** SP 800-90A Table 2/3: reseed_interval is at most 2^48 generate calls. */
    private static final long MAX_RESEED_INTERVAL = 1L << 48;
    /** A refill is one generate call, so at most one request's worth (SP 800-90A Table 3, as Bouncy Castle limits it). */
    private static final int MAX_BUFFER_SIZE = Mechanism.MAX_BYTES_PER_REQUEST;

    /** Reads every property now; an invalid value throws IllegalArgumentException naming it. */
    public static ProviderSettings current() {
        return new ProviderSettings(
                Path.of(value(PAGE, DEFAULT_PAGE)),
                DrbgConfig.parse(value(CONFIG, DrbgConfig.DEFAULT)),
                MissingPagePolicy.parse(value(ON_MISSING_PAGE, MissingPagePolicy.EMBEDDED.label())),
                value(ENTROPY_SOURCE, "kernel"),
                longInRange(RESEED_INTERVAL, DEFAULT_RESEED_INTERVAL, 1, MAX_RESEED_INTERVAL),
                duration(RESEED_AGE, DEFAULT_RESEED_AGE),
                (int) longInRange(BUFFER_SIZE, DEFAULT_BUFFER_SIZE, 0, MAX_BUFFER_SIZE));
    }

    /** The system property, else the security property, else {@code fallback}. */
    static String value(String name, String fallback) {
        String v = System.getProperty(name);
        if (v == null) {
            v = Security.getProperty(name);
        }
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static long longInRange(String name, long fallback, long min, long max) {
        String text = value(name, Long.toString(fallback));
        try {
            long v = Long.parseLong(text.replace("_", ""));
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigurationException(name + " '" + text + "' is not valid; give a whole number from "
                + min + " to " + max + " (default " + fallback + ")");
    }

    private static Duration duration(String name, Duration fallback) {
        String text = value(name, fallback.toSeconds() + "s");
        Duration d = null;
        try {
            if (text.matches("\\d+ms")) {
                d = Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            } else if (text.matches("\\d+s")) {
                d = Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
            } else if (text.matches("\\d+m")) {
                d = Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
            } else {
                d = Duration.parse(text);
            }
        } catch (DateTimeParseException | NumberFormatException e) {
            // reported below
        }
        if (d == null || d.isNegative() || d.isZero()) {
            throw new ConfigurationException(name + " '" + text + "' is not valid; give a positive duration such as "
                    + "500ms, 60s, 7m or PT60S (default " + fallback.toSeconds() + "s)");
        }
        return d;
    }
}
