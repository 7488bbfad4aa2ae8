package dev.reseeddrbg.simkernel;

/**
 * A notifier running on its own thread until closed. Closing interrupts the thread and
 * waits for it to end; an interrupt of the closing thread does not cut that wait short (a
 * notifier left running could bump a page after its owner stopped), it is kept and set
 * again once the notifier has ended.
 */
public interface NotifierThread extends AutoCloseable {
    @Override
    void close();

    /** What it watches and how, for the daemon's start line (after "NAME notifier "). */
    String describe();

    /** Interrupts {@code thread} and waits for it to end, keeping the caller's interrupt for afterwards. */
    static void stop(Thread thread) {
        thread.interrupt();
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
