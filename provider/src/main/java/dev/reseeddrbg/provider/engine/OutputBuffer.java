package dev.reseeddrbg.provider.engine;

import java.util.Arrays;

/**
 * Output generated ahead by one DRBG state, to amortise the engine's per-call cost, and
 * the ramp of its refills.
 *
 * <p>Invariants: bytes {@code [pos, length)} are unread and were generated under the
 * state's current seed and word; every other byte is zero. Served bytes are zeroed as they
 * leave, and {@link #wipe} zeroes everything, which the state does at every reseed, word
 * change and failure.
 *
 * <p>The ramp: right after a wipe the next refill is {@value #FIRST_REFILL} bytes, so that
 * the first draw after a notification pays for 1 KiB, not for a whole buffer; each refill
 * after that is four times larger, up to the buffer's size.
 */
final class OutputBuffer {
    static final int FIRST_REFILL = 1024;

    private final byte[] bytes;
    private int pos;
    private int nextRefill;

    OutputBuffer(int size) {
        this.bytes = new byte[size];
        wipe();
    }

    int capacity() {
        return bytes.length;
    }

    /** Unread bytes. */
    int remaining() {
        return bytes.length - pos;
    }

    /** Copies up to {@code out.length - off} unread bytes into {@code out} at {@code off}, zeroing them here; returns how many. */
    int take(byte[] out, int off) {
        int n = Math.min(out.length - off, bytes.length - pos);
        System.arraycopy(bytes, pos, out, off, n);
        Arrays.fill(bytes, pos, pos + n, (byte) 0);
        pos += n;
        return n;
    }

    /**
     * The array the next refill generates into, of the ramp's next size: the buffer itself
     * when the ramp has reached it, else a temporary array (a few times after each wipe,
     * never in the steady state). Call only when {@link #remaining} is 0, then hand the
     * filled array to {@link #filled}.
     */
    byte[] refillTarget() {
        return nextRefill == bytes.length ? bytes : new byte[nextRefill];
    }

    /** Takes the output generated into {@code target} (from {@link #refillTarget}) as unread, and grows the ramp. */
    void filled(byte[] target) {
        if (target != bytes) {
            System.arraycopy(target, 0, bytes, bytes.length - target.length, target.length);
            Arrays.fill(target, (byte) 0);
        }
        pos = bytes.length - target.length;
        nextRefill = Math.min(bytes.length, 4 * nextRefill);
    }

    /** Zeroes every byte and restarts the ramp. */
    void wipe() {
        Arrays.fill(bytes, (byte) 0);
        pos = bytes.length;
        nextRefill = Math.min(FIRST_REFILL, bytes.length);
    }

    /** Test seam: the next {@code n} unread bytes, without serving them. */
    byte[] peekForTest(int n) {
        return Arrays.copyOfRange(bytes, pos, (int) Math.min(bytes.length, (long) pos + n));
    }

    /** Test seam: whether every byte is zero. */
    boolean isZeroForTest() {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
