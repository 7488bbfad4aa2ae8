package dev.reseeddrbg.provider.drbg;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.SP80090DRBG;

/**
 * CTR_DRBG of SP 800-90A Rev. 1, section 10.2.1, with the derivation function
 * (Block_Cipher_df, 10.3.2), on AES-128, AES-192 or AES-256, over the JDK's AES.
 *
 * <p><b>Why this mechanism is ours.</b> Speed. Bouncy Castle's {@code CTRSP800DRBG} makes
 * its keystream one 16-byte block and one counter increment at a time, a loop that costs
 * more per byte, even over a block cipher that only copies, than the JDK's AES/CTR (AES-NI)
 * takes to make the same keystream: over ten times more ({@code CtrGenerateBenchmark}
 * measures both). A buffer refill is one Generate call, so that loop was most of the cost
 * of a small draw. Here Generate (10.2.1.5.2) makes its keystream with one AES/CTR
 * call. Hash_DRBG and HMAC_DRBG stay Bouncy Castle's: their cost is the hash, not the loop.
 *
 * <p><b>How it is kept honest.</b> Three tests, each able to fail on a one-byte slip:
 * {@code CavpKnownAnswerTest} runs every shipped NIST CAVP CTR_DRBG vector (use df,
 * AES-128/192/256, with and without reseed) through this class, built by
 * {@link Mechanism#instantiate} as the provider builds it; {@code CtrDrbgDifferentialTest}
 * drives this class and Bouncy Castle's {@code CTRSP800DRBG} with the same entropy, nonce
 * and personalization through a long random sequence of generate (0 B to 64 KiB, with and
 * without additional input), reseed (with and without additional input) and prediction
 * resistance requests for every key size and requires the same bytes; and
 * {@code CtrDrbgFuzzTest} lets Jazzer choose that sequence, for a bounded time in every
 * {@code ./mvnw verify}. The start-up self-test ({@code KnownAnswerSelfTest}) checks one
 * CAVP answer before the first instance is handed out.
 *
 * <p><b>Rules this class keeps.</b>
 * <ul>
 * <li>The counter field is the whole block ({@code ctr_len = blocklen = 128}): V + 1 is
 *     taken modulo 2^128, the increment of the JDK's AES/CTR, so one AES/CTR call started
 *     at V + 1 yields exactly Block_Encrypt(Key, V + 1), Block_Encrypt(Key, V + 2), ...</li>
 * <li>Generate allocates nothing of its own: Key, V, the ciphers and every scratch array are
 *     fields, reused. What remains is the JCA's price of a new key: a {@code SecretKeySpec},
 *     an {@code IvParameterSpec} and the JDK's key schedule, once per Generate (the key
 *     changes at the end of every Generate, 10.2.1.5.2 step 6).</li>
 * <li>Key material is overwritten in place or zeroed as soon as it is used up: Key and V
 *     are replaced in place; seed material, derivation-function state and update keystream
 *     are zeroed after each step; the entropy input is zeroed once it is absorbed. The JDK
 *     zeroes its own key schedule when a cipher is rekeyed; the key copy inside a
 *     {@code SecretKeySpec} cannot be cleared by its user (the JDK's own CtrDrbg has the
 *     same limit).</li>
 * <li>An empty additional input is the Null string of the standard (10.2.1.5.2 step 2): it
 *     is ignored, as the provider already treats it.</li>
 * </ul>
 *
 * <p>Not thread-safe, like the engines it stands beside: every caller holds the lock of the
 * state that owns the instance.
 */
final class CtrDrbg implements SP80090DRBG {
    /** blocklen = outlen for AES, in bytes (10.2.1, Table 3). */
    private static final int BLOCK = 16;
    /** max_number_of_bits_per_request, in bytes: 2^18 bits, as for the other mechanisms we offer (Table 3 allows up to 2^19). */
    static final int MAX_BYTES_PER_REQUEST = Mechanism.MAX_BYTES_PER_REQUEST;
    /** reseed_interval: the most Generate calls between reseeds that Table 3 allows, 2^48. */
    static final long RESEED_INTERVAL = 1L << 48;
    /** The largest seedlen (AES-256: 256 + 128 bits), in bytes; sizes the scratch arrays. */
    private static final int MAX_SEED = 48;
    /** Input of AES/CTR: the keystream is the encryption of zeros. Only ever read. */
    private static final byte[] ZEROS = new byte[MAX_BYTES_PER_REQUEST + BLOCK + MAX_SEED];
    /** 10.3.2 step 8: K = leftmost(0x00010203...1D1E1F, keylen). */
    private static final byte[] DF_KEY = new byte[32];

    static {
        for (int i = 0; i < DF_KEY.length; i++) {
            DF_KEY[i] = (byte) i;
        }
    }

    /**
     * Cipher.init(mode, key) would fetch the default SecureRandom, which is this provider
     * once it is installed first: a DRBG keying its own AES would recurse into itself.
     * AES never draws randomness for ECB and CTR with an IV, so it gets a SecureRandom that
     * refuses to be used.
     */
    private static final SecureRandom NO_RANDOM = new UnusableRandom();

    private final EntropySource entropySource;
    private final int strength;
    /** keylen, in bytes. */
    private final int keyLen;
    /** seedlen = keylen + blocklen, in bytes. */
    private final int seedLen;
    /** Blocks of one CTR_DRBG_Update: ceil(seedlen / blocklen). */
    private final int updateBlocks;

    // The internal state (10.2.1.1): Key, V, reseed_counter.
    private final byte[] key;
    private final byte[] v = new byte[BLOCK];
    private long reseedCounter;

    /** AES/CTR, keyed with Key at the start of every Generate. */
    private final Cipher ctr;
    /** AES/ECB for Update outside Generate and for 10.3.2 steps 10-13; {@link #ecbHoldsKey} says which key it holds. */
    private final Cipher ecb;
    /** AES/ECB keyed once with the derivation function's fixed key (10.3.2 step 8), for BCC. */
    private final Cipher bcc;
    /** Key as a JCA key; replaced whenever Key is. */
    private SecretKeySpec keySpec;
    private boolean ecbHoldsKey;

    // Scratch, reused by every call and zeroed after each use.
    /** V + 1, the first counter of Generate's AES/CTR call. */
    private final byte[] firstCounter = new byte[BLOCK];
    /** Update's keystream: V+1, V+2, ... encrypted (in Generate: after the unused tail of the output's last block). */
    private final byte[] updateStream = new byte[BLOCK + MAX_SEED];
    /** Update's counters V+1, V+2, ..., when Update runs on its own (ECB). */
    private final byte[] counters = new byte[MAX_SEED];
    /** Block_Cipher_df's result: the seed material, or the additional input, after df. */
    private final byte[] seedMaterial = new byte[MAX_SEED];
    /** 10.3.2 step 9: the BCC chaining values, one block per value of i, run side by side. */
    private final byte[] chains = new byte[MAX_SEED];
    /** BCC's input blocks (10.3.3 step 4.1), apart from chains: the JCA copies an in-place input first. */
    private final byte[] bccInput = new byte[MAX_SEED];
    /** One block of S = L || N || input_string || 0x80 || zero padding (10.3.2 steps 4-5). */
    private final byte[] sBlock = new byte[BLOCK];

    /**
     * 10.2.1.3.2 Instantiate, with entropy_input from {@code entropySource}.
     *
     * @param keyBits          128, 192 or 256: AES-128, AES-192 or AES-256
     * @param securityStrength at most {@code keyBits}
     * @param nonce            may be null (the Null string)
     * @param personalization  may be null (the Null string)
     */
    CtrDrbg(int keyBits, int securityStrength, EntropySource entropySource, byte[] personalization, byte[] nonce) {
        if (keyBits != 128 && keyBits != 192 && keyBits != 256) {
            throw new IllegalArgumentException("CTR_DRBG runs on AES-128, AES-192 or AES-256, not a " + keyBits
                    + "-bit key");
        }
        if (securityStrength <= 0 || securityStrength > keyBits) {
            throw new IllegalArgumentException("security strength " + securityStrength + " is not supported by AES-"
                    + keyBits + " (at most " + keyBits + ")");
        }
        Objects.requireNonNull(entropySource, "entropySource");
        if (entropySource.entropySize() < securityStrength) {
            throw new IllegalArgumentException("the entropy source gives " + entropySource.entropySize()
                    + " bits per call, less than the security strength " + securityStrength);
        }
        this.entropySource = entropySource;
        this.strength = securityStrength;
        this.keyLen = keyBits / 8;
        this.seedLen = keyLen + BLOCK;
        this.updateBlocks = (seedLen + BLOCK - 1) / BLOCK;
        this.key = new byte[keyLen];
        this.ctr = jdkCipher("AES/CTR/NoPadding");
        this.ecb = jdkCipher("AES/ECB/NoPadding");
        this.bcc = jdkCipher("AES/ECB/NoPadding");
        try {
            bcc.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(DF_KEY, 0, keyLen, "AES"), NO_RANDOM);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-" + keyBits + " cannot be keyed", e);
        }

        byte[] entropyInput = entropy();
        try {
            // 10.2.1.3.2 steps 1-2: seed_material = Block_Cipher_df(entropy_input || nonce
            // || personalization_string, seedlen).
            blockCipherDf(entropyInput, nonce, personalization);
        } finally {
            Arrays.fill(entropyInput, (byte) 0);
        }
        // Steps 3-4: Key = 0^keylen, V = 0^blocklen (the arrays start zeroed).
        setKey();
        // Step 5: (Key, V) = CTR_DRBG_Update(seed_material, Key, V).
        update(seedMaterial);
        Arrays.fill(seedMaterial, (byte) 0);
        // Step 6: reseed_counter = 1.
        reseedCounter = 1;
    }

    /** The DRBG's block size in bits (SP80090DRBG). */
    @Override
    public int getBlockSize() {
        return BLOCK * 8;
    }

    /**
     * 10.2.1.5.2 Generate, with prediction resistance handled as 9.3.1 steps 7-7.4 do.
     *
     * @return the number of bits generated, or -1 when reseed_counter has passed the
     *         reseed interval (10.2.1.5.2 step 1) and nothing was generated
     */
    @Override
    public int generate(byte[] output, byte[] additionalInput, boolean predictionResistant) {
        Objects.requireNonNull(output, "output");
        if (output.length > MAX_BYTES_PER_REQUEST) {
            throw new IllegalArgumentException("a CTR_DRBG generate request is at most " + MAX_BYTES_PER_REQUEST
                    + " bytes (2^18 bits); " + output.length + " were requested");
        }
        // Step 1: if reseed_counter > reseed_interval, a reseed is required.
        if (reseedCounter > RESEED_INTERVAL) {
            return -1;
        }
        // 9.3.1 steps 7.1-7.4: with prediction resistance, reseed with the additional
        // input, then generate with additional_input = Null.
        if (predictionResistant) {
            reseed(additionalInput);
            additionalInput = null;
        }
        boolean withInput = additionalInput != null && additionalInput.length > 0;
        if (withInput) {
            // Step 2.1: additional_input = Block_Cipher_df(additional_input, seedlen).
            blockCipherDf(additionalInput, null, null);
            // Step 2.2: (Key, V) = CTR_DRBG_Update(additional_input, Key, V).
            update(seedMaterial);
        }
        // Step 2 else: additional_input = 0^seedlen (kept in seedMaterial when withInput).
        try {
            // Steps 3-5: temp = Block_Encrypt(Key, V+1) || Block_Encrypt(Key, V+2) || ...,
            // returned_bits = leftmost(temp, requested_number_of_bits): one AES/CTR call
            // from V+1 makes exactly the requested bytes.
            System.arraycopy(v, 0, firstCounter, 0, BLOCK);
            increment(firstCounter);
            ctr.init(Cipher.ENCRYPT_MODE, keySpec, new IvParameterSpec(firstCounter), NO_RANDOM);
            Arrays.fill(firstCounter, (byte) 0);
            ctr.update(ZEROS, 0, output.length, output, 0);
            // Step 6: (Key, V) = CTR_DRBG_Update(additional_input, Key, V). Its blocks are
            // Block_Encrypt(Key, V+1), ... with V the last counter of step 4: the same
            // keystream, after the unused tail of the output's last block. The AES/CTR call
            // goes on from there, so Update costs no second key schedule.
            int tail = -output.length & (BLOCK - 1);
            ctr.update(ZEROS, 0, tail + updateBlocks * BLOCK, updateStream, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/CTR failed", e);
        }
        finishUpdate(updateStream, -output.length & (BLOCK - 1), withInput ? seedMaterial : null);
        Arrays.fill(seedMaterial, (byte) 0);
        // Step 7: reseed_counter = reseed_counter + 1.
        reseedCounter++;
        return output.length * 8;
    }

    /** 10.2.1.4.2 Reseed, with entropy_input from the entropy source; {@code additionalInput} may be null. */
    @Override
    public void reseed(byte[] additionalInput) {
        byte[] entropyInput = entropy();
        try {
            // Steps 1-2: seed_material = Block_Cipher_df(entropy_input || additional_input, seedlen).
            blockCipherDf(entropyInput, additionalInput, null);
        } finally {
            Arrays.fill(entropyInput, (byte) 0);
        }
        // Step 3: (Key, V) = CTR_DRBG_Update(seed_material, Key, V).
        update(seedMaterial);
        Arrays.fill(seedMaterial, (byte) 0);
        // Step 4: reseed_counter = 1.
        reseedCounter = 1;
    }

    /**
     * SP 800-90A 9.4 Uninstantiate: Key, V and reseed_counter are zeroed, and both keyed
     * ciphers are rekeyed with an all-zero key, which makes the JDK zero their key
     * schedules. The instance must not be used again.
     */
    void zeroize() {
        Arrays.fill(key, (byte) 0);
        Arrays.fill(v, (byte) 0);
        reseedCounter = 0;
        try {
            SecretKeySpec zero = new SecretKeySpec(new byte[keyLen], "AES");
            ecb.init(Cipher.ENCRYPT_MODE, zero, NO_RANDOM);
            ctr.init(Cipher.ENCRYPT_MODE, zero, new IvParameterSpec(new byte[BLOCK]), NO_RANDOM);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES failed to take an all-zero key", e);
        }
        keySpec = null;
        ecbHoldsKey = false;
    }

    /** Test seam: whether Key, V and reseed_counter are all zero. */
    boolean stateIsZeroForTest() {
        for (byte b : key) {
            if (b != 0) {
                return false;
            }
        }
        for (byte b : v) {
            if (b != 0) {
                return false;
            }
        }
        return reseedCounter == 0;
    }

    /** Get_entropy_input (9.1 step 4, 9.2 step 3): at least security_strength bits. */
    private byte[] entropy() {
        byte[] input = entropySource.getEntropy();
        if (input == null || input.length < (strength + 7) / 8) {
            throw new IllegalStateException("the entropy source returned "
                    + (input == null ? "nothing" : input.length + " bytes") + "; CTR_DRBG at strength " + strength
                    + " needs at least " + (strength + 7) / 8);
        }
        return input;
    }

    /**
     * 10.2.1.2 CTR_DRBG_Update on its own (Instantiate, Reseed, Generate step 2.2):
     * {@code providedData} is seedlen bytes.
     */
    private void update(byte[] providedData) {
        // Steps 1-2: temp = Block_Encrypt(Key, V+1) || ... for ceil(seedlen / blocklen)
        // blocks, V incremented before each (2.1, ctr_len = blocklen): the counters are laid
        // out first, then encrypted in one ECB call (2.2-2.3).
        System.arraycopy(v, 0, counters, 0, BLOCK);
        increment(counters, 0);
        for (int i = 1; i < updateBlocks; i++) {
            System.arraycopy(counters, (i - 1) * BLOCK, counters, i * BLOCK, BLOCK);
            increment(counters, i * BLOCK);
        }
        try {
            if (!ecbHoldsKey) {
                ecb.init(Cipher.ENCRYPT_MODE, keySpec, NO_RANDOM);
                ecbHoldsKey = true;
            }
            ecb.update(counters, 0, updateBlocks * BLOCK, updateStream, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/ECB failed", e);
        }
        Arrays.fill(counters, (byte) 0);
        finishUpdate(updateStream, 0, providedData);
    }

    /**
     * 10.2.1.2 steps 3-6, on the temp at {@code stream[offset, offset + seedlen)}: temp =
     * leftmost(temp, seedlen) XOR provided_data (null: 0^seedlen); Key = leftmost(temp,
     * keylen); V = rightmost(temp, blocklen). Zeroes the stream afterwards.
     */
    private void finishUpdate(byte[] stream, int offset, byte[] providedData) {
        if (providedData != null) {
            for (int i = 0; i < seedLen; i++) {
                stream[offset + i] ^= providedData[i];
            }
        }
        System.arraycopy(stream, offset, key, 0, keyLen);
        System.arraycopy(stream, offset + keyLen, v, 0, BLOCK);
        Arrays.fill(stream, (byte) 0);
        setKey();
    }

    /** Key changed: a new JCA key; the ECB cipher holds the old one until it is rekeyed. */
    private void setKey() {
        keySpec = new SecretKeySpec(key, "AES");
        ecbHoldsKey = false;
    }

    /**
     * 10.3.2 Block_Cipher_df(input_string, seedlen) with input_string = a || b || c (each
     * may be null, the Null string), into {@link #seedMaterial}. Nothing is concatenated:
     * S is streamed block by block from its parts.
     */
    private void blockCipherDf(byte[] a, byte[] b, byte[] c) {
        long total = (long) length(a) + length(b) + length(c);
        // Step 1: number_of_bits_to_return (seedlen <= 384) is below max_number_of_bits (512).
        // Step 2: L = len(input_string) / 8, a 32-bit integer.
        if (total > 0xffff_ffffL) {
            throw new IllegalArgumentException("CTR_DRBG input of " + total + " bytes is above 2^32 - 1");
        }
        int l = (int) total;
        // Step 3: N = number_of_bits_to_return / 8.
        int n = seedLen;
        // Steps 6-9: temp = BCC(K, IV_0 || S) || BCC(K, IV_1 || S) || ... until keylen +
        // outlen bits, with IV_i = i || 0^(outlen - 32) (9.1) and K the fixed key of step 8,
        // held by the bcc cipher. The chains for i = 0, 1, (2) see the same blocks of S, so
        // they run side by side, one ECB call per block of S for all of them.
        int dfBlocks = (keyLen + BLOCK + BLOCK - 1) / BLOCK;
        int chainBytes = dfBlocks * BLOCK;
        try {
            // 10.3.3 BCC steps 1, 4.1-4.2 for the first block, IV_i: chaining_value =
            // Block_Encrypt(K, 0^outlen XOR IV_i).
            for (int i = 0; i < dfBlocks; i++) {
                bccInput[i * BLOCK + 3] = (byte) i;
            }
            bcc.update(bccInput, 0, chainBytes, chains, 0);
            // Steps 4-5: S = L || N || input_string || 0x80, padded with zeros to a whole
            // number of blocks; S is fed block by block (BCC step 3) into every chain.
            int sLength = 8 + l + 1;
            int sBlocks = (sLength + BLOCK - 1) / BLOCK;
            for (int block = 0; block < sBlocks; block++) {
                fillSBlock(block * (long) BLOCK, l, n, a, b, c);
                // BCC step 4.1: input_block = chaining_value XOR block_i; 4.2: encrypt.
                for (int i = 0; i < dfBlocks; i++) {
                    for (int j = 0; j < BLOCK; j++) {
                        bccInput[i * BLOCK + j] = (byte) (chains[i * BLOCK + j] ^ sBlock[j]);
                    }
                }
                bcc.update(bccInput, 0, chainBytes, chains, 0);
            }
            Arrays.fill(sBlock, (byte) 0);
            // Step 10: K = leftmost(temp, keylen). Step 11: X = select(temp, keylen + 1,
            // keylen + outlen).
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(chains, 0, keyLen, "AES"), NO_RANDOM);
            ecbHoldsKey = false;
            System.arraycopy(chains, keyLen, sBlock, 0, BLOCK);
            // Steps 12-14: temp = X_1 || X_2 || ... with X_j = Block_Encrypt(K, X_(j-1)),
            // until seedlen bits; requested_bits = leftmost(temp, seedlen). Whole blocks are
            // written (seedMaterial has room); only the leftmost seedlen bytes are ever read.
            ecb.update(sBlock, 0, BLOCK, seedMaterial, 0);
            for (int off = BLOCK; off < n; off += BLOCK) {
                ecb.update(seedMaterial, off - BLOCK, BLOCK, seedMaterial, off);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/ECB failed", e);
        } finally {
            Arrays.fill(chains, (byte) 0);
            Arrays.fill(bccInput, (byte) 0);
            Arrays.fill(sBlock, (byte) 0);
        }
    }

    /** Block number {@code start / 16} of S = L || N || a || b || c || 0x80 || 0...0, into {@link #sBlock}. */
    private void fillSBlock(long start, int l, int n, byte[] a, byte[] b, byte[] c) {
        for (int j = 0; j < BLOCK; j++) {
            long pos = start + j;
            byte value;
            if (pos < 4) {
                value = (byte) (l >>> (24 - 8 * pos));
            } else if (pos < 8) {
                value = (byte) (n >>> (24 - 8 * (pos - 4)));
            } else {
                long p = pos - 8;
                if (p < length(a)) {
                    value = a[(int) p];
                } else if ((p -= length(a)) < length(b)) {
                    value = b[(int) p];
                } else if ((p -= length(b)) < length(c)) {
                    value = c[(int) p];
                } else {
                    value = p == length(c) ? (byte) 0x80 : 0;
                }
            }
            sBlock[j] = value;
        }
    }

    private static int length(byte[] part) {
        return part == null ? 0 : part.length;
    }

    /** x = (x + 1) mod 2^128 on the big-endian block x: the counter field is the whole block. */
    static void increment(byte[] block) {
        increment(block, 0);
    }

    private static void increment(byte[] block, int offset) {
        for (int i = offset + BLOCK - 1; i >= offset; i--) {
            if (++block[i] != 0) {
                return;
            }
        }
    }

    /**
     * The JDK's own implementation (SunJCE, whose AES the JIT compiles to AES-NI), as the
     * JDK's CtrDrbg picks it; any other provider's only if SunJCE is absent.
     */
    private static Cipher jdkCipher(String transformation) {
        try {
            return Cipher.getInstance(transformation, "SunJCE");
        } catch (NoSuchProviderException | NoSuchAlgorithmException | NoSuchPaddingException notSunJce) {
            try {
                return Cipher.getInstance(transformation);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK offers no " + transformation, e);
            }
        }
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
