package dev.reseeddrbg.provider.drbg;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Bouncy Castle's {@code BlockCipher} interface over the JDK's AES (AES-NI), for
 * Bouncy Castle's CTR_DRBG. It returns AES_K(block) for every block it is given, like
 * any block cipher; it is just faster at it when the blocks are consecutive counters.
 *
 * <p>Why: CTR_DRBG's generate step (SP 800-90A 10.2.1.5.2, step 4) encrypts V+1, V+2,
 * ... one block at a time. Through {@code Cipher.update} that costs about 17 ns a block
 * on our machines, while the JDK's AES/CTR produces the same blocks at about 90 ns per
 * KiB. So when this engine sees a block that is the successor of the previous one, it
 * encrypts a run of the following counters with one AES/CTR call and answers the next
 * requests from that run, checking each request against the counter it expects (a
 * mismatch falls back to a single-block encryption). The DRBG logic stays Bouncy
 * Castle's; only the block cipher calls are batched. The CAVP test runs this engine.
 *
 * <p>The run is keystream for the current key, i.e. DRBG output. It is zeroed when the
 * key changes, which CTR_DRBG's update step does at the end of every generate call, and
 * when a new run starts; so no keystream outlives the generate call that used it.
 */
final class JdkAesEngine implements BlockCipher {
    private static final int BLOCK = 16;
    /** One run covers a 4 KiB generate plus CTR_DRBG's update step (at most 3 blocks). */
    private static final int RUN = 4096 + 4 * BLOCK;
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    /**
     * Cipher.init(mode, key) would fetch the default SecureRandom, which is this provider
     * once it is installed first: a DRBG keying its own AES would recurse into itself.
     * AES never draws randomness here, so it gets a SecureRandom that refuses to be used.
     */
    private static final SecureRandom NO_RANDOM = new UnusableRandom();

    private final Cipher ecb;
    private final Cipher ctr;
    private final byte[] zeros = new byte[RUN];
    /** Keystream: bytes [runPos, runEnd) are AES_K(expected), AES_K(expected + 1), ... */
    private final byte[] run = new byte[RUN];
    private int runPos;
    private int runEnd;
    private final byte[] expected = new byte[BLOCK];
    /** The last block encrypted singly, to spot the start of a run of counters. */
    private final byte[] previous = new byte[BLOCK];
    private boolean havePrevious;
    private byte[] key;
    private SecretKeySpec keySpec;

    JdkAesEngine() {
        try {
            this.ecb = Cipher.getInstance("AES/ECB/NoPadding");
            this.ctr = Cipher.getInstance("AES/CTR/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK offers no AES/ECB or AES/CTR", e);
        }
    }

    @Override
    public void init(boolean forEncryption, CipherParameters params) {
        if (!forEncryption) {
            throw new IllegalArgumentException("CTR_DRBG uses AES for encryption only");
        }
        byte[] newKey = ((KeyParameter) params).getKey();
        if (key != null && MessageDigest.isEqual(key, newKey)) {
            return; // same key (generate, then update): the run stays valid
        }
        dropRun();
        havePrevious = false;
        if (key != null) {
            Arrays.fill(key, (byte) 0);
        }
        key = newKey.clone();
        keySpec = new SecretKeySpec(key, "AES");
        try {
            ecb.init(Cipher.ENCRYPT_MODE, keySpec, NO_RANDOM);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot key AES", e);
        }
    }

    @Override
    public String getAlgorithmName() {
        return "AES";
    }

    @Override
    public int getBlockSize() {
        return BLOCK;
    }

    @Override
    public int processBlock(byte[] in, int inOff, byte[] out, int outOff) {
        if (runPos < runEnd && sameBlock(in, inOff, expected)) {
            return serveFromRun(out, outOff);
        }
        boolean successor = havePrevious ? isSuccessor(in, inOff, previous)
                : runEnd > 0 && sameBlock(in, inOff, expected);
        if (successor && startRun(in, inOff)) {
            return serveFromRun(out, outOff);
        }
        System.arraycopy(in, inOff, previous, 0, BLOCK);
        havePrevious = true;
        try {
            return ecb.update(in, inOff, BLOCK, out, outOff);
        } catch (ShortBufferException e) {
            throw new IllegalStateException("AES output does not fit", e);
        }
    }

    private int serveFromRun(byte[] out, int outOff) {
        System.arraycopy(run, runPos, out, outOff, BLOCK);
        runPos += BLOCK;
        increment(expected);
        havePrevious = false;
        return BLOCK;
    }

    /**
     * Encrypts the counters from {@code in} on with one AES/CTR call. Refused (false)
     * when the run would carry out of the low 64 bits of the counter, the one place where
     * counter-mode implementations have differed in how they increment.
     */
    private boolean startRun(byte[] in, int inOff) {
        long low = (long) LONG_BE.get(in, inOff + 8);
        if (Long.compareUnsigned(low, -1L - RUN / BLOCK) > 0) {
            return false;
        }
        dropRun();
        try {
            ctr.init(Cipher.ENCRYPT_MODE, keySpec, new IvParameterSpec(in, inOff, BLOCK), NO_RANDOM);
            ctr.doFinal(zeros, 0, RUN, run, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/CTR failed", e);
        }
        System.arraycopy(in, inOff, expected, 0, BLOCK);
        runPos = 0;
        runEnd = RUN;
        return true;
    }

    private void dropRun() {
        Arrays.fill(run, (byte) 0);
        runPos = 0;
        runEnd = 0;
    }

    private static boolean sameBlock(byte[] in, int inOff, byte[] block) {
        return (long) LONG_BE.get(in, inOff) == (long) LONG_BE.get(block, 0)
                && (long) LONG_BE.get(in, inOff + 8) == (long) LONG_BE.get(block, 8);
    }

    /** Whether block {@code in} is {@code prev} + 1, as 128-bit big-endian integers. */
    private static boolean isSuccessor(byte[] in, int inOff, byte[] prev) {
        long prevHigh = (long) LONG_BE.get(prev, 0);
        long prevLow = (long) LONG_BE.get(prev, 8);
        long low = prevLow + 1;
        long high = low == 0 ? prevHigh + 1 : prevHigh;
        return (long) LONG_BE.get(in, inOff) == high && (long) LONG_BE.get(in, inOff + 8) == low;
    }

    /** block += 1, as a 128-bit big-endian integer (what CTR_DRBG does to V). */
    private static void increment(byte[] block) {
        long low = (long) LONG_BE.get(block, 8) + 1;
        LONG_BE.set(block, 8, low);
        if (low == 0) {
            LONG_BE.set(block, 0, (long) LONG_BE.get(block, 0) + 1);
        }
    }

    @Override
    public void reset() {
        // ECB keeps no chaining state between blocks.
    }

    /** A SecureRandom for APIs that demand one but, for AES, never draw from it. */
    private static final class UnusableRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;

        UnusableRandom() {
            super(new SecureRandomSpi() {
                private static final long serialVersionUID = 1L;

                @Override
                protected void engineSetSeed(byte[] seed) {
                    throw new UnsupportedOperationException("not a source of randomness");
                }

                @Override
                protected void engineNextBytes(byte[] bytes) {
                    throw new UnsupportedOperationException("not a source of randomness");
                }

                @Override
                protected byte[] engineGenerateSeed(int numBytes) {
                    throw new UnsupportedOperationException("not a source of randomness");
                }
            }, null);
        }
    }
}
