package dev.reseeddrbg.provider.entropy;

import dev.reseeddrbg.provider.spi.EntropySource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;
import java.util.Arrays;

/**
 * A continuous health test in front of an entropy source, in the spirit of SP 800-90B
 * 4.4 (repetition count test, applied to 16-byte blocks as FIPS 140-2's continuous RNG
 * test did): a block equal to the block before it, within one read or across reads, or
 * a read that is one byte repeated, means a stuck source, and the draw fails instead of
 * seeding a DRBG with it. Only a SHA-256 fingerprint of the previous block is kept,
 * never the block itself.
 * One instance serves one DRBG state and is used under that state's lock.
 */
public final class HealthTestedEntropy {
    private static final int BLOCK = 16;
    private final EntropySource source;
    private final MessageDigest sha256;
    private byte[] previousFingerprint;

    public HealthTestedEntropy(EntropySource source) {
        this.source = source;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fresh entropy from the source, after the health test. */
    public byte[] next(int bytes) {
        byte[] block = new byte[bytes];
        source.fill(block);
        if (bytes >= 8 && isOneRepeatedByte(block)) {
            Arrays.fill(block, (byte) 0);
            throw new ProviderException("entropy source '" + source.name() + "' returned " + bytes
                    + " copies of one byte; health test failed, no output is produced");
        }
        for (int off = 0; off < bytes; off += BLOCK) {
            sha256.update(block, off, Math.min(BLOCK, bytes - off));
            byte[] fingerprint = sha256.digest();
            if (previousFingerprint != null && MessageDigest.isEqual(fingerprint, previousFingerprint)) {
                Arrays.fill(block, (byte) 0);
                previousFingerprint = null;
                throw new ProviderException("entropy source '" + source.name()
                        + "' repeated a " + BLOCK + "-byte block; health test failed, no output is produced");
            }
            previousFingerprint = fingerprint;
        }
        return block;
    }

    public EntropySource source() {
        return source;
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
