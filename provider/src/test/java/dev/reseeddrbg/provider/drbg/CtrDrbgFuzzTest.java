package dev.reseeddrbg.provider.drbg;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The CTR_DRBG differential ({@link CtrDifferential}) with Jazzer choosing everything: key
 * size, strength, entropy input length, personalization, nonce, and the sequence of
 * generates (0 B to 64 KiB, additional input, prediction resistance) and reseeds. Any
 * difference from Bouncy Castle's CTR_DRBG fails with the operations that led to it. A class
 * of its own because Jazzer fuzzes one target per class; {@code ./mvnw verify} fuzzes for
 * 20 s, {@code JAZZER_MAX_DURATION=10m} longer.
 */
class CtrDrbgFuzzTest {
    private static final int[] KEY_BITS = {128, 192, 256};
    /** Enough operations to walk well past instantiation, few enough for many runs a second. */
    private static final int MAX_OPERATIONS = 24;

    @FuzzTest(maxDuration = "20s")
    void anySequenceGivesBouncyCastlesBytes(FuzzedDataProvider data) {
        int keyBits = data.pickValue(KEY_BITS);
        int strength = data.pickValue(new int[] {128, 192, 256});
        if (strength > keyBits) {
            strength = keyBits;
        }
        int entropyBytes = strength / 8 + data.consumeInt(0, 64);
        long entropySeed = data.consumeLong();
        byte[] personalization = data.consumeBoolean() ? null : data.consumeBytes(data.consumeInt(0, 300));
        byte[] nonce = data.consumeBoolean() ? null : data.consumeBytes(data.consumeInt(0, 64));
        CtrDifferential drbgs = new CtrDifferential(keyBits, strength, entropySeed, entropyBytes, personalization,
                nonce);
        for (int i = 0; i < MAX_OPERATIONS && data.remainingBytes() > 0; i++) {
            int kind = data.consumeInt(0, 3);
            byte[] input = data.consumeBoolean() ? null : data.consumeBytes(data.consumeInt(0, 300));
            if (kind == 0) {
                drbgs.reseed(input);
            } else {
                // Mostly small requests, so that one run stays fast; now and then up to 64 KiB.
                int length = kind == 3 ? data.consumeInt(0, CtrDifferential.MAX_GENERATE) : data.consumeInt(0, 1100);
                drbgs.generate(length, input, data.consumeBoolean());
            }
        }
    }
}
