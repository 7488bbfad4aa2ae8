package dev.reseeddrbg.provider.drbg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.CTRSP800DRBG;
import org.junit.jupiter.api.Test;

/**
 * The batching AES engine must be indistinguishable from plain AES, whatever order the
 * blocks come in: the CAVP vectors only ever ask for 64 bytes, so the long runs, the
 * run growth and the counter carries are checked here against Bouncy Castle's own AES.
 */
class JdkAesEngineTest {
    private static final int BLOCK = 16;

    @Test
    void consecutiveCountersMatchPlainAesAcrossRunsAndKeyChanges() {
        SplittableRandom random = new SplittableRandom(1);
        JdkAesEngine engine = new JdkAesEngine();
        BlockCipher reference = AESEngine.newInstance();
        for (int key = 0; key < 6; key++) {
            KeyParameter k = new KeyParameter(bytes(random, 32));
            engine.init(true, k);
            reference.init(true, k);
            byte[] counter = bytes(random, BLOCK);
            // Long enough to reach the longest run twice over.
            for (int i = 0; i < 3000; i++) {
                increment(counter);
                assertSame(engine, reference, counter, "key " + key + ", block " + i);
            }
        }
    }

    @Test
    void countersCarryingOutOfTheLow64BitsMatchPlainAes() {
        JdkAesEngine engine = new JdkAesEngine();
        BlockCipher reference = AESEngine.newInstance();
        KeyParameter k = new KeyParameter(new byte[32]);
        engine.init(true, k);
        reference.init(true, k);
        byte[] counter = HexFormat.of().parseHex("00000000000000fffffffffffffffc00");
        for (int i = 0; i < 2048; i++) { // crosses ...ffffffff -> 01 00..00
            increment(counter);
            assertSame(engine, reference, counter, "block " + i);
        }
    }

    @Test
    void arbitraryAndRepeatedBlocksMatchPlainAes() {
        SplittableRandom random = new SplittableRandom(2);
        JdkAesEngine engine = new JdkAesEngine();
        BlockCipher reference = AESEngine.newInstance();
        KeyParameter k = new KeyParameter(bytes(random, 16));
        engine.init(true, k);
        reference.init(true, k);
        byte[] counter = bytes(random, BLOCK);
        for (int i = 0; i < 2000; i++) {
            switch (random.nextInt(4)) {
                case 0 -> counter = bytes(random, BLOCK); // a jump, as in the derivation function
                case 1 -> { } // the same block again
                default -> increment(counter);
            }
            assertSame(engine, reference, counter, "step " + i);
        }
    }

    @Test
    void ctrDrbgOverTheEngineEqualsCtrDrbgOverPlainAesForEveryRequestSize() {
        for (int keyBits : new int[] {128, 192, 256}) {
            CTRSP800DRBG ours = new CTRSP800DRBG(new JdkAesEngine(), keyBits, keyBits, entropy(keyBits), null, new byte[16]);
            CTRSP800DRBG plain = new CTRSP800DRBG(AESEngine.newInstance(), keyBits, keyBits, entropy(keyBits), null,
                    new byte[16]);
            for (int size : new int[] {1, 16, 17, 64, 1000, 1024, 4096, 16384, 16400, 32768}) {
                byte[] a = new byte[size];
                byte[] b = new byte[size];
                byte[] additional = size % 2 == 0 ? null : new byte[] {1, 2, 3};
                ours.generate(a, additional, false);
                plain.generate(b, additional, false);
                assertArrayEquals(b, a, "AES-" + keyBits + ", " + size + " bytes");
            }
            ours.reseed(null);
            plain.reseed(null);
            byte[] a = new byte[16384];
            byte[] b = new byte[16384];
            ours.generate(a, null, false);
            plain.generate(b, null, false);
            assertArrayEquals(b, a, "AES-" + keyBits + " after a reseed");
        }
    }

    private static void assertSame(JdkAesEngine engine, BlockCipher reference, byte[] block, String where) {
        byte[] expected = new byte[BLOCK];
        byte[] actual = new byte[BLOCK + 3];
        reference.processBlock(block, 0, expected, 0);
        engine.processBlock(block, 0, actual, 3); // at an offset, as callers may ask
        assertArrayEquals(expected, Arrays.copyOfRange(actual, 3, 3 + BLOCK), where);
    }

    /** A deterministic entropy source, the same for both engines. */
    private static EntropySource entropy(int bits) {
        return new EntropySource() {
            private final SplittableRandom random = new SplittableRandom(bits);

            @Override
            public boolean isPredictionResistant() {
                return false;
            }

            @Override
            public byte[] getEntropy() {
                return bytes(random, bits / 8);
            }

            @Override
            public int entropySize() {
                return bits;
            }
        };
    }

    private static byte[] bytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static void increment(byte[] block) {
        for (int i = block.length - 1; i >= 0 && ++block[i] == 0; i--) {
            // carry into the next byte
        }
    }
}
