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
 * <p>Why: CTR_DRBG's generate step (SP 800-90A 10.2.1.5.2, step 4) and its update step
 * (10.2.1.2, step 2) encrypt V+1, V+2, ... one block at a time. Through
 * {@code Cipher.update} that costs about 17 ns a block on our machines, while the JDK's
 * AES/CTR produces the same blocks at about 0.7 us per 16 KiB. So this engine answers a
 * block from a <em>run</em>: the AES/CTR keystream of the counters from that block on,
 * made with one call, checking every later request against the counter it expects. The
 * DRBG logic stays Bouncy Castle's; only the block cipher calls are batched. The CAVP
 * test runs this engine.
 *
 * <p>Run sizes: the first block after a key change starts a run as long as the counter
 * walk under the previous key (at least 4 blocks, enough for the update step, which is all
 * some keys are used for), because refills of one size follow each other: in the steady
 * state one AES/CTR call makes exactly a 16 KiB generate plus its update. Each run that is
 * used up by consecutive requests is followed by one four times longer, up to a 16 KiB
 * generate plus its update ({@link #MAX_RUN}). A request outside the run (the derivation function's chained blocks
 * are not counters) is encrypted singly, and no more runs are tried under that key. The
 * ECB cipher is keyed only when it is needed, so an ordinary generate expands its key once
 * (for AES/CTR), not twice.
 *
 * <p>The run is keystream for the current key, i.e. DRBG output. Each block is zeroed as
 * it is served; what was never served is zeroed when the key changes (CTR_DRBG's update
 * step changes it at the end of every generate call) and when a new run starts.
 */
final class JdkAesEngine implements BlockCipher {
    private static final int BLOCK = 16;
    private static final int FIRST_RUN = 4 * BLOCK;
    /** The longest run covers a 16 KiB generate plus CTR_DRBG's update step (at most 3 blocks). */
    private static final int MAX_RUN = 16384 + 4 * BLOCK;
    /** AES/CTR input: the keystream is the encryption of zeros. Only ever read. */
    private static final byte[] ZEROS = new byte[MAX_RUN];
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_NATIVE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    /**
     * Cipher.init(mode, key) would fetch the default SecureRandom, which is this provider
     * once it is installed first: a DRBG keying its own AES would recurse into itself.
     * AES never draws randomness here, so it gets a SecureRandom that refuses to be used.
     */
    private static final SecureRandom NO_RANDOM = new UnusableRandom();

    private final Cipher ecb;
    private final Cipher ctr;
    /** Keystream: bytes [runPos, runEnd) are AES_K(expected), AES_K(expected + 1), ...; bytes past runEnd are zero. */
    private final byte[] run = new byte[MAX_RUN];
    private int runPos;
    private int runEnd;
    /** The counter whose encryption is at runPos (once runPos reaches runEnd: the one after the run), as two big-endian halves. */
    private long expectedHigh;
    private long expectedLow;
    /** Length of the next run; see {@link #init}. 0 once runs were given up for this key. */
    private int nextRun;
    /** Bytes served from runs under the current key, i.e. how far the counter walk went. */
    private int walked;
    private byte[] key;
    private SecretKeySpec keySpec;
    /** Whether {@link #ecb} holds the current key. */
    private boolean ecbKeyed;

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
        // A refill walks as far under each key as under the one before it (a whole
        // generate plus its update step), so the first run covers that walk in one call;
        // a key that only did the update step (after a reseed) gives a short run.
        nextRun = Math.max(FIRST_RUN, Math.min(MAX_RUN, walked));
        walked = 0;
        ecbKeyed = false;
        if (key != null) {
            Arrays.fill(key, (byte) 0);
        }
        key = newKey.clone();
        keySpec = new SecretKeySpec(key, "AES");
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
        boolean expectedBlock = (long) LONG_BE.get(in, inOff) == expectedHigh
                && (long) LONG_BE.get(in, inOff + 8) == expectedLow;
        if (expectedBlock && runPos < runEnd) {
            return serveFromRun(out, outOff);
        }
        // The successor of a used-up run: the counter walk goes on, and AES/CTR, which we
        // only ever call with update, is already positioned at this very counter.
        boolean walking = expectedBlock && runEnd > 0;
        if (walking) {
            nextRun = Math.min(MAX_RUN, 4 * runEnd);
        } else if (runEnd > 0) {
            nextRun = 0; // not the counter we expected: stop guessing under this key
        }
        if (nextRun > 0 && startRun(in, inOff, nextRun, walking)) {
            return serveFromRun(out, outOff);
        }
        return encryptOne(in, inOff, out, outOff);
    }

    private int serveFromRun(byte[] out, int outOff) {
        // Two 8-byte moves: a 16-byte System.arraycopy costs more in its setup than this.
        LONG_NATIVE.set(out, outOff, (long) LONG_NATIVE.get(run, runPos));
        LONG_NATIVE.set(out, outOff + 8, (long) LONG_NATIVE.get(run, runPos + 8));
        // A served block is DRBG output (or the next Key and V): it must not stay behind in
        // memory once the engine has moved on (backtracking resistance, SP 800-90A 8.5).
        LONG_NATIVE.set(run, runPos, 0L);
        LONG_NATIVE.set(run, runPos + 8, 0L);
        runPos += BLOCK;
        // expected += 1, as a 128-bit big-endian integer (what CTR_DRBG does to V)
        if (++expectedLow == 0) {
            expectedHigh++;
        }
        return BLOCK;
    }

    private int encryptOne(byte[] in, int inOff, byte[] out, int outOff) {
        dropRun();
        try {
            if (!ecbKeyed) {
                ecb.init(Cipher.ENCRYPT_MODE, keySpec, NO_RANDOM);
                ecbKeyed = true;
            }
            return ecb.update(in, inOff, BLOCK, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES failed", e);
        }
    }

    /**
     * Makes a run of {@code length} bytes of keystream for the counters from {@code in}
     * on: one AES/CTR call, after keying it at {@code in} unless it is already there
     * ({@code continuing}). Refused (false) when the run would carry out of the low 64 bits
     * of the counter, the one place where counter-mode implementations have differed in
     * how they increment.
     */
    private boolean startRun(byte[] in, int inOff, int length, boolean continuing) {
        long low = (long) LONG_BE.get(in, inOff + 8);
        if (Long.compareUnsigned(low, -1L - length / BLOCK) > 0) {
            return false;
        }
        dropRun();
        try {
            if (!continuing) {
                ctr.init(Cipher.ENCRYPT_MODE, keySpec, new IvParameterSpec(in, inOff, BLOCK), NO_RANDOM);
            }
            ctr.update(ZEROS, 0, length, run, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/CTR failed", e);
        }
        expectedHigh = (long) LONG_BE.get(in, inOff);
        expectedLow = (long) LONG_BE.get(in, inOff + 8);
        runPos = 0;
        runEnd = length;
        return true;
    }

    /**
     * Zeroes what is left of the run (served blocks were zeroed as they went); keeps the
     * expected counter, so a successor is still recognised.
     */
    private void dropRun() {
        Arrays.fill(run, runPos, runEnd, (byte) 0);
        walked += runPos;
        runPos = 0;
        runEnd = 0;
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
