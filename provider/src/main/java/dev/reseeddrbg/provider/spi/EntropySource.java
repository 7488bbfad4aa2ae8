package dev.reseeddrbg.provider.spi;

/**
 * Where a ReseedDRBG state gets its entropy input and nonce: at instantiation and at
 * every reseed. The default is the kernel ({@code getrandom(2)}); a hardware RNG or an
 * HSM can be plugged in by implementing this interface, declaring it as a service
 * ({@code META-INF/services/dev.reseeddrbg.provider.spi.EntropySource} or
 * {@code provides ... with ...}) and naming it in {@code reseeddrbg.entropySource}.
 *
 * <p>Contract: {@link #fill} returns only fresh, full-entropy bytes, never bytes it
 * returned before and never bytes buffered from before a VM snapshot (a source that
 * buffers is exactly what this provider exists to avoid). On any failure it throws; the
 * provider then refuses to produce output. Implementations must be thread-safe. The
 * default source, for sources that add to the kernel rather than replace it, is
 * {@code ReseedProvider.kernelEntropySource()}.
 */
public interface EntropySource {

    /** The name {@code reseeddrbg.entropySource} selects this source by. */
    String name();

    /** Fills {@code out} completely with fresh entropy, or throws. */
    void fill(byte[] out);
}
