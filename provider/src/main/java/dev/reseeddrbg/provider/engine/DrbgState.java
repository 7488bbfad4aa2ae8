package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.provider.drbg.DrbgConfig;
import dev.reseeddrbg.provider.entropy.HealthTestedEntropy;
import dev.reseeddrbg.provider.entropy.KernelEntropy;
import dev.reseeddrbg.provider.epoch.CurrentBinding;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import java.lang.invoke.VarHandle;
import java.security.ProviderException;
import java.util.Arrays;

/**
 * The epoch guard: one DRBG state (SP 800-90A 8.3) and the stamp it was seeded under, and
 * the draw protocol around the stamp. The stamp is the page word, with the hypervisor's
 * VMClock restore counter above it where one is watched ({@link EpochBinding#load}); the
 * SP 800-90A instantiation itself (seeding, schedule, prediction resistance, splitting)
 * is {@link Instantiation}'s.
 *
 * <p>The rule this class exists for: no byte leaves {@link #nextBytes} unless the stamp,
 * read after the byte was produced, still equals the stamp the state was seeded under. A
 * draw therefore reads it twice:
 * <ol>
 * <li>before producing anything, one load; if the stamp changed since the last seed,
 *     the state is dropped, the new stamp recorded and the state reseeded, in that
 *     order;</li>
 * <li>after producing, before the caller can see the bytes; if the stamp changed while
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
 * <p>At a VM restore's first instant ({@link RestoreHazard}) a seeding must add the CPU's
 * random bytes to the kernel's, which may still be the same in every clone; without
 * them nothing is seeded and the draw is served from the kernel, as NativePRNG's would be.
 *
 * <p>Failure policy: when entropy cannot be had, or any throwable strikes while the engine
 * runs, the state un-instantiates itself and the exception reaches the caller; the next
 * draw must instantiate again from fresh entropy. A state never falls back to running on
 * an old seed. A lost page is followed through the instance's {@link CurrentBinding},
 * and the state instantiates afresh on whatever it gives.
 *
 * <p>Not thread-safe: every method runs under the lock of the stripe that owns the state.
 *
 * <p>Longer than this project's files usually are on purpose: the draw protocol stays in
 * one function with each ordering rule commented where it happens, as the vDSO's
 * getrandom keeps it; everything that is not about the stamp lives in
 * {@link Instantiation}.
 */
final class DrbgState {
    /** Discarded outputs a draw redoes before it serves the request from the kernel instead. */
    static final int MAX_RETRIES_AFTER_DISCARD = 1;
    /** Page losses (truncated or replaced) one draw follows before it gives up. */
    private static final int MAX_PAGE_LOSSES = 3;

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
    private final Hooks hooks = new Hooks();

    /**
     * The SP 800-90A instantiation; null before the first seeding, after a failure and
     * after {@link #uninstantiate}. Set only once a seeding has completed, and set to null
     * by one field store, with no call before it, whenever the state may no longer serve.
     */
    private Instantiation current;
    /**
     * The stamp the state was last seeded under; its output is valid only while the page
     * and the VMClock counter show this stamp. Never {@link EpochBinding#LOST}.
     */
    private long seededWord;
    /** The stamp before {@link #seededWord}, for the next seeding's JFR event. */
    private long previousWord;
    private final OutputBuffer buffer;

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
    }

    /**
     * SP 800-90A 9.3.1 Generate, guarded by the stamp. Requests with prediction resistance
     * or additional input go straight to the engine; others are served from the buffer
     * when they fit in it.
     *
     * <p>Why the loop ends: every {@code continue} follows a page loss or a discard, each
     * counted and bounded ({@value #MAX_PAGE_LOSSES} losses, then an exception;
     * {@value #MAX_RETRIES_AFTER_DISCARD} discard, then the kernel serves the request).
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
            current = null;
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
            // (1) The load before anything is produced. From here on seededWord == word:
            // reseedFor records it, and nothing below records another.
            long word = page.load();
            if (word != seededWord || current == null || reseedEveryDraw) {
                if (word == EpochBinding.LOST) {
                    followLostPage(page, out, ++pageLosses);
                    continue;
                }
                // Drop first, then record, then reseed: the vDSO's order. This field store
                // is the first thing done once the state may no longer serve, and nothing
                // before it can throw (no call, no allocation), so an Error anywhere later
                // (a StackOverflowError at reseedFor's entry, an OutOfMemoryError at the
                // first allocation) leaves no instantiation to serve under the new stamp:
                // the buffer is only read while current != null, and the next draw seeds.
                Instantiation previous = current;
                current = null;
                if (!reseedFor(word, previous)) {
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
                Instantiation state = current;
                boolean served = direct ? state.generate(out, predictionResistance, additionalInput)
                        : serveFromBuffer(state, out);
                if (!served) {
                    // A reseed on the way met a restore's first instant without clone-unique
                    // input, and dropped the engine instead.
                    current = null;
                    buffer.wipe();
                    Arrays.fill(out, (byte) 0);
                    serveFromKernel(out);
                    return;
                }
            } catch (RuntimeException failed) {
                // A seeding on the way failed (its engine is zeroed) or the engine did:
                // the state is dropped, and whatever was copied never passed check (2).
                current = null;
                Arrays.fill(out, (byte) 0);
                buffer.wipe();
                throw failed;
            } catch (Error failed) {
                // An Error (a deep caller's StackOverflowError, OutOfMemoryError, an
                // InternalError from an entropy source) may have struck anywhere in the engine
                // or the buffer. The state is dropped first, by a field store that needs no
                // stack, so the next draw seeds from fresh entropy whatever else fails here;
                // then the output and buffer are zeroed as far as the stack allows.
                current = null;
                Arrays.fill(out, (byte) 0);
                buffer.wipe();
                throw failed;
            }
            // (2) Read again after generating: a notification that landed meanwhile means
            // these bytes may predate a snapshot. Discard them and go round again, which
            // reseeds at (1). The fence is the vDSO's barrier() at the same place: the
            // bytes must be read from the state before the stamp is. An acquire load only
            // keeps later accesses after it, so without the fence the JIT could load the
            // stamp first and copy afterwards, and a snapshot in between would give every
            // clone the same bytes with a stamp that still matches. (On x86 the fence is
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
     * Leaves {@code lost} for what the instance's owner gives now, and drops the state so
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
     * Brings the dropped state up to {@code word}, from {@code previous} (null: instantiate
     * afresh); false when nothing may be seeded now (a restore's first instant without the
     * CPU's input). The stamp is recorded <em>before</em> the reseed: a notification that
     * lands during the reseed then leaves the page different from seededWord, and the
     * re-check forces one more reseed. Recording it afterwards could swallow that
     * notification and keep a pre-snapshot seed.
     */
    private boolean reseedFor(long word, Instantiation previous) {
        previousWord = seededWord;
        seededWord = word;
        ReseedCause cause = reseedEveryDraw ? ReseedCause.EVERY_DRAW
                : (word >>> 32) != (previousWord >>> 32) ? ReseedCause.VM_RESTORE : ReseedCause.EPOCH_CHANGE;
        return seedFrom(previous, cause, null);
    }

    /**
     * SP 800-90A 9.2 Reseed, with fresh entropy input and optional additional input;
     * instantiates instead if needed. False when a restore's first instant left no
     * clone-unique input: the state is then dropped, not seeded, and the next draw decides
     * again.
     */
    boolean reseed(ReseedCause cause, byte[] additionalInput) {
        Instantiation state = current;
        current = null; // as in nextBytes: dropped before anything that can throw
        return seedFrom(state, cause, additionalInput);
    }

    /**
     * The one seeding step of a dropped state: 9.2 Reseed of {@code previous}, or 9.1
     * Instantiate (then 9.2 with {@code additionalInput}, if any) when it is null. Sets
     * {@link #current} only once the step has completed; false, with the buffer wiped and
     * nothing kept, when nothing may be seeded now.
     */
    private boolean seedFrom(Instantiation previous, ReseedCause cause, byte[] additionalInput) {
        Instantiation next;
        if (previous == null) {
            next = Instantiation.instantiate(config, strength, personalization, entropy, settings, hooks);
            if (next != null && additionalInput != null && !next.reseed(cause, additionalInput)) {
                next = null;
            }
        } else {
            next = previous.reseed(cause, additionalInput) ? previous : null;
        }
        if (next == null) {
            buffer.wipe();
            return false;
        }
        current = next;
        return true;
    }

    /** Whether the state is instantiated; it is instantiated lazily, at its first draw. */
    boolean instantiated() {
        return current != null;
    }

    /** Drops the state, zeroing the engine where it allows (SP 800-90A 9.4), and zeroes the buffer. */
    void uninstantiate() {
        Instantiation state = current;
        current = null;
        buffer.wipe();
        if (state != null) {
            state.uninstantiate();
        }
    }

    /** Serves {@code out} from the buffer, refilling it as needed; false when a refill's reseed dropped the engine. */
    private boolean serveFromBuffer(Instantiation state, byte[] out) {
        int off = 0;
        while (off < out.length) {
            if (buffer.remaining() == 0) {
                byte[] target = buffer.refillTarget();
                if (!state.generateOnce(target, null)) {
                    return false;
                }
                buffer.filled(target);
            }
            off += buffer.take(out, off);
        }
        return true;
    }

    /** Test seam: the generated-ahead output (what a stale draw would get). */
    OutputBuffer bufferForTest() {
        return buffer;
    }

    /**
     * What the instantiation asks of this state and tells it. A named class rather than
     * lambdas: nothing on the draw path links a call site lazily (see {@link DrawPath}).
     */
    private final class Hooks implements Instantiation.Holder {
        @Override
        public byte[] restoreInput() {
            return RestoreHazard.seedingInput(binding.load(), binding, settings.restoreGrace(), stats);
        }

        @Override
        public ReseedEvent seedingStarts() {
            buffer.wipe();
            ReseedEvent event = new ReseedEvent();
            event.begin();
            return event;
        }

        @Override
        public void seeded(ReseedCause cause, ReseedEvent event) {
            stats.reseeded(cause);
            event.commitIfEnabled(cause, (int) previousWord, (int) seededWord, binding, config, DrbgState.this);
            previousWord = seededWord;
        }
    }
}
