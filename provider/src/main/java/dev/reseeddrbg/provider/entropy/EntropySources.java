package dev.reseeddrbg.provider.entropy;

import dev.reseeddrbg.provider.ConfigurationException;
import dev.reseeddrbg.provider.spi.EntropySource;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds the entropy source {@code reseeddrbg.entropySource} names. */
public final class EntropySources {
    private EntropySources() {
    }

    /** The source called {@code name}: the kernel, or a service found through ServiceLoader. */
    public static EntropySource named(String name) {
        if (name == null || name.isBlank() || name.equals(KernelEntropy.NAME)) {
            return KernelEntropy.instance();
        }
        List<String> available = new ArrayList<>(List.of(KernelEntropy.NAME));
        for (ClassLoader loader : loaders()) {
            for (EntropySource source : ServiceLoader.load(EntropySource.class, loader)) {
                if (source.name().equals(name)) {
                    return source;
                }
                available.add(source.name());
            }
        }
        throw new ConfigurationException("reseeddrbg.entropySource '" + name + "' is not available; found: "
                + String.join(", ", available.stream().distinct().toList())
                + " (a custom source must be registered as a " + EntropySource.class.getName() + " service)");
    }

    private static List<ClassLoader> loaders() {
        List<ClassLoader> loaders = new ArrayList<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null) {
            loaders.add(context);
        }
        loaders.add(EntropySources.class.getClassLoader());
        return loaders;
    }
}
