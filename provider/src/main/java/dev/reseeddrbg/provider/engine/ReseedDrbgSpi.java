package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.provider.drbg.DrbgConfig;
import dev.reseeddrbg.provider.drbg.Mechanism;
import dev.reseeddrbg.provider.entropy.BoundedEntropy;
import dev.reseeddrbg.provider.entropy.EntropySources;
import dev.reseeddrbg.provider.entropy.HealthTestedEntropy;
import dev.reseeddrbg.provider.epoch.CurrentBinding;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import dev.reseeddrbg.provider.epoch.VmClockWatch;
import dev.reseeddrbg.provider.spi.EntropySource;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.security.DrbgParameters;
import java.security.SecureRandomParameters;
import java.security.SecureRandomSpi;
import java.util.Arrays;

/**
 * The SecureRandom engine behind {@code SecureRandom.getInstance("ReseedDRBG")}.
 *
 * <p>It holds what was asked for at instantiation (strength, capability,
 * personalization) and a few DRBG states in {@link StateStripes}; every draw locks one
 * state and lets {@link DrbgState} check the page word around it.
 *
 * <p>Serialization carries only the instantiation parameters: a deserialized instance
 * seeds new states from fresh entropy, so a serialized copy can never replay output.
 */
public final class ReseedDrbgSpi extends SecureRandomSpi {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * The most additional input one nextBytes request may carry. SP 800-90A 9.3.1 processes
     * it in every generate call, and a request above max_number_of_bits_per_request is split
     * into several calls, each with the same input (so the output is what the split
     * requests prescribe); the bound keeps that repeated work at most twice the output's
     * size, instead of a multiplier the caller chooses.
     */
    public static final int MAX_ADDITIONAL_INPUT = 2 * Mechanism.MAX_BYTES_PER_REQUEST;

    /** What was requested; serialized. */
    private final DrbgConfig config;
    private final int strength;
    private final DrbgParameters.Capability capability;
    private final byte[] personalization;

    /** Resolved per JVM (and again after deserialization); never serialized. */
    private transient ProviderSettings settings;
    /** Which page the instance watches; shared with its states and the MBean. */
    private transient CurrentBinding binding;
    private transient EntropySource entropySource;
    private transient StateStripes stripes;
    /** generateSeed's health-tested source; guarded by this, made at the first generateSeed. */
    private transient HealthTestedEntropy seedEntropy;

    /**
     * Called by the provider for {@code getInstance("ReseedDRBG"[, params])}.
     *
     * @param params null, or {@link DrbgParameters.Instantiation}
     * @throws IllegalArgumentException for any other parameters or an unsupported
     *         strength, as the SecureRandomSpi contract asks
     * @throws InvalidPageException when the page is unusable and onMissingPage=fail
     */
    public ReseedDrbgSpi(SecureRandomParameters params) throws InvalidPageException {
        this(params, null);
    }

    /**
     * Benchmark seam: as {@link #ReseedDrbgSpi(SecureRandomParameters)}, but watching
     * {@code binding} (from {@link CurrentBinding#benchmarkSeam}) instead of the configured
     * page when it is not null.
     */
    public ReseedDrbgSpi(SecureRandomParameters params, CurrentBinding binding) throws InvalidPageException {
        super(params);
        ProviderSettings current = ProviderSettings.current();
        this.config = current.config();
        if (params == null) {
            this.strength = config.strength();
            this.capability = config.capability();
            this.personalization = null;
        } else if (params instanceof DrbgParameters.Instantiation ip) {
            this.strength = requestedStrength(ip.getStrength());
            // A request is a minimum (SecureRandom's contract): NONE gets reseed_only,
            // since this provider always reseeds on notification.
            this.capability = ip.getCapability().supportsPredictionResistance() || config.supportsPredictionResistance()
                    ? DrbgParameters.Capability.PR_AND_RESEED : DrbgParameters.Capability.RESEED_ONLY;
            // Kept as given, an empty string included, so getParameters() returns the same
            // string (an empty one reaches the engine as the Null string, SP 800-90A 8.7.1).
            this.personalization = ip.getPersonalizationString();
        } else {
            throw new IllegalArgumentException("ReseedDRBG takes DrbgParameters.Instantiation, not "
                    + params.getClass().getName());
        }
        // No cryptography here: the JDK builds a default SecureRandom while initialising
        // its own crypto classes (JceSecurity, Cipher.init), and with this provider first
        // that lands here. The self-test and the engines wait for the first draw.
        attach(current, binding);
    }

    private int requestedStrength(int requested) {
        int max = Mechanism.maxStrength(config.algorithm());
        if (requested == -1) {
            return config.strength();
        }
        // A requested strength is a minimum (DrbgParameters): 0 and 1 are met by 128.
        if (requested < 0 || requested > max) {
            throw new IllegalArgumentException("strength " + requested + " is not available: " + config.algorithm()
                    + " (reseeddrbg.config " + config + ") supports 1 to " + max);
        }
        return requested <= 128 ? 128 : requested <= 192 ? 192 : 256;
    }

    private void attach(ProviderSettings current, CurrentBinding given) throws InvalidPageException {
        this.settings = current;
        this.entropySource = BoundedEntropy.bound(EntropySources.named(current.entropySource()),
                current.entropyTimeout());
        VmClockWatch.resolve(current.vmclock()); // first: the fallback's log line says whether restores are watched
        this.binding = given != null ? given : CurrentBinding.of(current.page(), current.onMissingPage());
        DrawPath.prepare(binding.get());
        ProviderStats stats = ProviderStats.instance();
        stats.bound(binding, entropySource.name());
        stats.registerMBean();
        this.stripes = new StateStripes(new StateFactory(config, strength, personalization, binding, entropySource,
                settings, stats));
        Checkpoints.track(this);
    }

    /** Test seam: the states. */
    StateStripes stripesForTest() {
        return stripes;
    }

    /**
     * Refuses a stream whose fields getInstance could not have produced: a crafted strength
     * of 0 would seed every state with 0 bytes of entropy, and two such instances would
     * collide after a notification.
     */
    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        String problem = null;
        if (config == null || capability == null) {
            problem = "no configuration or capability";
        } else if (strength != 128 && strength != 192 && strength != 256
                || strength > Mechanism.maxStrength(config.algorithm())) {
            problem = "strength " + strength + " (allowed: 128, 192 or 256, at most "
                    + Mechanism.maxStrength(config.algorithm()) + " for " + config.algorithm() + ")";
        } else if (capability != DrbgParameters.Capability.RESEED_ONLY
                && capability != DrbgParameters.Capability.PR_AND_RESEED
                || config.supportsPredictionResistance() && !capability.supportsPredictionResistance()) {
            problem = "capability " + capability + " with reseeddrbg.config " + config;
        }
        if (problem != null) {
            throw new java.io.InvalidObjectException("serialized ReseedDRBG has " + problem
                    + ", which getInstance never produces; refused");
        }
        attach(ProviderSettings.current(), null);
    }

    @Override
    protected void engineNextBytes(byte[] bytes) {
        draw(bytes, capability.supportsPredictionResistance(), null);
    }

    @Override
    protected void engineNextBytes(byte[] bytes, SecureRandomParameters params) {
        if (params == null) {
            engineNextBytes(bytes);
            return;
        }
        if (!(params instanceof DrbgParameters.NextBytes nb)) {
            throw new IllegalArgumentException("ReseedDRBG takes DrbgParameters.NextBytes, not "
                    + params.getClass().getName());
        }
        if (nb.getStrength() > strength) {
            throw new IllegalArgumentException("strength " + nb.getStrength()
                    + " is above this instance's security strength " + strength);
        }
        if (nb.getPredictionResistance() && !capability.supportsPredictionResistance()) {
            throw new IllegalArgumentException("prediction resistance was requested, but this instance was "
                    + "instantiated with " + capability + "; ask for PR_AND_RESEED at getInstance");
        }
        byte[] input = nb.getAdditionalInput();
        if (input != null && input.length > MAX_ADDITIONAL_INPUT) {
            throw new IllegalArgumentException("additional input of " + input.length + " bytes is above the "
                    + MAX_ADDITIONAL_INPUT + " a nextBytes request may carry (it is processed again for every "
                    + Mechanism.MAX_BYTES_PER_REQUEST + "-byte part of a larger request); hash it to a shorter "
                    + "value first, or mix it in once with reseed(DrbgParameters.reseed(pr, input))");
        }
        byte[] additional = emptyToNull(input);
        draw(bytes, nb.getPredictionResistance(), additional);
    }

    /** One draw under the lock of one stripe: the SPI's only way into a state. */
    private void draw(byte[] bytes, boolean predictionResistance, byte[] additionalInput) {
        StateStripes.Stripe s = stripes.lock();
        try {
            s.state.nextBytes(bytes, predictionResistance, additionalInput);
        } finally {
            // The stripe is given back on every exit, Errors included; if the stack is too
            // short even to call unlock, it is marked abandoned (one putfield, no call) and
            // the next thread that finds every stripe busy takes it over.
            try {
                s.unlock();
            } catch (StackOverflowError noStack) {
                s.abandoned = true;
                throw noStack;
            }
        }
    }

    /**
     * Fresh bytes from the entropy source (the kernel by default), never DRBG output, after
     * the same SP 800-90B health tests a state's seeding passes: a source a draw refuses is
     * refused here too, with the same ProviderException.
     */
    @Override
    protected byte[] engineGenerateSeed(int numBytes) {
        if (numBytes < 0) {
            throw new IllegalArgumentException("numBytes " + numBytes + " is negative");
        }
        return healthTestedSeed(numBytes);
    }

    /**
     * Reads {@code numBytes} through the instance's health-tested view of its source for
     * generateSeed, which keeps its own history (a state's view is used under its stripe's
     * lock only) and is used under this lock. Made at the first call, not in the
     * constructor, which runs no cryptography (see there). The source is bounded by
     * reseeddrbg.entropyTimeout, so a caller waits here at most that long per caller ahead.
     */
    private synchronized byte[] healthTestedSeed(int numBytes) {
        if (seedEntropy == null) {
            seedEntropy = new HealthTestedEntropy(entropySource);
        }
        return seedEntropy.next(numBytes);
    }

    /**
     * Mixes {@code seed} into every state, creating them all so that no later draw misses
     * it, as additional input to a reseed with fresh entropy; never replaces the seed.
     */
    @Override
    protected void engineSetSeed(byte[] seed) {
        byte[] additional = emptyToNull(seed);
        if (additional == null) {
            return;
        }
        stripes.forEachState(true, state -> state.reseed(ReseedCause.EXPLICIT, additional));
    }

    @Override
    protected void engineReseed(SecureRandomParameters params) {
        byte[] additional = null;
        if (params != null) {
            if (!(params instanceof DrbgParameters.Reseed r)) {
                throw new IllegalArgumentException("ReseedDRBG takes DrbgParameters.Reseed, not "
                        + params.getClass().getName());
            }
            if (r.getPredictionResistance() && !capability.supportsPredictionResistance()) {
                throw new IllegalArgumentException("prediction resistance was requested, but this instance was "
                        + "instantiated with " + capability);
            }
            additional = emptyToNull(r.getAdditionalInput());
        }
        // States that do not exist yet will be instantiated from fresh entropy anyway.
        byte[] input = additional;
        stripes.forEachState(false, state -> state.reseed(ReseedCause.EXPLICIT, input));
    }

    @Override
    protected SecureRandomParameters engineGetParameters() {
        return DrbgParameters.instantiation(strength, capability, personalization);
    }

    /** Drops every state (zeroing its buffer); the next draw instantiates afresh. For checkpoint hooks. */
    public void uninstantiateAll() {
        stripes.forEachState(false, DrbgState::uninstantiate);
    }

    /** Names the mechanism and the page the states watch now, with its word; reads only, maps nothing. */
    @Override
    public String toString() {
        EpochBinding current = binding.get();
        java.util.OptionalInt word = current.reportWord();
        return "ReseedDRBG " + config.mechanism().standardName() + "," + config.algorithm() + "," + strength + ","
                + (capability.supportsPredictionResistance() ? "pr_and_reseed" : "reseed_only")
                + (personalization == null || personalization.length == 0 ? "" : ",personalized")
                + "; " + current + (word.isPresent() ? ", word " + current.describe(word.getAsInt()) : ", page lost");
    }

    private static byte[] emptyToNull(byte[] input) {
        // SP 800-90A: an empty additional input is the Null string, which Bouncy Castle
        // only recognises as null.
        return input == null || input.length == 0 ? null : Arrays.copyOf(input, input.length);
    }
}
