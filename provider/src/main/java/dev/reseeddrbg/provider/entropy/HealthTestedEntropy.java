package dev.reseeddrbg.provider.entropy;

import dev.reseeddrbg.provider.spi.EntropySource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;
import java.util.Arrays;

/**
 * A continuous health test in front of an entropy source, in the spirit of SP 800-90B
 * 4.4: a block equal to the previous block from the same source, or a block of one
 * repeated byte, is a stuck source, and the draw fails instead of seeding a DRBG with it.
 * Only a SHA-256 fingerprint of the previous block is kept, never the block itself.
 * One instance serves one DRBG state and is used under that state's lock.
 */
public final class HealthTestedEntropy {
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
        byte[] fingerprint = sha256.digest(block);
        if (previousFingerprint != null && MessageDigest.isEqual(fingerprint, previousFingerprint)) {
            Arrays.fill(block, (byte) 0);
            throw new ProviderException("entropy source '" + source.name()
                    + "' returned the same block twice in a row; health test failed, no output is produced");
        }
        previousFingerprint = fingerprint;
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
