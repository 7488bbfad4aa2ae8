package dev.reseeddrbg.provider.entropy;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * {@link CpuRandom}'s per-word health tests on 64-bit instruction output: all-zero and
 * all-ones words fail (a known AMD failure returns -1 with the carry set), and a repetition
 * count test with cutoff C = 2 (SP 800-90B 4.4.1; at near full entropy two equal
 * consecutive 64-bit words come once in 2^64) fails a word equal to the one before it,
 * also when the two came from different calls.
 *
 * <p>Within a call the previous word is held as is; at the end of a call it is replaced by
 * its 64-bit SHA-256 fingerprint, so no word handed out stays in memory between calls.
 * Used under its owner's lock.
 */
final class WordHealth {
    private final MessageDigest sha256;
    /** The previous word of the current call, valid when {@link #inCall}. */
    private long previous;
    private boolean inCall;
    /** Fingerprint of the last word of an earlier call, valid when {@link #haveLast}. */
    private long lastFingerprint;
    private boolean haveLast;

    WordHealth() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Null when {@code word} passes, else what failed, worded to follow the instruction's name. */
    String test(long word) {
        if (word == 0) {
            return "returned an all-zero word";
        }
        if (word == -1L) {
            return "returned an all-ones word (-1)";
        }
        boolean repeated = inCall ? word == previous : haveLast && fingerprint(word) == lastFingerprint;
        if (repeated) {
            return "returned two identical consecutive 64-bit words";
        }
        previous = word;
        inCall = true;
        return null;
    }

    /** Ends a call: the last word is kept only as its fingerprint. */
    void endCall() {
        if (inCall) {
            lastFingerprint = fingerprint(previous);
            haveLast = true;
            previous = 0;
            inCall = false;
        }
    }

    private long fingerprint(long word) {
        byte[] bytes = new byte[Long.BYTES];
        for (int i = 0; i < Long.BYTES; i++) {
            bytes[i] = (byte) (word >>> (8 * i));
        }
        byte[] digest = sha256.digest(bytes);
        long fingerprint = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            fingerprint = (fingerprint << 8) | (digest[i] & 0xffL);
        }
        Arrays.fill(bytes, (byte) 0);
        return fingerprint;
    }
}
