package dev.reseeddrbg.provider.drbg;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.bouncycastle.crypto.ExtendedDigest;

/**
 * Bouncy Castle's {@code Digest} interface over the JDK's {@code MessageDigest}, so that
 * Bouncy Castle's Hash_DRBG logic runs on the JDK's SHA-2, which HotSpot compiles to the
 * SHA-NI or AVX2 instructions where the CPU has them, instead of Bouncy Castle's Java
 * rounds (benchmarks' PeerBenchmark shows Hash_DRBG through it). The algorithm name is Bouncy Castle's, which its DRBG uses to look up seedlen and the
 * maximum security strength.
 */
final class JdkDigest implements ExtendedDigest {
    private final MessageDigest digest;
    private final String bcName;
    private final int blockSize;

    JdkDigest(String bcName) {
        this.bcName = bcName;
        this.blockSize = bcName.startsWith("SHA-512") || bcName.equals("SHA-384") ? 128 : 64;
        try {
            this.digest = MessageDigest.getInstance(bcName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK offers no MessageDigest " + bcName, e);
        }
    }

    @Override
    public String getAlgorithmName() {
        return bcName;
    }

    @Override
    public int getDigestSize() {
        return digest.getDigestLength();
    }

    @Override
    public int getByteLength() {
        return blockSize;
    }

    @Override
    public void update(byte in) {
        digest.update(in);
    }

    @Override
    public void update(byte[] in, int inOff, int len) {
        digest.update(in, inOff, len);
    }

    @Override
    public int doFinal(byte[] out, int outOff) {
        try {
            return digest.digest(out, outOff, digest.getDigestLength());
        } catch (DigestException e) {
            throw new IllegalStateException("digest output does not fit", e);
        }
    }

    @Override
    public void reset() {
        digest.reset();
    }
}
