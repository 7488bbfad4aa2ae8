package dev.reseeddrbg.provider.drbg;

import dev.reseeddrbg.provider.ConfigurationException;
import java.io.Serializable;
import java.security.DrbgParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What to instantiate: mechanism, algorithm, strength and capability, read from the
 * security property {@code reseeddrbg.config} in the syntax of the JDK's
 * {@code securerandom.drbg.config}: comma-separated, any order, each part optional,
 * case-insensitive, e.g. {@code CTR_DRBG,AES-256,256,reseed_only}.
 *
 * @param mechanism  the SP 800-90A mechanism
 * @param algorithm  the primitive it runs on (SHA-256, AES-256, ...)
 * @param strength   the security strength every instance of this config is instantiated at
 * @param capability reseed_only or pr_and_reseed ("none" cannot be offered: reseeding on
 *                   notification is the point of this provider)
 */
public record DrbgConfig(Mechanism mechanism, String algorithm, int strength, DrbgParameters.Capability capability)
        implements Serializable {

    /**
     * The default when {@code reseeddrbg.config} is unset: CTR_DRBG on AES-256, the
     * fastest mechanism at 256-bit strength in our benchmarks (benchmarks/results/REPORT.md).
     */
    public static final String DEFAULT = "CTR_DRBG,AES-256,256,reseed_only";

    private static final List<String> CAPABILITIES = List.of("reseed_only", "pr_and_reseed");

    public DrbgConfig {
        if (mechanism == null || algorithm == null || capability == null) {
            throw new IllegalArgumentException("mechanism, algorithm and capability are all required");
        }
        if (strength != 128 && strength != 192 && strength != 256) {
            throw new IllegalArgumentException("strength " + strength + " is not one of 128, 192, 256");
        }
        if (capability == DrbgParameters.Capability.NONE) {
            throw new IllegalArgumentException("capability NONE cannot be offered; use reseed_only or pr_and_reseed");
        }
        if (!mechanism.algorithms().contains(algorithm)) {
            throw new IllegalArgumentException(mechanism.standardName() + " does not run on " + algorithm
                    + "; use one of " + mechanism.algorithms());
        }
        if (strength > Mechanism.maxStrength(algorithm)) {
            throw new IllegalArgumentException("strength " + strength + " is above what " + algorithm
                    + " supports (" + Mechanism.maxStrength(algorithm) + ")");
        }
    }

    /** Whether a request for prediction resistance can be honoured. */
    public boolean supportsPredictionResistance() {
        return capability.supportsPredictionResistance();
    }

    /** Parses {@code reseeddrbg.config}; null or blank means {@link #DEFAULT}. */
    public static DrbgConfig parse(String text) {
        if (text == null || text.isBlank()) {
            text = DEFAULT;
        }
        Mechanism mechanism = null;
        String algorithm = null;
        Integer strength = null;
        DrbgParameters.Capability capability = null;
        for (String raw : text.split(",", -1)) {
            String part = raw.trim();
            String lower = part.toLowerCase(Locale.ROOT);
            if (part.isEmpty()) {
                throw invalid(text, "an empty part", "remove the extra comma");
            } else if (Mechanism.byName(part) != null) {
                mechanism = once(mechanism, Mechanism.byName(part), text, "mechanism");
            } else if (allAlgorithms().contains(part.toUpperCase(Locale.ROOT))) {
                algorithm = once(algorithm, part.toUpperCase(Locale.ROOT), text, "algorithm");
            } else if (lower.matches("\\d+")) {
                // Found by ConfigParserFuzzTest: a long digit string overflowed parseInt.
                int s = lower.length() > 4 ? -1 : Integer.parseInt(lower);
                if (s != 112 && s != 128 && s != 192 && s != 256) {
                    throw invalid(text, "strength " + part, "allowed strengths: 112, 128, 192, 256");
                }
                strength = once(strength, s == 112 ? 128 : s, text, "strength");
            } else if (CAPABILITIES.contains(lower)) {
                capability = once(capability, lower.equals("reseed_only")
                        ? DrbgParameters.Capability.RESEED_ONLY : DrbgParameters.Capability.PR_AND_RESEED,
                        text, "capability");
            } else if (lower.equals("none")) {
                throw invalid(text, "capability none", "ReseedDRBG always reseeds on notification; use "
                        + "reseed_only or pr_and_reseed");
            } else if (lower.equals("use_df")) {
                continue;
            } else if (lower.equals("no_df")) {
                throw invalid(text, "no_df", "only CTR_DRBG with the derivation function (use_df) is offered");
            } else {
                throw invalid(text, "'" + part + "'", "allowed: mechanism Hash_DRBG, HMAC_DRBG, CTR_DRBG; algorithm "
                        + allAlgorithms() + "; strength 112, 128, 192, 256; capability reseed_only, pr_and_reseed; "
                        + "use_df");
            }
        }
        if (mechanism == null) {
            mechanism = algorithm != null && algorithm.startsWith("AES") ? Mechanism.CTR_DRBG
                    : algorithm != null ? Mechanism.HASH_DRBG : Mechanism.CTR_DRBG;
        }
        if (algorithm == null) {
            algorithm = mechanism == Mechanism.CTR_DRBG ? "AES-256" : "SHA-256";
        }
        if (!mechanism.algorithms().contains(algorithm)) {
            throw invalid(text, mechanism.standardName() + " with " + algorithm,
                    mechanism.standardName() + " runs on " + mechanism.algorithms());
        }
        if (strength == null) {
            strength = Mechanism.maxStrength(algorithm);
        }
        if (strength > Mechanism.maxStrength(algorithm)) {
            throw invalid(text, "strength " + strength, algorithm + " supports at most " + Mechanism.maxStrength(algorithm));
        }
        if (capability == null) {
            capability = DrbgParameters.Capability.RESEED_ONLY;
        }
        return new DrbgConfig(mechanism, algorithm, strength, capability);
    }

    private static List<String> allAlgorithms() {
        List<String> all = new ArrayList<>(Mechanism.HASH_DRBG.algorithms());
        all.addAll(Mechanism.CTR_DRBG.algorithms());
        return all;
    }

    private static <T> T once(T current, T value, String text, String what) {
        if (current != null) {
            throw invalid(text, "a second " + what, "name the " + what + " once");
        }
        return value;
    }

    private static ConfigurationException invalid(String text, String problem, String allowed) {
        return new ConfigurationException("reseeddrbg.config '" + text + "': " + problem + " is not valid; " + allowed);
    }

    /** {@code CTR_DRBG,AES-256,256,reseed_only}: the property syntax, so it can be fed back. */
    @Override
    public String toString() {
        return mechanism.standardName() + "," + algorithm + "," + strength + ","
                + (capability == DrbgParameters.Capability.RESEED_ONLY ? "reseed_only" : "pr_and_reseed");
    }
}
