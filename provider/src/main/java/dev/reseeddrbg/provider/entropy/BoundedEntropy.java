package dev.reseeddrbg.provider.entropy;

import dev.reseeddrbg.provider.spi.EntropySource;
import java.security.ProviderException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The policy for an entropy source that blocks: a draw or reseed waits for it at most
 * {@code reseeddrbg.entropyTimeout}, then fails with a {@link ProviderException} that
 * says so. No output is produced without the entropy, and nothing weaker is used instead.
 *
 * <p>A custom source's {@link EntropySource#fill} runs on one of at most
 * {@link #MAX_OUTSTANDING} daemon threads of its own, into a scratch array that is copied
 * out only if the call returned in time; a call that returns late has its bytes dropped.
 * While {@link #MAX_OUTSTANDING} calls whose callers gave up have not returned, further
 * draws fail at once rather than pile up behind a hung source. The caller waits
 * parked (no spinning), its interrupt flag is kept, and an interrupt does not cut the wait
 * short (an interrupt is not a failed source).
 *
 * <p>Why platform threads behind a {@link ThreadPoolExecutor} and not a virtual thread per
 * call: a draw may run on a caller's nearly exhausted stack, and a StackOverflowError
 * inside the virtual-thread scheduler's submission (its pool's run-state lock) can leave
 * that lock held, so that no virtual thread of the JVM starts again. The executor's
 * hand-off is a lock-free queue and locks whose critical sections have reserved stack
 * (JEP 270), so an overflow there fails the one call and nothing else.
 *
 * <p>The kernel source is called directly: getrandom(2) blocks only until the kernel's
 * pool is first initialised at boot, as the JDK's NativePRNGBlocking does, and the
 * handoff would cost every reseed a thread switch.
 */
public final class BoundedEntropy implements EntropySource {
    /** Calls of one source that may be hung at once before draws stop waiting for it. */
    static final int MAX_OUTSTANDING = 4;
    /** How long an idle call thread is kept for the next reseed. */
    private static final long IDLE_THREAD_SECONDS = 30;

    private final EntropySource source;
    private final Duration timeout;
    private final ThreadPoolExecutor calls;
    /** Calls whose caller timed out and that have not returned: the source's hung calls. */
    private final AtomicInteger hung = new AtomicInteger();

    private BoundedEntropy(EntropySource source, Duration timeout) {
        this.source = source;
        this.timeout = timeout;
        String threadName = "reseeddrbg-entropy-" + source.name();
        // A burst of reseeds waits its turn in the queue; draws fail at once only when
        // MAX_OUTSTANDING calls are known to be hung (see fill).
        this.calls = new ThreadPoolExecutor(MAX_OUTSTANDING, MAX_OUTSTANDING, IDLE_THREAD_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), new CallThreads(threadName));
        this.calls.allowCoreThreadTimeOut(true);
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
        if (hung.get() >= MAX_OUTSTANDING) {
            throw new ProviderException("entropy source '" + source.name() + "' has " + hung.get()
                    + " calls that never returned (reseeddrbg.entropyTimeout " + timeout.toMillis() + "ms); no output is "
                    + "produced until it answers. Check the source");
        }
        byte[] scratch = new byte[out.length];
        StackHeadroom.require(); // the hand-off below runs inside the executor's locks
        Call call = new Call(source, scratch, hung);
        Future<?> result;
        try {
            result = calls.submit(call);
        } catch (RejectedExecutionException e) {
            throw new ProviderException("entropy source '" + source.name() + "' cannot be called: " + e.getMessage(), e);
        }
        Throwable failed = await(result, call);
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

    /**
     * Waits for {@code call} until the timeout, through interrupts; what it threw, or null.
     *
     * @throws ProviderException when it did not return in time
     */
    private Throwable await(Future<?> result, Call call) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    return null;
                } catch (ExecutionException e) {
                    return e.getCause();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException e) {
                    call.abandon();
                    throw new ProviderException("entropy source '" + source.name() + "' did not return within "
                            + timeout.toMillis() + "ms (reseeddrbg.entropyTimeout); no output is produced. Check the "
                            + "source, or raise reseeddrbg.entropyTimeout");
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One fill of the source; a named class rather than a lambda (see DrawPath in the engine package). */
    private static final class Call implements Callable<Void> {
        private static final int RUNNING = 0;
        private static final int RETURNED = 1;
        private static final int ABANDONED = 2;
        private final EntropySource source;
        private final byte[] scratch;
        /** Calls abandoned by their callers that have not returned yet; shared by the source's calls. */
        private final AtomicInteger hung;
        private final AtomicInteger state = new AtomicInteger(RUNNING);

        Call(EntropySource source, byte[] scratch, AtomicInteger hung) {
            this.source = source;
            this.scratch = scratch;
            this.hung = hung;
        }

        @Override
        public Void call() {
            try {
                source.fill(scratch);
            } finally {
                if (!state.compareAndSet(RUNNING, RETURNED)) {
                    hung.decrementAndGet(); // abandoned, and counted as hung until now
                }
            }
            return null;
        }

        /** The caller gave up waiting: the call counts as hung until it returns. */
        void abandon() {
            if (state.compareAndSet(RUNNING, ABANDONED)) {
                hung.incrementAndGet();
            }
        }
    }

    /** Daemon threads named after the source, so that a hung call shows in a thread dump. */
    private static final class CallThreads implements ThreadFactory {
        private final String name;

        CallThreads(String name) {
            this.name = name;
        }

        @Override
        public Thread newThread(Runnable task) {
            return Thread.ofPlatform().daemon().name(name).unstarted(task);
        }
    }
}
