package dev.reseeddrbg.provider.entropy;

import dev.reseeddrbg.provider.spi.EntropySource;
import java.security.ProviderException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The policy for an entropy source that blocks: a draw or reseed waits for it at most
 * {@code reseeddrbg.entropyTimeout}, then fails with a {@link ProviderException} that
 * says so. No output is produced without the entropy, and nothing weaker is used instead.
 *
 * <p>A custom source's {@link EntropySource#fill} runs on a virtual thread of its own,
 * into a scratch array that is copied out only if the call returned in time; a call that
 * returns late has its bytes dropped. While {@link #MAX_OUTSTANDING} calls have not
 * returned, further draws fail at once rather than pile up threads behind a hung source.
 * The caller's interrupt flag is kept, and an interrupt does not cut the wait short (an
 * interrupt is not a failed source).
 *
 * <p>The kernel source is called directly: getrandom(2) blocks only until the kernel's
 * pool is first initialised at boot, as the JDK's NativePRNGBlocking does, and the
 * handoff would cost every reseed a thread start.
 */
public final class BoundedEntropy implements EntropySource {
    /** Calls of one source that may be hung at once before draws stop waiting for it. */
    static final int MAX_OUTSTANDING = 4;

    private final EntropySource source;
    private final Duration timeout;
    private final AtomicInteger outstanding = new AtomicInteger();

    private BoundedEntropy(EntropySource source, Duration timeout) {
        this.source = source;
        this.timeout = timeout;
    }

    /** {@code source} with every fill bounded by {@code timeout}; the kernel source as it is. */
    public static EntropySource bound(EntropySource source, Duration timeout) {
        return source instanceof KernelEntropy ? source : new BoundedEntropy(source, timeout);
    }

    @Override
    public String name() {
        return source.name();
    }

    @Override
    public void fill(byte[] out) {
        if (outstanding.get() >= MAX_OUTSTANDING) {
            throw new ProviderException("entropy source '" + source.name() + "' has " + outstanding.get()
                    + " calls that never returned (reseeddrbg.entropyTimeout " + timeout.toMillis() + "ms); no output is produced "
                    + "until it answers. Check the source");
        }
        byte[] scratch = new byte[out.length];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        outstanding.incrementAndGet();
        Thread call = Thread.ofVirtual().name("reseeddrbg-entropy-" + source.name()).start(() -> {
            try {
                source.fill(scratch);
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                outstanding.decrementAndGet();
            }
        });
        if (!await(call)) {
            throw new ProviderException("entropy source '" + source.name() + "' did not return " + out.length
                    + " bytes within " + timeout.toMillis() + "ms (reseeddrbg.entropyTimeout); no output is produced. Check the "
                    + "source, or raise reseeddrbg.entropyTimeout");
        }
        Throwable failed = failure.get();
        if (failed instanceof RuntimeException e) {
            throw e;
        }
        if (failed instanceof Error e) {
            throw e;
        }
        if (failed != null) {
            throw new ProviderException("entropy source '" + source.name() + "' failed", failed);
        }
        System.arraycopy(scratch, 0, out, 0, out.length);
        Arrays.fill(scratch, (byte) 0);
    }

    /** Waits for {@code call} until the timeout, through interrupts; whether it finished. */
    private boolean await(Thread call) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return !call.isAlive();
                }
                try {
                    if (call.join(Duration.ofNanos(left))) {
                        return true;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
