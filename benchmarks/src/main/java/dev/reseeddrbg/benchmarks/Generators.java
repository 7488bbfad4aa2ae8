package dev.reseeddrbg.benchmarks;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.reseeddrbg.provider.ReseedProvider;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.Security;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.prng.SP800SecureRandomBuilder;

/**
 * Every generator the benchmarks compare, by the name used in {@code @Param} and in the
 * report. Each is built the way a user would build it.
 */
final class Generators {
    /** One draw into {@code out}; a SecureRandom's nextBytes or a raw getrandom(2). */
    @FunctionalInterface
    interface Drawer {
        void next(byte[] out);
    }

    static final String RESEED_CTR = "ReseedDRBG-CTR";
    static final String RESEED_HASH = "ReseedDRBG-Hash";
    static final String RESEED_HMAC = "ReseedDRBG-HMAC";
    /** Amazon Corretto Crypto Provider's SecureRandom: AWS-LC's CTR_DRBG (AES-256) over JNI. */
    static final String ACCP = "ACCP-LibCryptoRng";

    private Generators() {
    }

    static Drawer create(String name) throws GeneralSecurityException {
        BenchPage.kernel();
        return switch (name) {
            case RESEED_CTR -> reseed("CTR_DRBG,AES-256,256")::nextBytes;
            case RESEED_HASH -> reseed("Hash_DRBG,SHA-256,256")::nextBytes;
            case RESEED_HMAC -> reseed("HMAC_DRBG,SHA-256,256")::nextBytes;
            case "JDK-DRBG" -> jdkDrbg(null)::nextBytes;
            case "JDK-DRBG-CTR" -> jdkDrbg("CTR_DRBG,AES-256,256")::nextBytes;
            case "JDK-DRBG-HMAC" -> jdkDrbg("HMAC_DRBG,SHA-256,256")::nextBytes;
            case "NativePRNG" -> SecureRandom.getInstance("NativePRNG")::nextBytes;
            case "NativePRNGNonBlocking" -> SecureRandom.getInstance("NativePRNGNonBlocking")::nextBytes;
            case "SHA1PRNG" -> SecureRandom.getInstance("SHA1PRNG")::nextBytes;
            case "BC-Hash" -> bc().buildHash(new SHA256Digest(), nonce(), false)::nextBytes;
            case "BC-HMAC" -> bc().buildHMAC(new HMac(new SHA256Digest()), nonce(), false)::nextBytes;
            case "BC-CTR" -> bc().buildCTR(AESEngine.newInstance(), 256, nonce(), false)::nextBytes;
            case ACCP -> accp()::nextBytes;
            case "getrandom" -> ReseedProvider.kernelEntropySource()::fill;
            default -> throw new IllegalArgumentException("unknown generator " + name);
        };
    }

    /** ReseedDRBG with the given reseeddrbg.config, on the benchmark's page. */
    static SecureRandom reseed(String config) throws GeneralSecurityException {
        System.setProperty("reseeddrbg.config", config);
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", new ReseedProvider());
        random.nextBytes(new byte[1]); // instantiate outside the measurement
        return random;
    }

    /** The JDK's DRBG; {@code config} null means its default (Hash_DRBG, SHA-256). */
    static SecureRandom jdkDrbg(String config) throws GeneralSecurityException {
        if (config != null) {
            Security.setProperty("securerandom.drbg.config", config);
        }
        SecureRandom random = SecureRandom.getInstance("DRBG");
        random.nextBytes(new byte[1]);
        return random;
    }

    /** ACCP's LibCryptoRng, from the provider object (not installed, so nothing else changes). */
    static SecureRandom accp() throws GeneralSecurityException {
        AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
        accp.assertHealthy(); // its native library loaded and passed its self-tests
        SecureRandom random = SecureRandom.getInstance("LibCryptoRng", accp);
        random.nextBytes(new byte[1]);
        return random;
    }

    private static SP800SecureRandomBuilder bc() {
        return new SP800SecureRandomBuilder(new SecureRandom(), true);
    }

    private static byte[] nonce() {
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        return nonce;
    }
}
