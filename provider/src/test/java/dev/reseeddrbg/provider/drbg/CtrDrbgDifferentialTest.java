package dev.reseeddrbg.provider.drbg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Our CTR_DRBG against Bouncy Castle's, byte for byte ({@link CtrDifferential}), through a
 * long seeded random sequence of generates (0 B to 64 KiB, with and without additional
 * input, with and without prediction resistance) and reseeds (with and without additional
 * input), for every key size, at full and at lower strength, with entropy inputs of the
 * minimum length and longer. The CAVP vectors only ever generate 64 bytes twice; this is
 * where long requests, odd lengths, the request split and long sequences are checked.
 * {@link CtrDrbgFuzzTest} lets Jazzer choose the sequences.
 */
class CtrDrbgDifferentialTest {
    private static final int OPERATIONS = 1500;

    @ParameterizedTest(name = "AES-{0} strength {1}, entropy {2} B, seed {3}")
    @CsvSource({
        "128, 128, 16, 1", "128, 128, 40, 2",
        "192, 192, 24, 3", "192, 128, 17, 4",
        "256, 256, 32, 5", "256, 192, 55, 6", "256, 128, 16, 7",
    })
    void everyOperationGivesBouncyCastlesBytes(int keyBits, int strength, int entropyBytes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] personalization = seed % 2 == 0 ? null : CtrDifferential.bytes(random, random.nextInt(1, 100));
        byte[] nonce = CtrDifferential.bytes(random, strength / 16 + random.nextInt(3));
        CtrDifferential drbgs = new CtrDifferential(keyBits, strength, random.nextLong(), entropyBytes,
                personalization, nonce);
        for (int i = 0; i < OPERATIONS; i++) {
            drbgs.randomOperation(random);
        }
        assertEquals(OPERATIONS, drbgs.operations());
    }
}
