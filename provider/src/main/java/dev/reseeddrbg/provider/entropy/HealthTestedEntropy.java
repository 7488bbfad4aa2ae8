package dev.reseeddrbg.provider.entropy;

import dev.reseeddrbg.provider.spi.EntropySource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;
import java.util.Arrays;

/**
 * Continuous health tests (SP 800-90B 4.4) in front of an entropy source, so that a stuck,
 * repeating or cycling source fails the draw instead of seeding a DRBG. The source's
 * contract is full entropy: 8 bits a byte, 128 bits a 16-byte block.
 * <ul>
 * <li><b>Repetition count test</b> (4.4.1) on bytes, across reads: cutoff
 *     C = 1 + ceil(-log2(alpha) / H) = 1 + 64 / 8 = 9 identical bytes in a row, with
 *     alpha = 2^-64. That is below 90B's suggested 2^-20 to 2^-40 on purpose: a failure here
 *     fails a caller's draw, so a false alarm should be as rare as a full-entropy source
 *     allows (once per 2^64 bytes). A read of eight or more copies of one byte also fails.</li>
 * <li><b>Adaptive proportion test</b> (4.4.2) on 16-byte blocks, W = 512, cutoff 2: at
 *     full entropy a 128-bit sample recurs within 511 others with probability about 2^-119,
 *     so one recurrence fails. It is applied at every position, each block against the
 *     511 before it (within a read and across reads), not only to each window's first
 *     sample, which catches every cycle of up to 511 blocks at its first repeat: a source
 *     alternating between two blocks fails at the third.</li>
 * </ul>
 * Only 64-bit SHA-256 fingerprints of past blocks are kept, never the blocks. The history
 * is not cleared on a failure, so a failed source keeps failing. One instance serves one
 * DRBG state and is used under that state's lock.
 */
public final class HealthTestedEntropy {
    private static final int BLOCK = 16;
    /** 4.4.1 cutoff for bytes at H = 8 and alpha = 2^-64. */
    static final int REPETITION_CUTOFF = 9;
    /** 4.4.2 window, in blocks. */
    static final int WINDOW = 512;

    private final EntropySource source;
    private final MessageDigest sha256;
    /** Fingerprints of the last WINDOW - 1 full blocks, a ring; {@link #seen} of them are valid. */
    private final long[] history = new long[WINDOW - 1];
    private int seen;
    private int nextSlot;
    /** The last byte read and how many times in a row it has come (4.4.1's A and B). */
    private int lastByte = -1;
    private int run;

    public HealthTestedEntropy(EntropySource source) {
        this.source = source;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fresh entropy from the source, after the health tests. */
    public byte[] next(int bytes) {
        byte[] block = new byte[bytes];
        source.fill(block);
        String failure = test(block);
        if (failure != null) {
            Arrays.fill(block, (byte) 0);
            throw new ProviderException("entropy source '" + source.name() + "' " + failure
                    + "; health test failed (SP 800-90B 4.4), no output is produced");
        }
        return block;
    }

    public EntropySource source() {
        return source;
    }

    /** Runs both tests over {@code read}; null when it passes, else what failed. */
    private String test(byte[] read) {
        if (read.length >= 8 && isOneRepeatedByte(read)) {
            return "returned " + read.length + " copies of one byte";
        }
        for (byte b : read) {
            int v = b & 0xff;
            run = v == lastByte ? run + 1 : 1;
            lastByte = v;
            if (run >= REPETITION_CUTOFF) {
                return "gave one byte value " + run + " times in a row (repetition count test)";
            }
        }
        for (int off = 0; off + BLOCK <= read.length; off += BLOCK) {
            sha256.update(read, off, BLOCK);
            byte[] digest = sha256.digest();
            long fingerprint = 0;
            for (int i = 0; i < 8; i++) {
                fingerprint = fingerprint << 8 | (digest[i] & 0xff);
            }
            Arrays.fill(digest, (byte) 0);
            for (int i = 0; i < seen; i++) {
                if (history[i] == fingerprint) {
                    int back = (nextSlot - i + history.length) % history.length;
                    record(fingerprint);
                    return "repeated a 16-byte block it gave " + (back == 0 ? history.length : back)
                            + " blocks earlier (adaptive proportion test, window " + WINDOW + ")";
                }
            }
            record(fingerprint);
        }
        return null;
    }

    private void record(long fingerprint) {
        history[nextSlot] = fingerprint;
        nextSlot = (nextSlot + 1) % history.length;
        seen = Math.min(seen + 1, history.length);
    }

    private static boolean isOneRepeatedByte(byte[] block) {
        for (byte b : block) {
            if (b != block[0]) {
                return false;
            }
        }
        return true;
    }
}
