package dev.reseeddrbg.provider.drbg;

import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.HMacSP800DRBG;
import org.bouncycastle.crypto.prng.drbg.HashSP800DRBG;
import org.bouncycastle.crypto.prng.drbg.SP80090DRBG;

/**
 * The SP 800-90A mechanisms we offer. Hash_DRBG and HMAC_DRBG are Bouncy Castle's
 * ({@code HashSP800DRBG}, {@code HMacSP800DRBG}) over the JDK's digests; CTR_DRBG is ours
 * ({@link CtrDrbg}, over the JDK's AES), which says why and how it is tested against
 * Bouncy Castle's. This is the single place that builds an engine, so the CAVP test and the
 * provider run exactly the same configuration.
 */
public enum Mechanism {
    HASH_DRBG("Hash_DRBG", List.of("SHA-224", "SHA-512/224", "SHA-256", "SHA-512/256", "SHA-384", "SHA-512")),
    HMAC_DRBG("HMAC_DRBG", List.of("SHA-224", "SHA-512/224", "SHA-256", "SHA-512/256", "SHA-384", "SHA-512")),
    /** Always with the derivation function (10.2.1 with Block_Cipher_df); "no df" is not offered. */
    CTR_DRBG("CTR_DRBG", List.of("AES-128", "AES-192", "AES-256"));

    /**
     * SP 800-57 strengths (SP 800-90A Table 2 and 3). SHA-1 and TDEA are left out: the
     * JDK's DRBG refuses them too, and nothing new should be built on them.
     */
    private static final Map<String, Integer> MAX_STRENGTH = Map.of(
            "SHA-224", 192, "SHA-512/224", 192, "SHA-256", 256, "SHA-512/256", 256, "SHA-384", 256,
            "SHA-512", 256, "AES-128", 128, "AES-192", 192, "AES-256", 256);

    /**
     * The largest request one generate call accepts, 2^18 bits for all three: what Bouncy
     * Castle's Hash_DRBG and HMAC_DRBG accept, and what our CTR_DRBG accepts so that it can
     * be compared with Bouncy Castle's call for call (SP 800-90A Table 2/3 allow 2^19).
     */
    public static final int MAX_BYTES_PER_REQUEST = (1 << 18) / 8;

    private final String standardName;
    private final List<String> algorithms;

    Mechanism(String standardName, List<String> algorithms) {
        this.standardName = standardName;
        this.algorithms = algorithms;
    }

    /** The SP 800-90A name, as in {@code securerandom.drbg.config}: Hash_DRBG, HMAC_DRBG, CTR_DRBG. */
    public String standardName() {
        return standardName;
    }

    /** The algorithms this mechanism can run on, weakest first. */
    public List<String> algorithms() {
        return algorithms;
    }

    /** The highest security strength {@code algorithm} supports. */
    public static int maxStrength(String algorithm) {
        return MAX_STRENGTH.get(algorithm);
    }

    /**
     * SP 800-90A 9.1 Instantiate: builds the engine and runs its instantiate algorithm,
     * which draws entropy_input from {@code entropy}.
     */
    public SP80090DRBG instantiate(String algorithm, int strength, EntropySource entropy,
                                   byte[] personalization, byte[] nonce) {
        if (!algorithms.contains(algorithm)) {
            throw new IllegalArgumentException(standardName + " does not run on " + algorithm
                    + "; use one of " + algorithms);
        }
        return switch (this) {
            case HASH_DRBG -> new HashSP800DRBG(new JdkDigest(algorithm), strength, entropy, personalization, nonce);
            case HMAC_DRBG -> new HMacSP800DRBG(new JdkHmac(algorithm), strength, entropy, personalization, nonce);
            case CTR_DRBG -> new CtrDrbg(keyBits(algorithm), strength, entropy, personalization, nonce);
        };
    }

    /**
     * SP 800-90A 9.4 Uninstantiate of {@code drbg}: our CTR_DRBG zeroes its state; Bouncy
     * Castle's engines keep V and Key in private fields that cannot be zeroed, so for them
     * dropping the reference (the caller's part) is all there is.
     */
    public static void uninstantiate(SP80090DRBG drbg) {
        if (drbg instanceof CtrDrbg ours) {
            ours.zeroize();
        }
    }

    private static int keyBits(String aes) {
        return Integer.parseInt(aes.substring("AES-".length()));
    }

    /** Finds a mechanism by its SP 800-90A name, case-insensitively. */
    public static Mechanism byName(String name) {
        for (Mechanism m : values()) {
            if (m.standardName.equalsIgnoreCase(name)) {
                return m;
            }
        }
        return null;
    }
}
