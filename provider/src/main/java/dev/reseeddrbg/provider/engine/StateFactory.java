package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.drbg.DrbgConfig;
import dev.reseeddrbg.provider.entropy.HealthTestedEntropy;
import dev.reseeddrbg.provider.entropy.StackHeadroom;
import dev.reseeddrbg.provider.epoch.CurrentBinding;
import dev.reseeddrbg.provider.spi.EntropySource;
import java.util.function.Supplier;

/**
 * Makes an instance's states, on the draw that first needs one. A named class rather than
 * a lambda (see {@link DrawPath}); the headroom check comes first, since a new state looks
 * up the JDK's SHA-256, which may load providers.
 */
final class StateFactory implements Supplier<DrbgState> {
    private final DrbgConfig config;
    private final int strength;
    private final byte[] personalization;
    private final CurrentBinding binding;
    private final EntropySource source;
    private final ProviderSettings settings;
    private final ProviderStats stats;

    StateFactory(DrbgConfig config, int strength, byte[] personalization, CurrentBinding binding, EntropySource source,
                 ProviderSettings settings, ProviderStats stats) {
        this.config = config;
        this.strength = strength;
        this.personalization = personalization;
        this.binding = binding;
        this.source = source;
        this.settings = settings;
        this.stats = stats;
    }

    @Override
    public DrbgState get() {
        StackHeadroom.require();
        return new DrbgState(config, strength, personalization, binding, new HealthTestedEntropy(source), settings,
                stats);
    }
}
