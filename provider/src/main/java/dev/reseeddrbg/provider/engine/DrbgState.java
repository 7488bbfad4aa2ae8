package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.drbg.DrbgConfig;
import dev.reseeddrbg.provider.drbg.Mechanism;
import dev.reseeddrbg.provider.entropy.HealthTestedEntropy;
import dev.reseeddrbg.provider.entropy.CpuRandom;
import dev.reseeddrbg.provider.entropy.KernelEntropy;
import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.provider.epoch.CurrentBinding;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import java.lang.invoke.VarHandle;
import java.security.ProviderException;
import java.util.Arrays;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.SP80090DRBG;

/**
 * One DRBG internal state (SP 800-90A 8.3) and the epoch word it was seeded under: the
 * draw protocol around the page word.
 *
 * <p>The rule this class exists for: no byte leaves {@link #nextBytes} unless the page
 * word, read after the byte was produced, still equals the word the state was seeded
 * under. A draw therefore reads the word twice:
 * <ol>
 * <li>before producing anything, one acquire load; if the word changed since the last
 *     seed, the state reseeds first (recording the new word before the reseed);</li>
 * <li>after producing, before the caller can see the bytes; if the word changed while
 *     we generated, the output may come from the state that existed before a snapshot,
 *     so it is wiped and the draw goes round once more. Linux's vDSO getrandom checks the
 *     same way and, when the generation keeps moving, falls back to the getrandom syscall;
 *     after {@value #MAX_RETRIES_AFTER_DISCARD} such retry a draw here is served from the
 *     kernel too.</li>
 * </ol>
 *
 * <p>Generated-ahead output lives in an {@link OutputBuffer}, which only ever holds output
 * generated under {@link #seededWord}; requests with prediction resistance or additional
 * input never touch it.
 *
 * <p>Failure policy: when entropy cannot be had, or any throwable strikes while the engine
 * runs, the state un-instantiates itself and the exception reaches the caller; the next
 * draw must instantiate again from fresh entropy. A state never falls back to running on
 * an old seed. A lost page is followed through the instance's {@link CurrentBinding},
 * and the state instantiates afresh on whatever it gives.
 *
 * <p>Not thread-safe: every method runs under the lock of the stripe that owns the state.
 */
final class DrbgState {
    /** Discarded outputs a draw redoes before it serves the request from the kernel instead. */
    static final int MAX_RETRIES_AFTER_DISCARD = 1;
    /** Page losses (truncated or replaced) one draw follows before it gives up. */
    private static final int MAX_PAGE_LOSSES = 3;
    /** The CPU's input to a seeding at a restore: the security strength at its highest, 256 bits. */
    private static final int CPU_INPUT_BYTES = 32;
    /** {@link #restoreInput}'s answer when a restore hazard is open and the CPU gave nothing. */
    private static final byte[] NO_INPUT = new byte[0];

    private final DrbgConfig config;
    private final int strength;
    private final byte[] personalization;
    /** Which page the instance watches; shared with the SPI and the MBean. */
    private final CurrentBinding owner;
    /** This state's copy of owner.get(), read once per round; replaced only by {@link #followLostPage}. */
    private EpochBinding binding;
    /** reseeddrbg.onMissingPage=reseed-every-draw is in force (no page to watch). */
    private boolean reseedEveryDraw;
    private final HealthTestedEntropy entropy;
    private final ProviderSettings settings;
    private final ProviderStats stats;
    /** Bouncy Castle's view of our entropy source: security strength bits per call. */
    private final EntropySource bcEntropy;

    /** The engine; null before instantiation and after a failure or {@link #uninstantiate}. */
    private SP80090DRBG drbg;
    /**
     * The word the engine was last seeded under, zero-extended; its output is valid only
     * while the page shows this word. Never {@link EpochBinding#LOST}.
     */
    private long seededWord;
    private final OutputBuffer buffer;
    /**
     * The entropy input last handed to the engine. Bouncy Castle copies it into its own
     * seed material and keeps no reference, so it is zeroed as soon as the instantiate or
     * reseed call returns, rather than left on the heap (and in a checkpoint image).
     */
    private byte[] lastEntropyInput;
    /** Generate calls since the last (re)seed, against reseeddrbg.reseedInterval. */
    private long generatesSinceSeed;
    /** System.nanoTime() of the last (re)seed, against reseeddrbg.reseedAge. */
    private long seededAtNanos;

    DrbgState(DrbgConfig config, int strength, byte[] personalization, CurrentBinding owner,
              HealthTestedEntropy entropy, ProviderSettings settings, ProviderStats stats) {
        this.config = config;
        this.strength = strength;
        this.personalization = personalization;
        this.owner = owner;
        this.binding = owner.get();
        this.reseedEveryDraw = binding.reseedsEveryDraw();
        this.entropy = entropy;
        this.settings = settings;
        this.stats = stats;
        this.buffer = new OutputBuffer(settings.bufferSize());
        this.bcEntropy = new EntropySource() {
            @Override
            public boolean isPredictionResistant() {
                return true; // every call asks the source afresh
            }

            @Override
            public byte[] getEntropy() {
                byte[] input = DrbgState.this.entropy.next(DrbgState.this.strength / 8);
                lastEntropyInput = input; // zeroed once the engine has used it
                return input;
            }

            @Override
            public int entropySize() {
                return DrbgState.this.strength;
            }
        };
    }

    /**
     * SP 800-90A 9.3.1 Generate, guarded by the page word. Requests with prediction
     * resistance or additional input go straight to the engine; others are served from
     * the buffer when they fit in it.
     */
    void nextBytes(byte[] out, boolean predictionResistance, byte[] additionalInput) {
        try {
            draw(out, predictionResistance, additionalInput);
        } catch (InternalError fault) {
            // A page truncated under a JIT-compiled load faults there, and HotSpot delivers
            // the SIGBUS as an asynchronous InternalError somewhere later in the draw, past
            // the load's own catch. The state is dropped first (one field store), then the
            // binding is looked at now; a lost page is followed before the error goes on, so
            // the next draw runs on the replacement (or fails by the policy) instead of
            // faulting on the lost page for good. Costs nothing on a draw that throws nothing.
            drbg = null;
            Arrays.fill(out, (byte) 0);
            buffer.wipe();
            EpochBinding page = binding;
            if (page.lostOrReplacedNow()) {
                try {
                    followLostPage(page, out, 1);
                } catch (ProviderException policy) {
                    policy.addSuppressed(fault);
                    throw policy;
                }
            }
            throw fault;
        }
    }

    private void draw(byte[] out, boolean predictionResistance, byte[] additionalInput) {
        boolean direct = predictionResistance || additionalInput != null || out.length > buffer.capacity();
        int discards = 0;
        int pageLosses = 0;
        while (true) {
            // One read of the binding per round: both loads below then go to the same page,
            // and the JIT tests which binding it is once, not at each load.
            EpochBinding page = binding;
            // (1) The one acquire load before anything is produced. From here on
            // seededWord == word: reseedFor records it, and nothing below records another.
            long word = page.load();
            if (word != seededWord || drbg == null || reseedEveryDraw) {
                if (word == EpochBinding.LOST) {
                    followLostPage(page, out, ++pageLosses);
                    continue;
                }
                // Drop first, then record, then reseed: the vDSO's order. This field store
                // is the first thing done once the state may no longer serve, and nothing
                // before it can throw (no call, no allocation), so an Error anywhere later
                // (a StackOverflowError at reseedFor's entry, an OutOfMemoryError at the
                // first allocation) leaves no engine to serve under the new word: the
                // buffer is only read while drbg != null, and the next draw instantiates.
                SP80090DRBG previousEngine = drbg;
                drbg = null;
                if (!reseedFor(word, previousEngine)) {
                    serveFromKernel(out); // a restore's first instant, and no clone-unique input to seed with
                    return;
                }
            }
            // A replaced page file still loads (the old mapping stays valid), so it is looked
            // for whenever the engine is about to run: at most every 100 ms, never per draw.
            if ((direct || buffer.remaining() < out.length) && page.lostOrReplaced()) {
                followLostPage(page, out, ++pageLosses);
                continue;
            }
            try {
                boolean served = direct ? generateDirect(out, predictionResistance, additionalInput)
                        : serveFromBuffer(out);
                if (!served) {
                    // A reseed on the way met a restore's first instant without clone-unique
                    // input, and dropped the state instead (see reseed).
                    Arrays.fill(out, (byte) 0);
                    serveFromKernel(out);
                    return;
                }
            } catch (RuntimeException failed) {
                // Whatever was copied before the failure never passed check (2).
                Arrays.fill(out, (byte) 0);
                throw failed;
            } catch (Error failed) {
                // An Error (a deep caller's StackOverflowError, OutOfMemoryError, an
                // InternalError from an entropy source) may have struck anywhere in the engine
                // or the buffer. The state is dropped first, by a field store that needs no
                // stack, so the next draw instantiates from fresh entropy whatever else
                // fails here; then the output and buffer are zeroed as far as the stack allows.
                drbg = null;
                Arrays.fill(out, (byte) 0);
                buffer.wipe();
                throw failed;
            }
            // (2) Read again after generating: a notification that landed meanwhile means
            // these bytes may predate a snapshot. Discard them and go round again, which
            // reseeds at (1). The fence is the vDSO's barrier() at the same place: the
            // bytes must be read from the state before the word is. An acquire load only
            // keeps later accesses after it, so without the fence the JIT could load the
            // word first and copy afterwards, and a snapshot in between would give every
            // clone the same bytes with a word that still matches. (On x86 the fence is
            // an instruction-ordering constraint on the JIT only; it emits nothing.)
            VarHandle.acquireFence();
            long after = page.load();
            if (after == word) {
                return;
            }
            Arrays.fill(out, (byte) 0);
            if (after == EpochBinding.LOST) {
                followLostPage(page, out, ++pageLosses);
                continue;
            }
            stats.discarded();
            if (++discards > MAX_RETRIES_AFTER_DISCARD) {
                // Notifications keep landing while we generate (a storm, or a notifier stuck
                // in a loop): rather than discard without end, serve this request straight
                // from the kernel, as the vDSO's getrandom falls back to the syscall when the
                // generation changes under it. The kernel's output is its own CRNG's, reseeded
                // by the kernel itself; no DRBG state of ours is involved.
                serveFromKernel(out);
                return;
            }
        }
    }

    /**
     * Serves a request from getrandom(2), with no DRBG state involved: what NativePRNG
     * would give. Used when the state cannot be trusted to serve (a notification storm, a
     * restore's first instant without clone-unique input).
     */
    private void serveFromKernel(byte[] out) {
        KernelEntropy.instance().fill(out);
        stats.servedFromKernel();
    }

    /**
     * Leaves {@code lost} for what the instance's owner gives now, and drops the engine so
     * that the next round instantiates from fresh entropy: nothing seeded while the old
     * page was watched survives the switch, whatever the new word is.
     */
    private void followLostPage(EpochBinding lost, byte[] out, int losses) {
        Arrays.fill(out, (byte) 0);
        if (losses > MAX_PAGE_LOSSES) {
            throw new ProviderException("epoch page " + lost.configuredPath() + " was lost " + losses
                    + " times in one draw (truncated or replaced each time it was mapped); no output is "
                    + "produced; check what keeps rewriting the page");
        }
        uninstantiate();
        try {
            binding = owner.replace(lost);
        } catch (InvalidPageException e) {
            throw new ProviderException("epoch page lost and reseeddrbg.onMissingPage=fail: "
                    + e.getMessage() + "; no output is produced", e);
        }
        reseedEveryDraw = binding.reseedsEveryDraw();
    }

    /**
     * Brings the state up to {@code word}. The word is recorded <em>before</em> the
     * reseed: a notification that lands during the reseed then leaves the page different
     * from seededWord, and the re-check forces one more reseed. Recording it afterwards
     * could swallow that notification and keep a pre-snapshot seed.
     */
    private boolean reseedFor(long word, SP80090DRBG previousEngine) {
        byte[] cpuInput = restoreInput(word);
        if (cpuInput == NO_INPUT) {
            dropEngine(previousEngine);
            return false;
        }
        long previous = seededWord;
        seededWord = word;
        ReseedCause cause = previousEngine == null ? ReseedCause.INSTANTIATE
                : reseedEveryDraw ? ReseedCause.EVERY_DRAW
                : (word >>> 32) != (previous >>> 32) ? ReseedCause.VM_RESTORE : ReseedCause.EPOCH_CHANGE;
        try {
            seed(cause, cpuInput, previous, previousEngine);
        } finally {
            wipe(cpuInput);
        }
        return true;
    }

    /**
     * What a seeding under {@code stamp} adds to the kernel's entropy: null when no restore
     * hazard is open (getrandom alone is clone-unique); the CPU's random bytes while one is
     * (see {@link RestoreHazard}); {@link #NO_INPUT} when one is open and the CPU gave
     * nothing, in which case nothing may be seeded.
     */
    private byte[] restoreInput(long stamp) {
        if (stamp == EpochBinding.LOST || !RestoreHazard.open(stamp, binding, settings.restoreGrace())) {
            return null;
        }
        byte[] cpu = new byte[CPU_INPUT_BYTES];
        if (CpuRandom.get().fill(cpu)) {
            stats.cpuInputMixed();
            return cpu;
        }
        return NO_INPUT;
    }

    /** Zeroes an engine that was dropped without a reseed, where it allows. */
    private static void dropEngine(SP80090DRBG engine) {
        if (engine != null) {
            Mechanism.uninstantiate(engine);
        }
    }

    private static void wipe(byte[] input) {
        if (input != null) {
            Arrays.fill(input, (byte) 0);
        }
    }

    /**
     * SP 800-90A 9.2 Reseed, with fresh entropy input and optional additional input;
     * instantiates instead if needed. False when a restore's first instant left no
     * clone-unique input: the state is then dropped, not seeded, and the caller serves
     * nothing from it.
     */
    boolean reseed(ReseedCause cause, byte[] additionalInput) {
        SP80090DRBG engine = drbg;
        drbg = null; // as in nextBytes: dropped before anything that can throw
        byte[] cpuInput = restoreInput(binding.load());
        if (cpuInput == NO_INPUT) {
            buffer.wipe();
            dropEngine(engine);
            return false;
        }
        byte[] input = additionalInput;
        if (cpuInput != null) {
            input = additionalInput == null ? cpuInput : concat(additionalInput, cpuInput);
        }
        try {
            seed(engine == null ? ReseedCause.INSTANTIATE : cause, input, seededWord, engine);
        } finally {
            wipe(cpuInput);
            if (input != additionalInput && input != cpuInput) {
                wipe(input);
            }
        }
        return true;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    /**
     * The one seeding sequence: SP 800-90A 9.1 Instantiate when {@code engine} is null (nonce
     * and entropy input both from the configured source), 9.2 Reseed of {@code engine}
     * otherwise. The caller has set {@link #drbg} to null before calling; it is set to the
     * seeded engine only once the step has completed.
     *
     * <p>The state is un-instantiated until the step has completed (9.2), so that any
     * throwable from inside it (an entropy failure, or an Error such as a deep caller's
     * StackOverflowError) leaves no engine behind: the next draw instantiates from fresh
     * entropy instead of running on the seed from before the word changed. No handler is
     * needed for that, so it holds even when a handler could not run.
     */
    private SP80090DRBG seed(ReseedCause cause, byte[] additionalInput, long previousWord, SP80090DRBG engine) {
        // The caller has already dropped drbg (null here): nothing between its decision to
        // reseed and this point could serve from the old engine or buffer.
        buffer.wipe();
        if (engine == null) {
            KnownAnswerSelfTest.runOnce();
        }
        ReseedEvent event = new ReseedEvent();
        event.begin();
        byte[] nonce = null;
        try {
            if (engine == null) {
                // 9.1 step 6 / 8.6.7: a nonce of at least half the security strength, taken
                // before the engine asks for its entropy input, so a deterministic source
                // gives a deterministic instance.
                nonce = entropy.next(Math.max(16, strength / 16));
                engine = config.mechanism().instantiate(config.algorithm(), strength, bcEntropy,
                        personalization == null || personalization.length == 0 ? null : personalization, nonce);
                if (additionalInput != null) {
                    // 9.2 right after 9.1: the additional input (a caller's, or the CPU's at a
                    // restore) reaches the new instantiation beside fresh entropy input.
                    engine.reseed(additionalInput);
                }
            } else {
                engine.reseed(additionalInput);
            }
        } catch (RuntimeException failed) {
            if (engine != null) {
                try {
                    Mechanism.uninstantiate(engine); // the failed reseed's engine is dropped, zeroed where it can be
                } catch (RuntimeException notZeroed) {
                    failed.addSuppressed(notZeroed); // the reseed's failure is the one the caller sees
                }
            }
            throw failed;
        } finally {
            if (nonce != null) {
                Arrays.fill(nonce, (byte) 0);
            }
            wipeLastEntropyInput();
        }
        drbg = engine;
        generatesSinceSeed = 0;
        seededAtNanos = System.nanoTime();
        stats.reseeded(cause);
        event.commitIfEnabled(cause, (int) previousWord, (int) seededWord, binding, config, this);
        return engine;
    }

    /** Whether the engine exists; a state is instantiated lazily, at its first draw. */
    boolean instantiated() {
        return drbg != null;
    }

    /** Drops the engine, zeroing its state where it allows (SP 800-90A 9.4), and zeroes the buffer. */
    void uninstantiate() {
        SP80090DRBG engine = drbg;
        drbg = null;
        buffer.wipe();
        if (engine != null) {
            Mechanism.uninstantiate(engine);
        }
    }

    /** Serves {@code out} from the buffer, refilling it as needed; false when a refill's reseed dropped the state. */
    private boolean serveFromBuffer(byte[] out) {
        int off = 0;
        while (off < out.length) {
            if (buffer.remaining() == 0) {
                byte[] target = buffer.refillTarget();
                if (!generate(target, null)) {
                    return false;
                }
                buffer.filled(target);
            }
            off += buffer.take(out, off);
        }
        return true;
    }

    /** Generates {@code out} straight from the engine; false when a reseed on the way dropped the state. */
    private boolean generateDirect(byte[] out, boolean predictionResistance, byte[] additionalInput) {
        if (predictionResistance) {
            // 9.3.1 step 7.1: with prediction resistance, reseed with the additional input,
            // then generate without it (7.3).
            if (!reseed(ReseedCause.PREDICTION_RESISTANCE, additionalInput)) {
                return false;
            }
            additionalInput = null;
        }
        if (out.length <= Mechanism.MAX_BYTES_PER_REQUEST) {
            return generate(out, additionalInput);
        }
        // 9.3.1 step 2: a request above max_number_of_bits_per_request is split.
        byte[] chunk = new byte[Mechanism.MAX_BYTES_PER_REQUEST];
        for (int off = 0; off < out.length; off += chunk.length) {
            int n = Math.min(chunk.length, out.length - off);
            byte[] target = n == chunk.length ? chunk : new byte[n];
            if (!generate(target, additionalInput)) {
                return false;
            }
            System.arraycopy(target, 0, out, off, n);
            Arrays.fill(target, (byte) 0);
        }
        return true;
    }

    /**
     * One engine generate call, reseeding first when the interval or age is reached
     * (9.3.1 step 7); false, with nothing generated, when that reseed dropped the state.
     */
    private boolean generate(byte[] target, byte[] additionalInput) {
        if (generatesSinceSeed >= settings.reseedInterval()) {
            if (!reseed(ReseedCause.INTERVAL, null)) {
                return false;
            }
        } else if (System.nanoTime() - seededAtNanos >= settings.reseedAge().toNanos()) {
            if (!reseed(ReseedCause.AGE, null)) {
                return false;
            }
        }
        if (drbg.generate(target, additionalInput, false) < 0) {
            // The engine's own reseed counter ran out (2^47 calls): 9.3.1 step 6.
            if (!reseed(ReseedCause.INTERVAL, null)) {
                return false;
            }
            drbg.generate(target, additionalInput, false);
        }
        generatesSinceSeed++;
        return true;
    }

    private void wipeLastEntropyInput() {
        byte[] input = lastEntropyInput;
        lastEntropyInput = null;
        if (input != null) {
            Arrays.fill(input, (byte) 0);
        }
    }

    /** Test seam: the generated-ahead output (what a stale draw would get). */
    OutputBuffer bufferForTest() {
        return buffer;
    }
}
