package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.drbg.Mechanism;
import java.security.MessageDigest;
import java.security.ProviderException;
import java.util.HexFormat;
import org.bouncycastle.crypto.prng.BasicEntropySourceProvider;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.SP80090DRBG;
import org.bouncycastle.util.test.FixedSecureRandom;

/**
 * The start-up self-test: one NIST CAVP known answer per mechanism (no_reseed,
 * COUNT = 0 of the first group), run once per JVM when the first DRBG state is
 * instantiated, at its first draw (getInstance runs no cryptography: the JDK builds a
 * SecureRandom while it initialises its own crypto classes), through the same
 * {@link Mechanism#instantiate} the provider uses. A failure means the primitives under
 * the DRBG are broken: that draw, and every later one, throws instead of producing.
 */
final class KnownAnswerSelfTest {
    private record Vector(Mechanism mechanism, String algorithm, String entropy, String nonce, String expected) {
    }

    private static final Vector[] VECTORS = {
        new Vector(Mechanism.HASH_DRBG, "SHA-256",
                "a65ad0f345db4e0effe875c3a2e71f42c7129d620ff5c119a9ef55f05185e0fb", "8581f9317517276e06e9607ddbcbcc2e",
                "d3e160c35b99f340b2628264d1751060e0045da383ff57a57d73a673d2b8d80daaf6a6c35a91bb4579d73fd0c8fed111"
                + "b0391306828adfed528f018121b3febdc343e797b87dbb63db1333ded9d1ece177cfa6b71fe8ab1da46624ed6415e51c"
                + "cde2c7ca86e283990eeaeb91120415528b2295910281b02dd431f4c9f70427df"),
        new Vector(Mechanism.HMAC_DRBG, "SHA-256",
                "ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488", "659ba96c601dc69fc902940805ec0ca8",
                "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89d54fbb978a15b5c443c9ec21036d2460"
                + "b6f73ebad0dc2aba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668"
                + "961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8"),
        new Vector(Mechanism.CTR_DRBG, "AES-256",
                "36401940fa8b1fba91a1661f211d78a0b9389a74e5bccfece8d766af1a6d3b14", "496f25b0f1301b4f501be30380a137eb",
                "5862eb38bd558dd978a696e6df164782ddd887e7e9a6c9f3f1fbafb78941b535a64912dfd224c6dc7454e5250b3d9716"
                + "5e16260c2faf1cc7735cb75fb4f07e1d"),
    };

    private static volatile boolean passed;

    private KnownAnswerSelfTest() {
    }

    /** Runs the test the first time it is called; throws ProviderException on a wrong answer. */
    static void runOnce() {
        if (passed) {
            return;
        }
        synchronized (KnownAnswerSelfTest.class) {
            if (!passed) {
                for (Vector v : VECTORS) {
                    check(v);
                }
                passed = true;
            }
        }
    }

    private static void check(Vector v) {
        HexFormat hex = HexFormat.of();
        byte[] entropy = hex.parseHex(v.entropy());
        byte[] expected = hex.parseHex(v.expected());
        SP80090DRBG drbg = v.mechanism().instantiate(v.algorithm(), 256, fixed(entropy), null, hex.parseHex(v.nonce()));
        byte[] out = new byte[expected.length];
        drbg.generate(out, null, false);
        drbg.generate(out, null, false);
        if (!MessageDigest.isEqual(out, expected)) {
            throw new ProviderException("ReseedDRBG start-up self-test failed for " + v.mechanism().standardName()
                    + " " + v.algorithm() + ": the known answer does not match; the provider will not run");
        }
    }

    /** Bouncy Castle's own way to hand a DRBG known entropy: a source reading a fixed SecureRandom. */
    private static EntropySource fixed(byte[] bytes) {
        return new BasicEntropySourceProvider(new FixedSecureRandom(bytes), false).get(bytes.length * 8);
    }
}
