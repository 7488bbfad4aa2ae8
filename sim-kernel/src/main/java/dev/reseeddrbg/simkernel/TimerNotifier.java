package dev.reseeddrbg.simkernel;

import java.time.Duration;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * Fires a notifier every {@code period}, as the kernel's periodic reseed does (Linux
 * reseeds its CRNG every 60 s). Runs on one daemon thread until closed.
 */
public final class TimerNotifier implements NotifierThread {
    private final Thread thread;
    private final Duration period;

    private TimerNotifier(Thread thread, Duration period) {
        this.thread = thread;
        this.period = period;
    }

    /** Starts firing {@code notifier} every {@code period}; {@code onFire} sees each word written. */
    public static TimerNotifier start(Notifier notifier, Duration period, IntConsumer onFire) {
        Objects.requireNonNull(onFire);
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("timer period must be positive, got " + period);
        }
        Thread thread = Thread.ofPlatform().daemon().name("simkernel-timer").start(() -> {
            long next = System.nanoTime() + period.toNanos();
            while (!Thread.currentThread().isInterrupted()) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(Duration.ofNanos(wait));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                onFire.accept(notifier.fire());
                next += period.toNanos();
            }
        });
        return new TimerNotifier(thread, period);
    }

    @Override
    public String describe() {
        return "firing every " + Durations.format(period);
    }

    @Override
    public void close() {
        NotifierThread.stop(thread);
    }
}
