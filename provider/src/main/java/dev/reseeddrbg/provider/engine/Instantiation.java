package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.drbg.DrbgConfig;
import dev.reseeddrbg.provider.drbg.Mechanism;
import dev.reseeddrbg.provider.entropy.HealthTestedEntropy;
import dev.reseeddrbg.provider.entropy.StackHeadroom;
import java.util.Arrays;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.SP80090DRBG;

/**
 * One SP 800-90A instantiation: the state handle 9.1 Instantiate creates and 9.4
 * Uninstantiate destroys, with the policy around the mechanism's engine: where entropy
 * input and nonces come from, the reseed schedule (reseed interval and age, 9.3.1 steps 6
 * and 7), prediction resistance (step 7.1) and request splitting (step 2). It knows
 * nothing of the page: {@link DrbgState} decides when a seeding is due and which bytes may
 * leave, and holds at most one instantiation, which it drops by a single field store.
 * Bytes go down to the engine; only a {@link ReseedCause} comes back up, through the
 * {@link Holder}.
 *
 * <p>Seeding input: every entropy input and nonce from the configured source, health
 * tested; and, while a VM restore's first instant lasts ({@link RestoreHazard}), the CPU's
 * random bytes as additional input beside them, asked of the holder before every seeding.
 * When the holder says that nothing may be seeded now ({@link #NO_INPUT}), instantiate
 * returns null and reseed returns false, with the engine dropped.
 *
 * <p>Failure policy: an exception from a seeding zeroes the engine where it allows and
 * reaches the caller, whose reference is already dropped; nothing runs on a half-done
 * seed. Entropy input and nonces are zeroed as soon as the engine has used them.
 *
 * <p>Not thread-safe: used under the lock of the stripe that owns its holder.
 */
final class Instantiation {
    /** What an instantiation asks of, and tells, the state that holds it. */
    interface Holder {
        /**
         * The additional input a seeding must add now: null (none needed), the CPU's
         * random bytes (the instantiation zeroes them after use), or {@link #NO_INPUT}.
         */
        byte[] restoreInput();

        /** A seeding starts: the holder's generated-ahead output is void. Its JFR event, begun. */
        ReseedEvent seedingStarts();

        /** A seeding completed. */
        void seeded(ReseedCause cause, ReseedEvent event);
    }

    /** {@link Holder#restoreInput}'s answer when nothing may be seeded now. */
    static final byte[] NO_INPUT = new byte[0];

    private final HealthTestedEntropy entropy;
    private final ProviderSettings settings;
    private final Holder holder;
    private final EntropyInput entropyInput;
    private final SP80090DRBG engine;
    /** Generate calls since the last (re)seed, against reseeddrbg.reseedInterval. */
    private long generatesSinceSeed;
    /** System.nanoTime() of the last (re)seed, against reseeddrbg.reseedAge. */
    private long seededAtNanos;

    private Instantiation(SP80090DRBG engine, EntropyInput entropyInput, HealthTestedEntropy entropy,
                          ProviderSettings settings, Holder holder) {
        this.engine = engine;
        this.entropyInput = entropyInput;
        this.entropy = entropy;
        this.settings = settings;
        this.holder = holder;
        this.seededAtNanos = System.nanoTime();
    }

    /**
     * SP 800-90A 9.1 Instantiate: a nonce of at least half the security strength, taken
     * before the engine asks for its entropy input (9.1 step 6, 8.6.7), so that a
     * deterministic source gives a deterministic instance; then, when the holder has input
     * for this instant, 9.2 Reseed with it. Null, with nothing created, when the holder
     * says nothing may be seeded now.
     */
    static Instantiation instantiate(DrbgConfig config, int strength, byte[] personalization,
                                     HealthTestedEntropy entropy, ProviderSettings settings, Holder holder) {
        StackHeadroom.require(); // before the JDK's crypto and entropy paths run
        byte[] restore = holder.restoreInput();
        if (restore == NO_INPUT) {
            return null;
        }
        KnownAnswerSelfTest.runOnce();
        ReseedEvent event = holder.seedingStarts();
        EntropyInput input = new EntropyInput(entropy, strength);
        byte[] nonce = null;
        SP80090DRBG engine = null;
        try {
            nonce = entropy.next(Math.max(16, strength / 16));
            engine = config.mechanism().instantiate(config.algorithm(), strength, input,
                    personalization == null || personalization.length == 0 ? null : personalization, nonce);
            if (restore != null) {
                engine.reseed(restore); // 9.2 right after 9.1: the instant's input beside fresh entropy
            }
        } catch (RuntimeException failed) {
            dropAfter(engine, failed);
            throw failed;
        } finally {
            wipe(nonce);
            wipe(restore);
            input.wipeLast();
        }
        Instantiation made = new Instantiation(engine, input, entropy, settings, holder);
        holder.seeded(ReseedCause.INSTANTIATE, event);
        return made;
    }

    /**
     * SP 800-90A 9.2 Reseed with fresh entropy input, {@code additionalInput} and, at a
     * restore's first instant, the CPU's bytes. False, with the engine dropped, when the
     * holder says nothing may be seeded now.
     */
    boolean reseed(ReseedCause cause, byte[] additionalInput) {
        StackHeadroom.require(); // before the JDK's crypto and entropy paths run
        byte[] restore = holder.restoreInput();
        if (restore == NO_INPUT) {
            uninstantiate();
            return false;
        }
        ReseedEvent event = holder.seedingStarts();
        byte[] input = restore == null ? additionalInput : additionalInput == null ? restore : concat(additionalInput, restore);
        try {
            engine.reseed(input);
        } catch (RuntimeException failed) {
            dropAfter(engine, failed);
            throw failed;
        } finally {
            entropyInput.wipeLast();
            wipe(restore);
            if (input != additionalInput && input != restore) {
                wipe(input);
            }
        }
        generatesSinceSeed = 0;
        seededAtNanos = System.nanoTime();
        holder.seeded(cause, event);
        return true;
    }

    /**
     * 9.3.1 Generate of {@code out} with prediction resistance or additional input, split
     * into requests of at most max_number_of_bits_per_request (step 2); false, with
     * nothing usable in {@code out}, when a reseed on the way dropped the engine.
     */
    boolean generate(byte[] out, boolean predictionResistance, byte[] additionalInput) {
        if (predictionResistance) {
            // 9.3.1 step 7.1: with prediction resistance, reseed with the additional input,
            // then generate without it (7.3).
            if (!reseed(ReseedCause.PREDICTION_RESISTANCE, additionalInput)) {
                return false;
            }
            additionalInput = null;
        }
        if (out.length <= Mechanism.MAX_BYTES_PER_REQUEST) {
            return generateOnce(out, additionalInput);
        }
        byte[] chunk = new byte[Mechanism.MAX_BYTES_PER_REQUEST];
        for (int off = 0; off < out.length; off += chunk.length) {
            int n = Math.min(chunk.length, out.length - off);
            byte[] target = n == chunk.length ? chunk : new byte[n];
            if (!generateOnce(target, additionalInput)) {
                return false;
            }
            System.arraycopy(target, 0, out, off, n);
            Arrays.fill(target, (byte) 0);
        }
        return true;
    }

    /**
     * One engine generate call, reseeding first when the interval or age is reached
     * (9.3.1 step 7) or the engine's own counter ran out (step 6); false, with nothing
     * generated, when that reseed dropped the engine.
     */
    boolean generateOnce(byte[] target, byte[] additionalInput) {
        if (generatesSinceSeed >= settings.reseedInterval()) {
            if (!reseed(ReseedCause.INTERVAL, null)) {
                return false;
            }
        } else if (System.nanoTime() - seededAtNanos >= settings.reseedAge().toNanos()) {
            if (!reseed(ReseedCause.AGE, null)) {
                return false;
            }
        }
        if (engine.generate(target, additionalInput, false) < 0) {
            // The engine's own reseed counter ran out (2^47 calls): 9.3.1 step 6.
            if (!reseed(ReseedCause.INTERVAL, null)) {
                return false;
            }
            engine.generate(target, additionalInput, false);
        }
        generatesSinceSeed++;
        return true;
    }

    /** SP 800-90A 9.4 Uninstantiate: zeroes the engine's state where the mechanism allows. */
    void uninstantiate() {
        Mechanism.uninstantiate(engine);
    }

    /** Zeroes an engine a failed seeding leaves behind; a failure to zero is added to {@code failed}. */
    private static void dropAfter(SP80090DRBG engine, RuntimeException failed) {
        if (engine == null) {
            return;
        }
        try {
            Mechanism.uninstantiate(engine);
        } catch (RuntimeException notZeroed) {
            failed.addSuppressed(notZeroed); // the seeding's failure is the one the caller sees
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static void wipe(byte[] input) {
        if (input != null) {
            Arrays.fill(input, (byte) 0);
        }
    }

    /**
     * Bouncy Castle's view of the entropy source: security strength bits per call. The
     * engine copies each input into its own seed material and keeps no reference, so the
     * last one is zeroed as soon as the seeding call returns, rather than left on the heap
     * (and in a checkpoint image).
     */
    private static final class EntropyInput implements EntropySource {
        private final HealthTestedEntropy entropy;
        private final int strength;
        private byte[] last;

        EntropyInput(HealthTestedEntropy entropy, int strength) {
            this.entropy = entropy;
            this.strength = strength;
        }

        @Override
        public boolean isPredictionResistant() {
            return true; // every call asks the source afresh
        }

        @Override
        public byte[] getEntropy() {
            byte[] input = entropy.next(strength / 8);
            last = input;
            return input;
        }

        @Override
        public int entropySize() {
            return strength;
        }

        void wipeLast() {
            byte[] input = last;
            last = null;
            wipe(input);
        }
    }
}
