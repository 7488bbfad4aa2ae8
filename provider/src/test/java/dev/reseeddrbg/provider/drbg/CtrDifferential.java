package dev.reseeddrbg.provider.drbg;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.CTRSP800DRBG;
import org.bouncycastle.crypto.prng.drbg.SP80090DRBG;

/**
 * Our CTR_DRBG and Bouncy Castle's {@code CTRSP800DRBG} over Bouncy Castle's own AES (an
 * implementation that shares nothing with ours) side by side: built from the same entropy
 * stream, nonce and personalization, then given the same operations; every operation must
 * give both the same bytes. Used by {@link CtrDrbgDifferentialTest} (seeded random
 * sequences) and {@link CtrDrbgFuzzTest} (sequences Jazzer chooses).
 *
 * <p>Two mappings make the calls equal, not just similar: a generate of more than
 * {@link Mechanism#MAX_BYTES_PER_REQUEST} bytes is split into requests of that size for
 * both, as the provider splits it; and an empty additional input is the standard's Null
 * string, which our engine ignores and Bouncy Castle would feed to the derivation function,
 * so Bouncy Castle is given null for it.
 */
final class CtrDifferential {
    /** The largest generate the differential asks for (split for both engines above the request limit). */
    static final int MAX_GENERATE = 64 * 1024;

    private final SP80090DRBG ours;
    private final SP80090DRBG reference;
    private final String setup;
    private int operations;
    private final StringBuilder trace = new StringBuilder();

    /**
     * @param entropySeed  seeds the entropy stream; each engine reads its own copy of it
     * @param entropyBytes bytes per entropy input, at least strength / 8
     */
    CtrDifferential(int keyBits, int strength, long entropySeed, int entropyBytes, byte[] personalization,
                    byte[] nonce) {
        this.setup = "AES-" + keyBits + " strength " + strength + " entropy seed " + entropySeed + " x"
                + entropyBytes + " personalization " + hex(personalization) + " nonce " + hex(nonce);
        this.ours = Mechanism.CTR_DRBG.instantiate("AES-" + keyBits, strength,
                entropy(entropySeed, entropyBytes, strength), copy(personalization), copy(nonce));
        this.reference = new CTRSP800DRBG(AESEngine.newInstance(), keyBits, strength,
                entropy(entropySeed, entropyBytes, strength), copy(personalization), copy(nonce));
        if (!(ours instanceof CtrDrbg)) {
            throw new AssertionError("the differential must test our CtrDrbg, not " + ours.getClass());
        }
    }

    /** Generate {@code length} bytes, with {@code additionalInput} (null: none) and with or without prediction resistance. */
    void generate(int length, byte[] additionalInput, boolean predictionResistance) {
        if (length < 0 || length > MAX_GENERATE) {
            throw new IllegalArgumentException("generate length " + length + " is outside 0.." + MAX_GENERATE);
        }
        record("generate " + length + (predictionResistance ? " pr" : "") + " input " + hex(additionalInput));
        byte[] mine = new byte[length];
        byte[] theirs = new byte[length];
        int off = 0;
        do { // at least one request, also for length 0
            int n = Math.min(Mechanism.MAX_BYTES_PER_REQUEST, length - off);
            byte[] a = new byte[n];
            byte[] b = new byte[n];
            int bitsMine = ours.generate(a, copy(additionalInput), predictionResistance);
            int bitsTheirs = reference.generate(b, nullIfEmpty(copy(additionalInput)), predictionResistance);
            check(bitsMine == bitsTheirs, "generate returned " + bitsMine + " bits, Bouncy Castle " + bitsTheirs);
            System.arraycopy(a, 0, mine, off, n);
            System.arraycopy(b, 0, theirs, off, n);
            off += n;
        } while (off < length);
        if (!Arrays.equals(mine, theirs)) {
            int at = Arrays.mismatch(mine, theirs);
            check(false, "output differs from byte " + at + " of " + length);
        }
    }

    /** Reseed with {@code additionalInput} (null: none). */
    void reseed(byte[] additionalInput) {
        record("reseed input " + hex(additionalInput));
        ours.reseed(copy(additionalInput));
        reference.reseed(copy(additionalInput));
    }

    /**
     * One operation drawn from {@code random}: mostly generates of every size class (empty,
     * under a block, block multiples and their neighbours, up to 64 KiB), with or without
     * additional input, with or without prediction resistance; sometimes a reseed.
     */
    void randomOperation(SplittableRandom random) {
        int kind = random.nextInt(10);
        byte[] input = switch (random.nextInt(4)) {
            case 0, 1 -> null;
            case 2 -> bytes(random, random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(64));
            default -> bytes(random, random.nextInt(600));
        };
        if (kind == 0) {
            reseed(input);
            return;
        }
        int length = switch (random.nextInt(6)) {
            case 0 -> random.nextInt(17);
            case 1 -> 16 * random.nextInt(1, 8) + random.nextInt(-1, 2);
            case 2 -> random.nextInt(1025);
            case 3 -> random.nextInt(16385);
            case 4 -> MAX_GENERATE - random.nextInt(3) * Mechanism.MAX_BYTES_PER_REQUEST / 2 - random.nextInt(2);
            default -> random.nextInt(MAX_GENERATE + 1);
        };
        generate(length, input, kind == 1);
    }

    int operations() {
        return operations;
    }

    private void record(String operation) {
        operations++;
        if (trace.length() > 4000) {
            trace.delete(0, trace.indexOf("\n", trace.length() - 2000) + 1);
        }
        trace.append(operations).append(": ").append(operation).append('\n');
    }

    private void check(boolean ok, String problem) {
        if (!ok) {
            throw new AssertionError(setup + ": at operation " + operations + " " + problem
                    + "; the last operations were:\n" + trace);
        }
    }

    /** The same entropy stream for each engine: inputs of {@code size} bytes from a seeded generator. */
    private static EntropySource entropy(long seed, int size, int strength) {
        SplittableRandom stream = new SplittableRandom(seed);
        return new EntropySource() {
            @Override
            public boolean isPredictionResistant() {
                return true;
            }

            @Override
            public byte[] getEntropy() {
                return bytes(stream, size);
            }

            @Override
            public int entropySize() {
                return Math.max(strength, size * 8);
            }
        };
    }

    static byte[] bytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] copy(byte[] b) {
        return b == null ? null : b.clone();
    }

    private static byte[] nullIfEmpty(byte[] b) {
        return b == null || b.length == 0 ? null : b;
    }

    private static String hex(byte[] b) {
        if (b == null) {
            return "null";
        }
        String h = HexFormat.of().formatHex(b, 0, Math.min(b.length, 24));
        return b.length > 24 ? h + "...(" + b.length + " bytes)" : h;
    }
}
