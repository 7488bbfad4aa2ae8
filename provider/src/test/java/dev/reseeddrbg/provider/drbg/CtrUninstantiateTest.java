package dev.reseeddrbg.provider.drbg;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.SP80090DRBG;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SP 800-90A 9.4: uninstantiating our CTR_DRBG leaves no Key or V on the heap. */
class CtrUninstantiateTest {
    @ParameterizedTest
    @ValueSource(strings = {"AES-128", "AES-192", "AES-256"})
    void uninstantiateZeroesKeyAndV(String aes) {
        SplittableRandom random = new SplittableRandom(aes.hashCode());
        EntropySource entropy = new EntropySource() {
            @Override
            public boolean isPredictionResistant() {
                return true;
            }

            @Override
            public byte[] getEntropy() {
                byte[] b = new byte[32];
                random.nextBytes(b);
                return b;
            }

            @Override
            public int entropySize() {
                return 256;
            }
        };
        int strength = Mechanism.maxStrength(aes);
        SP80090DRBG drbg = Mechanism.CTR_DRBG.instantiate(aes, strength, entropy, null, new byte[16]);
        drbg.generate(new byte[64], null, false);
        CtrDrbg ours = (CtrDrbg) drbg;
        assertFalse(ours.stateIsZeroForTest(), "a working state holds Key and V");
        Mechanism.uninstantiate(drbg);
        assertTrue(ours.stateIsZeroForTest(), "Key, V and reseed_counter zeroed");
    }
}
