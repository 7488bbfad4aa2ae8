package dev.reseeddrbg.page;

/**
 * The 32-bit reseed-notification word: notifier ID in bits 31..24, epoch counter in
 * bits 23..0.
 *
 * <p>Readers compare whole words for equality and nothing else. The counter wraps at
 * 2^24, so the word is not monotonic, and 0 is an ordinary value (a fresh page). What
 * makes every notification visible is that {@link #next} always yields a word different
 * from its input, because the counter always moves by one. A reader can only miss a
 * change if exactly a multiple of 2^24 notifications land between two of its reads and
 * the last one came from the notifier it saw before (docs/epoch-page.md).
 */
public final class EpochWord {
    /** Width of the epoch counter. */
    public static final int EPOCH_BITS = 24;
    /** Mask of the epoch counter within the word. */
    public static final int EPOCH_MASK = (1 << EPOCH_BITS) - 1;
    /** Lowest notifier ID a registration can hand out; ID 0 means "no notification yet". */
    public static final int MIN_NOTIFIER_ID = 1;
    /** Highest notifier ID: the ID field is 8 bits. */
    public static final int MAX_NOTIFIER_ID = 255;

    private EpochWord() {
    }

    /** The notifier that wrote this word, 0 if none has yet. */
    public static int notifierId(int word) {
        return word >>> EPOCH_BITS;
    }

    /** The epoch counter, 0 .. 2^24 - 1. */
    public static int epoch(int word) {
        return word & EPOCH_MASK;
    }

    /** The word holding {@code notifierId} and {@code epoch}; both are range-checked. */
    public static int of(int notifierId, int epoch) {
        if (notifierId < 0 || notifierId > MAX_NOTIFIER_ID) {
            throw new IllegalArgumentException("notifier ID " + notifierId + " is outside 0..255");
        }
        if ((epoch & ~EPOCH_MASK) != 0) {
            throw new IllegalArgumentException("epoch " + epoch + " is outside 0..2^24-1");
        }
        return (notifierId << EPOCH_BITS) | epoch;
    }

    /** The word notifier {@code notifierId} writes over {@code current}: counter + 1 mod 2^24, its ID. */
    public static int next(int current, int notifierId) {
        return of(notifierId, (epoch(current) + 1) & EPOCH_MASK);
    }

    /**
     * {@code 0x01000005 notifier=vm-snapshot(1) epoch=5}: the one way a word is written in
     * logs, CLI output and error messages, on both sides of the page.
     *
     * @param notifierName the name registered for the word's notifier ID ("none" for ID 0)
     */
    public static String describe(int word, String notifierName) {
        return String.format("0x%08x notifier=%s(%d) epoch=%d", word, notifierName, notifierId(word), epoch(word));
    }
}
