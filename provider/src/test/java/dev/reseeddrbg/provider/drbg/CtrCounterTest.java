package dev.reseeddrbg.provider.drbg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.HexFormat;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rule {@link CtrDrbg} stands on: one AES/CTR call from V + 1 yields Block_Encrypt(Key,
 * V + 1), Block_Encrypt(Key, V + 2), ... with V incremented over the whole 128-bit block
 * (SP 800-90A 10.2.1, ctr_len = blocklen), also where the increment carries out of the low
 * 64 bits and where it wraps at 2^128. Random V almost never gets there, so the
 * differential test cannot see it; this test puts V there.
 */
class CtrCounterTest {
    private static final int BLOCKS = 6;

    @ParameterizedTest
    @ValueSource(strings = {"0000000000000000fffffffffffffffd", "00000000000000fffffffffffffffffe",
        "fffffffffffffffffffffffffffffffd", "7fffffffffffffffffffffffffffffff", "000102030405060708090a0b0c0d0e0f"})
    void aesCtrKeystreamIsEcbOfTheWholeBlockCounter(String start) throws Exception {
        byte[] counter = HexFormat.of().parseHex(start);
        byte[] key = new byte[32];
        new SplittableRandom(start.hashCode()).nextBytes(key);
        SecretKeySpec k = new SecretKeySpec(key, "AES");

        Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
        ctr.init(Cipher.ENCRYPT_MODE, k, new IvParameterSpec(counter));
        byte[] keystream = ctr.update(new byte[BLOCKS * 16]);

        byte[] counters = new byte[BLOCKS * 16];
        byte[] v = counter.clone();
        for (int i = 0; i < BLOCKS; i++) {
            System.arraycopy(v, 0, counters, i * 16, 16);
            CtrDrbg.increment(v);
        }
        Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
        ecb.init(Cipher.ENCRYPT_MODE, k);
        assertArrayEquals(ecb.doFinal(counters), keystream, "from " + start);
    }
}
