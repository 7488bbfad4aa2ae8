package dev.reseeddrbg.demo;

import dev.reseeddrbg.provider.ReseedProvider;
import dev.reseeddrbg.provider.spi.EntropySource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * FOR DEMONSTRATIONS AND CLONE TESTS ONLY. Replays a fixed "snapshot" for the first
 * {@value #REPLAYED_CALLS} requests (the nonce and entropy input of one instantiation),
 * then hands every later request to the kernel.
 *
 * <p>That is what a VM snapshot does to a process: every clone resumes with the DRBG
 * state the snapshot froze. Starting two JVMs with this source and the same
 * {@code demo.snapshotSeed} gives two DRBGs in exactly the same state, without having
 * to snapshot a real VM; what happens next (reseeding from the kernel on notification)
 * is the real provider.
 */
public final class SnapshotEntropySource implements EntropySource {
    public static final String NAME = "snapshot-replay";
    public static final String SEED_PROPERTY = "demo.snapshotSeed";
    /** Instantiation asks twice: nonce, then entropy input. */
    static final int REPLAYED_CALLS = 2;

    private final AtomicInteger calls = new AtomicInteger();
    private final byte[] seed = HexFormat.of().parseHex(System.getProperty(SEED_PROPERTY, "5eed"));

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void fill(byte[] out) {
        int call = calls.getAndIncrement();
        if (call >= REPLAYED_CALLS) {
            ReseedProvider.kernelEntropySource().fill(out);
            return;
        }
        expand(seed, call, out);
    }

    /** SHA-256(seed || call || block), concatenated: a deterministic stream per call. */
    static void expand(byte[] seed, int call, byte[] out) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (int off = 0, block = 0; off < out.length; off += 32, block++) {
                sha.update(seed);
                sha.update((byte) call);
                sha.update((byte) block);
                byte[] d = sha.digest();
                System.arraycopy(d, 0, out, off, Math.min(32, out.length - off));
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
