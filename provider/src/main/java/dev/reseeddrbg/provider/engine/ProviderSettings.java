package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.ConfigurationException;
import dev.reseeddrbg.provider.drbg.DrbgConfig;
import dev.reseeddrbg.provider.drbg.Mechanism;
import dev.reseeddrbg.provider.epoch.MissingPagePolicy;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.Security;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Every configuration property, read when an instance is created. Each is a security
 * property (java.security or -Djava.security.properties=...) and can be overridden by
 * the system property of the same name. The README's configuration table lists the same
 * names and defaults.
 *
 * @param page           reseeddrbg.page: the epoch page file (an absolute path)
 * @param config         reseeddrbg.config: mechanism, algorithm, strength, capability
 * @param onMissingPage  reseeddrbg.onMissingPage: what to do without a usable page
 * @param entropySource  reseeddrbg.entropySource: name of the entropy source
 * @param reseedInterval reseeddrbg.reseedInterval: generate calls between reseeds
 * @param reseedAge      reseeddrbg.reseedAge: longest time a state runs on one seed
 * @param bufferSize     reseeddrbg.bufferSize: bytes of output generated ahead per state (0: off)
 * @param entropyTimeout reseeddrbg.entropyTimeout: longest wait for a custom entropy source
 * @param vmclock        reseeddrbg.vmclock: the VMClock device watched beside the page, or "none"
 * @param restoreGrace   reseeddrbg.restoreGrace: longest a restore's first instant is waited out
 *                       (draws served by the kernel) when the CPU has no random instruction
 */
public record ProviderSettings(Path page, DrbgConfig config, MissingPagePolicy onMissingPage, String entropySource,
                               long reseedInterval, Duration reseedAge, int bufferSize, Duration entropyTimeout,
                               String vmclock, Duration restoreGrace) {

    public static final String PAGE = "reseeddrbg.page";
    public static final String CONFIG = "reseeddrbg.config";
    public static final String ON_MISSING_PAGE = "reseeddrbg.onMissingPage";
    public static final String ENTROPY_SOURCE = "reseeddrbg.entropySource";
    public static final String RESEED_INTERVAL = "reseeddrbg.reseedInterval";
    public static final String RESEED_AGE = "reseeddrbg.reseedAge";
    public static final String BUFFER_SIZE = "reseeddrbg.bufferSize";
    public static final String ENTROPY_TIMEOUT = "reseeddrbg.entropyTimeout";
    public static final String VMCLOCK = "reseeddrbg.vmclock";
    public static final String RESTORE_GRACE = "reseeddrbg.restoreGrace";
    /** Every property, in the README's order. */
    public static final List<String> NAMES = List.of(PAGE, CONFIG, ON_MISSING_PAGE, ENTROPY_SOURCE, RESEED_INTERVAL,
            RESEED_AGE, BUFFER_SIZE, ENTROPY_TIMEOUT, VMCLOCK, RESTORE_GRACE);

    public static final String DEFAULT_PAGE = "/run/reseeddrbg/epoch";
    /** OpenSSL reseeds every 2^16 requests; one of ours is a generate call of up to bufferSize bytes. */
    public static final long DEFAULT_RESEED_INTERVAL = 1L << 16;
    /** The Linux CRNG reseeds every 60 s. */
    public static final Duration DEFAULT_RESEED_AGE = Duration.ofSeconds(60);
    public static final int DEFAULT_BUFFER_SIZE = 16384;
    /** Long enough for an HSM or a network source to answer, short enough that a hung one is noticed. */
    public static final Duration DEFAULT_ENTROPY_TIMEOUT = Duration.ofSeconds(10);
    public static final String DEFAULT_VMCLOCK = "/dev/vmclock0";
    /**
     * The kernel reseeds on the vmgenid notification tens of milliseconds after a restore
     * under emulation, and sooner on hardware; a second is ample, and only costs draws a
     * getrandom(2) each meanwhile.
     */
    public static final Duration DEFAULT_RESTORE_GRACE = Duration.ofSeconds(1);
    private static final Duration MAX_RESTORE_GRACE = Duration.ofMinutes(1);
    /** SP 800-90A Table 2/3: reseed_interval is at most 2^48 generate calls. */
    private static final long MAX_RESEED_INTERVAL = 1L << 48;
    /** A refill is one generate call, so at most one request's worth (SP 800-90A Table 3, as Bouncy Castle limits it). */
    private static final int MAX_BUFFER_SIZE = Mechanism.MAX_BYTES_PER_REQUEST;
    /** Durations are compared with System.nanoTime() differences, so each must fit in a long of nanoseconds; a day is plenty. */
    private static final Duration MIN_DURATION = Duration.ofMillis(1);
    private static final Duration MAX_RESEED_AGE = Duration.ofDays(1);
    private static final Duration MAX_ENTROPY_TIMEOUT = Duration.ofMinutes(10);

    /** Reads every property now; an invalid value throws ConfigurationException naming it. */
    public static ProviderSettings current() {
        return from(ProviderSettings::lookup);
    }

    /**
     * Parses the properties {@code lookup} gives (null or blank: the default), each strictly
     * against its bounds in the README. Whatever goes wrong with a value, the result is a
     * ConfigurationException naming the property, never another exception type (which the
     * provider would turn into NoSuchAlgorithmException, so that the JCA moved on silently).
     */
    public static ProviderSettings from(UnaryOperator<String> lookup) {
        return new ProviderSettings(
                parsed(lookup, PAGE, DEFAULT_PAGE, ProviderSettings::page),
                parsed(lookup, CONFIG, DrbgConfig.DEFAULT, DrbgConfig::parse),
                parsed(lookup, ON_MISSING_PAGE, MissingPagePolicy.EMBEDDED.label(), MissingPagePolicy::parse),
                parsed(lookup, ENTROPY_SOURCE, "kernel", text -> text),
                parsed(lookup, RESEED_INTERVAL, Long.toString(DEFAULT_RESEED_INTERVAL),
                        text -> longInRange(RESEED_INTERVAL, text, DEFAULT_RESEED_INTERVAL, 1, MAX_RESEED_INTERVAL)),
                parsed(lookup, RESEED_AGE, DEFAULT_RESEED_AGE.toSeconds() + "s",
                        text -> duration(RESEED_AGE, text, DEFAULT_RESEED_AGE, MAX_RESEED_AGE)),
                parsed(lookup, BUFFER_SIZE, Integer.toString(DEFAULT_BUFFER_SIZE),
                        text -> (int) longInRange(BUFFER_SIZE, text, DEFAULT_BUFFER_SIZE, 0, MAX_BUFFER_SIZE)),
                parsed(lookup, ENTROPY_TIMEOUT, DEFAULT_ENTROPY_TIMEOUT.toSeconds() + "s",
                        text -> duration(ENTROPY_TIMEOUT, text, DEFAULT_ENTROPY_TIMEOUT, MAX_ENTROPY_TIMEOUT)),
                parsed(lookup, VMCLOCK, DEFAULT_VMCLOCK, ProviderSettings::vmclock),
                parsed(lookup, RESTORE_GRACE, DEFAULT_RESTORE_GRACE.toSeconds() + "s",
                        text -> duration(RESTORE_GRACE, text, DEFAULT_RESTORE_GRACE, MAX_RESTORE_GRACE)));
    }

    /** The system property, else the security property; null when neither is set. */
    private static String lookup(String name) {
        String v = System.getProperty(name);
        return v != null ? v : Security.getProperty(name);
    }

    private static <T> T parsed(UnaryOperator<String> lookup, String name, String fallback, Function<String, T> parser) {
        String raw = lookup.apply(name);
        String text = raw == null || raw.isBlank() ? fallback : raw.trim();
        try {
            return parser.apply(text);
        } catch (ConfigurationException refused) {
            throw refused;
        } catch (RuntimeException e) {
            throw new ConfigurationException(name + " '" + text + "' is not valid (" + e + "); see the README's "
                    + "configuration table for what is allowed", e);
        }
    }

    private static Path page(String text) {
        if (text.indexOf('\0') >= 0) {
            throw new ConfigurationException(PAGE + " '" + text.replace('\0', '?') + "' contains a NUL character; "
                    + "give the absolute path of the page file (default " + DEFAULT_PAGE + ")");
        }
        Path path;
        try {
            path = Path.of(text);
        } catch (InvalidPathException e) {
            throw new ConfigurationException(PAGE + " '" + text + "' is not a valid path (" + e.getReason()
                    + "); give the absolute path of the page file (default " + DEFAULT_PAGE + ")", e);
        }
        if (!path.isAbsolute()) {
            throw new ConfigurationException(PAGE + " '" + text + "' is not an absolute path; give the absolute path "
                    + "of the page file (default " + DEFAULT_PAGE + "), so that it does not depend on the working directory");
        }
        return path;
    }

    /** "none", or an absolute path checked as reseeddrbg.page is. */
    private static String vmclock(String text) {
        if (text.equals("none")) {
            return text;
        }
        if (text.indexOf('\0') >= 0 || !Path.of(text).isAbsolute()) {
            throw new ConfigurationException(VMCLOCK + " '" + text.replace('\0', '?') + "' is not valid; give 'none' "
                    + "or the absolute path of the VMClock device (default " + DEFAULT_VMCLOCK + ")");
        }
        return text;
    }

    private static long longInRange(String name, String text, long fallback, long min, long max) {
        // Digits only (with _ between groups, as in Java literals): no sign, no spaces, no hex.
        if (text.matches("\\d{1,18}(_\\d{1,18})*") && text.length() <= 30) {
            String digits = text.replace("_", "");
            if (digits.length() <= 18) {
                long v = Long.parseLong(digits);
                if (v >= min && v <= max) {
                    return v;
                }
            }
        }
        throw new ConfigurationException(name + " '" + text + "' is not valid; give a whole number from "
                + min + " to " + max + " (default " + fallback + ")");
    }

    private static Duration duration(String name, String text, Duration fallback, Duration max) {
        Duration d = null;
        try {
            if (text.matches("\\d{1,18}ms")) {
                d = Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            } else if (text.matches("\\d{1,18}s")) {
                d = Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
            } else if (text.matches("\\d{1,18}m")) {
                d = Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
            } else if (text.startsWith("P") || text.startsWith("p")) {
                d = Duration.parse(text);
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            d = null; // reported below; out of Duration's own range
        }
        if (d == null || d.compareTo(MIN_DURATION) < 0 || d.compareTo(max) > 0) {
            throw new ConfigurationException(name + " '" + text + "' is not valid; give a positive duration from 1ms to "
                    + describe(max) + ", such as 500ms, 60s, 7m or PT60S (default " + describe(fallback) + ")");
        }
        return d;
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 != 0 ? d.toMillis() + "ms" : d.toSeconds() % 60 != 0 ? d.toSeconds() + "s"
                : d.toMinutes() + "m";
    }
}
