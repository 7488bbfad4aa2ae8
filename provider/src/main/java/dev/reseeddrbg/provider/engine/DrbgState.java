package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.drbg.DrbgConfig;
import dev.reseeddrbg.provider.drbg.Mechanism;
import dev.reseeddrbg.provider.entropy.HealthTestedEntropy;
import dev.reseeddrbg.provider.entropy.KernelEntropy;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.SP80090DRBG;

/**
 * One DRBG internal state (SP 800-90A 8.3) and the epoch word it was seeded under.
 *
 * <p>The rule this class exists for: no byte leaves {@link #nextBytes} unless the page
 * word, read after the byte was produced, still equals the word the state was seeded
 * under. A draw therefore reads the word twice:
 * <ol>
 * <li>before producing anything, one acquire load; if the word changed since the last
 *     seed, the state reseeds first (recording the new word before the reseed);</li>
 * <li>after producing, before the caller can see the bytes; if the word changed while
 *     we generated, the output may come from the state that existed before a snapshot,
 *     so it is wiped and the draw starts over (Linux's vDSO getrandom and AWS-LC check
 *     the same way; we regenerate where they return an error).</li>
 * </ol>
 *
 * <p>Output is generated ahead into a small buffer to amortise the engine's per-call
 * cost. The buffer only ever holds output generated under {@link #seededWord}: it is
 * zeroed on every reseed, served bytes are zeroed as they leave, and requests with
 * prediction resistance or additional input never touch it.
 *
 * <p>Failure policy: when entropy cannot be had, the state un-instantiates itself and the
 * exception reaches the caller; the next draw must instantiate again from fresh entropy.
 * A state never falls back to running on an old seed.
 *
 * <p>Not thread-safe: every method runs under the lock of the stripe that owns the state.
 */
final class DrbgState {
    private final DrbgConfig config;
    private final int strength;
    private final byte[] personalization;
    /** Where the word comes from; replaced only when the page is lost ({@link #rebind}). */
    private EpochBinding epoch;
    /** reseeddrbg.onMissingPage=reseed-every-draw is in force (no page to watch). */
    private boolean reseedEveryDraw;
    private final HealthTestedEntropy entropy;
    private final ProviderSettings settings;
    private final ProviderStats stats;
    /** Bouncy Castle's view of our entropy source: security strength bits per call. */
    private final EntropySource bcEntropy;

    /** The engine; null before instantiation and after a failure or {@link #uninstantiate}. */
    private SP80090DRBG drbg;
    /** The word the engine was last seeded under; its output is valid only while the page shows this word. */
    private int seededWord;
    /** Generated-ahead output: bytes [bufferPos, length) are unread and were generated under seededWord; the rest are zero. */
    private final byte[] buffer;
    private int bufferPos;
    /**
     * Bytes the next refill generates. Right after a (re)seed it is small, so that the
     * first draw after a notification pays for 1 KiB, not for a whole buffer (16 KiB,
     * about 25 us); each refill after that generates four times more, up to the buffer.
     */
    private int nextRefill;
    private static final int FIRST_REFILL = 1024;
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

    DrbgState(DrbgConfig config, int strength, byte[] personalization, EpochBinding epoch,
              HealthTestedEntropy entropy, ProviderSettings settings, ProviderStats stats) {
        this.config = config;
        this.strength = strength;
        this.personalization = personalization;
        this.epoch = epoch;
        this.reseedEveryDraw = epoch.reseedsEveryDraw();
        this.entropy = entropy;
        this.settings = settings;
        this.stats = stats;
        this.buffer = new byte[settings.bufferSize()];
        wipeBuffer(); // starts empty, with the first refill small
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
        boolean direct = predictionResistance || additionalInput != null || out.length > buffer.length;
        int discards = 0;
        int pageLosses = 0;
        while (true) {
            // One read of the binding per round: both loads below then go to the same page,
            // and the JIT tests which binding it is once, not at each load. Only rebind()
            // replaces it, and it sends the draw round again.
            EpochBinding binding = epoch;
            int word;
            try {
                // (1) The one acquire load before anything is produced. From here on
                // seededWord == word: reseedFor records it, and nothing below records another.
                word = binding.word();
            } catch (InternalError pageFault) {
                // Only a fault of this load (or of the one at (2)) is page loss: the JVM turns
                // the SIGBUS of a load from a truncated mapping into InternalError.
                pageLost(binding, pageFault, out, ++pageLosses);
                continue;
            }
            try {
                if (word != seededWord || drbg == null || reseedEveryDraw) {
                    reseedFor(word);
                }
                if (direct) {
                    generateDirect(out, predictionResistance, additionalInput);
                } else {
                    serveFromBuffer(out);
                }
            } catch (PageReplaced replaced) {
                Arrays.fill(out, (byte) 0);
                if (++pageLosses > MAX_PAGE_LOSSES) {
                    throw pageKeepsFailing(binding);
                }
                rebind();
                continue;
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
                wipeBuffer();
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
            int after;
            try {
                after = binding.word();
            } catch (InternalError pageFault) {
                pageLost(binding, pageFault, out, ++pageLosses);
                continue;
            }
            if (after == word) {
                return;
            }
            stats.discarded();
            Arrays.fill(out, (byte) 0);
            if (++discards > MAX_RETRIES_AFTER_DISCARD) {
                // Notifications keep landing while we generate (a storm, or a notifier stuck
                // in a loop): rather than discard without end, serve this request straight
                // from the kernel, as the vDSO's getrandom falls back to the syscall when the
                // generation changes under it. The kernel's output is its own CRNG's, reseeded
                // by the kernel itself; no DRBG state of ours is involved.
                KernelEntropy.instance().fill(out);
                stats.servedFromKernel();
                return;
            }
        }
    }

    /** Discarded outputs a draw redoes before it serves the request from the kernel instead. */
    static final int MAX_RETRIES_AFTER_DISCARD = 1;
    /** Page losses (truncated or replaced) one draw follows before it gives up. */
    private static final int MAX_PAGE_LOSSES = 3;

    /** A fault of a load from {@code binding}'s page: zeroes the output and moves to whatever the path holds now. */
    private void pageLost(EpochBinding binding, InternalError pageFault, byte[] out, int losses) {
        Arrays.fill(out, (byte) 0);
        binding.lost("was truncated while mapped (" + pageFault.getMessage() + ")");
        if (losses > MAX_PAGE_LOSSES) {
            throw pageKeepsFailing(binding);
        }
        rebind();
    }

    private static java.security.ProviderException pageKeepsFailing(EpochBinding binding) {
        return new java.security.ProviderException("epoch page " + binding.configuredPath() + " was lost "
                + (MAX_PAGE_LOSSES + 1) + " times in one draw (truncated or replaced each time it was mapped); "
                + "no output is produced; check what keeps rewriting the page");
    }

    /**
     * Moves to whatever reseeddrbg.onMissingPage gives for the path now, and drops the
     * engine so that the next round instantiates from fresh entropy: nothing seeded while
     * the old page was watched survives the switch, whatever the new word is.
     */
    private void rebind() {
        uninstantiate();
        try {
            epoch = EpochBinding.bind(epoch.configuredPath(), settings.onMissingPage());
        } catch (dev.reseeddrbg.page.InvalidPageException e) {
            throw new java.security.ProviderException("epoch page lost and reseeddrbg.onMissingPage=fail: "
                    + e.getMessage() + "; no output is produced", e);
        }
        reseedEveryDraw = epoch.reseedsEveryDraw();
    }

    /** Thrown inside a draw when the page file turns out to have been replaced. */
    private static final class PageReplaced extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PageReplaced() {
            super(null, null, false, false);
        }
    }

    /**
     * Brings the state up to {@code word}. The word is recorded <em>before</em> the
     * reseed: a notification that lands during the reseed then leaves the page different
     * from seededWord, and the re-check forces one more reseed. Recording it afterwards
     * could swallow that notification and keep a pre-snapshot seed.
     */
    private void reseedFor(int word) {
        int previous = seededWord;
        seededWord = word;
        if (drbg == null) {
            instantiate(previous);
        } else {
            reseed(reseedEveryDraw ? ReseedCause.EVERY_DRAW : ReseedCause.EPOCH_CHANGE, null, previous);
        }
    }

    /** SP 800-90A 9.1 Instantiate: nonce and entropy input both from the configured source. */
    private void instantiate(int previousWord) {
        KnownAnswerSelfTest.runOnce();
        ReseedEvent event = new ReseedEvent();
        event.begin();
        drbg = null;
        wipeBuffer();
        byte[] nonce = null;
        try {
            // 9.1 step 6 / 8.6.7: a nonce of at least half the security strength, taken
            // before the engine asks for its entropy input, so a deterministic source
            // gives a deterministic instance.
            nonce = entropy.next(Math.max(16, strength / 16));
            // Assigned only once instantiate returned: any throwable before leaves drbg null.
            drbg = config.mechanism().instantiate(config.algorithm(), strength, bcEntropy,
                    personalization == null || personalization.length == 0 ? null : personalization, nonce);
        } finally {
            if (nonce != null) {
                Arrays.fill(nonce, (byte) 0);
            }
            wipeLastEntropyInput();
        }
        seeded(ReseedCause.INSTANTIATE, previousWord, event);
    }

    /** SP 800-90A 9.2 Reseed, with fresh entropy input and optional additional input. */
    void reseed(ReseedCause cause, byte[] additionalInput) {
        reseed(cause, additionalInput, seededWord);
    }

    private void reseed(ReseedCause cause, byte[] additionalInput, int previousWord) {
        if (drbg == null) {
            instantiate(previousWord);
            if (additionalInput == null) {
                return;
            }
        }
        ReseedEvent event = new ReseedEvent();
        event.begin();
        // SP 800-90A 9.2: the state is un-instantiated until the reseed has completed, so
        // that any throwable from inside it (an entropy failure, or an Error such as a deep
        // caller's StackOverflowError) leaves no engine behind: the next draw instantiates
        // from fresh entropy instead of running on the seed from before the word changed.
        // No handler is needed for that, so it holds even when a handler could not run.
        SP80090DRBG engine = drbg;
        drbg = null;
        wipeBuffer();
        try {
            engine.reseed(additionalInput);
        } finally {
            wipeLastEntropyInput();
        }
        drbg = engine;
        seeded(cause, previousWord, event);
    }

    private void seeded(ReseedCause cause, int previousWord, ReseedEvent event) {
        generatesSinceSeed = 0;
        seededAtNanos = System.nanoTime();
        stats.reseeded(cause);
        if (event.shouldCommit()) {
            event.cause = cause.label();
            event.oldWord = previousWord;
            event.newWord = seededWord;
            try {
                event.notifier = epoch.notifierName(seededWord);
            } catch (InternalError pageFault) {
                // The registry is on the page too; a truncated page is noticed by the next word load.
                event.notifier = "page unreadable";
            }
            event.mechanism = config.mechanism().standardName() + " " + config.algorithm();
            event.state = System.identityHashCode(this);
            event.commit();
        }
    }

    /** Whether the engine exists; a state is instantiated lazily, at its first draw. */
    boolean instantiated() {
        return drbg != null;
    }

    /**
     * Drops the engine and zeroes the buffer. Bouncy Castle keeps V and Key in private
     * fields we cannot zero; dropping the only reference is the most we can do.
     */
    void uninstantiate() {
        drbg = null;
        wipeBuffer();
    }

    private void serveFromBuffer(byte[] out) {
        int off = 0;
        while (off < out.length) {
            if (bufferPos == buffer.length) {
                refill();
            }
            int n = Math.min(out.length - off, buffer.length - bufferPos);
            System.arraycopy(buffer, bufferPos, out, off, n);
            Arrays.fill(buffer, bufferPos, bufferPos + n, (byte) 0);
            bufferPos += n;
            off += n;
        }
    }

    /** Generates the next nextRefill bytes into the end of the (empty) buffer. */
    private void refill() {
        int n = nextRefill;
        nextRefill = Math.min(buffer.length, 4 * n);
        if (n == buffer.length) {
            generate(buffer, null);
        } else {
            // The engine fills whole arrays. This happens a few times after each reseed,
            // never in the steady state, so a temporary array costs nothing that matters.
            byte[] part = new byte[n];
            generate(part, null);
            System.arraycopy(part, 0, buffer, buffer.length - n, n);
            Arrays.fill(part, (byte) 0);
        }
        bufferPos = buffer.length - n;
    }

    private void generateDirect(byte[] out, boolean predictionResistance, byte[] additionalInput) {
        if (predictionResistance) {
            // 9.3.1 step 7.1: with prediction resistance, reseed with the additional input,
            // then generate without it (7.3).
            reseed(ReseedCause.PREDICTION_RESISTANCE, additionalInput);
            additionalInput = null;
        }
        if (out.length <= Mechanism.MAX_BYTES_PER_REQUEST) {
            generate(out, additionalInput);
            return;
        }
        // 9.3.1 step 2: a request above max_number_of_bits_per_request is split.
        byte[] chunk = new byte[Mechanism.MAX_BYTES_PER_REQUEST];
        for (int off = 0; off < out.length; off += chunk.length) {
            int n = Math.min(chunk.length, out.length - off);
            byte[] target = n == chunk.length ? chunk : new byte[n];
            generate(target, additionalInput);
            System.arraycopy(target, 0, out, off, n);
            Arrays.fill(target, (byte) 0);
        }
    }

    /** One engine generate call, reseeding first when the interval or age is reached (9.3.1 step 7). */
    private void generate(byte[] target, byte[] additionalInput) {
        if (epoch.staleOrReplaced()) {
            throw new PageReplaced();
        }
        if (generatesSinceSeed >= settings.reseedInterval()) {
            reseed(ReseedCause.INTERVAL, null);
        } else if (System.nanoTime() - seededAtNanos >= settings.reseedAge().toNanos()) {
            reseed(ReseedCause.AGE, null);
        }
        if (drbg.generate(target, additionalInput, false) < 0) {
            // The engine's own reseed counter ran out (2^47 calls): 9.3.1 step 6.
            reseed(ReseedCause.INTERVAL, null);
            drbg.generate(target, additionalInput, false);
        }
        generatesSinceSeed++;
    }

    private void wipeLastEntropyInput() {
        byte[] input = lastEntropyInput;
        lastEntropyInput = null;
        if (input != null) {
            Arrays.fill(input, (byte) 0);
        }
    }

    private void wipeBuffer() {
        Arrays.fill(buffer, (byte) 0);
        bufferPos = buffer.length;
        nextRefill = Math.min(FIRST_REFILL, buffer.length);
    }

    /** The next {@code n} generated-ahead bytes, without serving them (tests: what a stale draw would get). */
    byte[] peekBuffered(int n) {
        return Arrays.copyOfRange(buffer, bufferPos, (int) Math.min(buffer.length, (long) bufferPos + n));
    }

    /** Whether every byte of the buffer is zero (tests: nothing left after a wipe). */
    boolean bufferIsZero() {
        for (byte b : buffer) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
