package dev.reseeddrbg.provider.testing;

import dev.reseeddrbg.simkernel.KernelPage;
import dev.reseeddrbg.simkernel.Notifier;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A real page file created by the sim-kernel code in a temporary directory, and the
 * system properties that point new ReseedDRBG instances at it. Restores the properties
 * on close.
 */
public final class PageFixture implements AutoCloseable {
    private final KernelPage kernel;
    private final java.util.Map<String, String> saved = new java.util.HashMap<>();

    public PageFixture(Path dir) throws IOException {
        this.kernel = KernelPage.initialize(dir.resolve("epoch"));
        set("reseeddrbg.page", path().toString());
    }

    public PageFixture set(String property, String value) {
        saved.putIfAbsent(property, System.getProperty(property));
        System.setProperty(property, value);
        return this;
    }

    public Path path() {
        return kernel.page().path();
    }

    public KernelPage kernel() {
        return kernel;
    }

    public int word() {
        return kernel.page().loadWord();
    }

    /** Fires a registered notifier (vm-snapshot, timer, manual) once. */
    public int notify(String notifier) {
        Notifier n = kernel.notifier(notifier);
        return n.fire();
    }

    @Override
    public void close() {
        saved.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
        kernel.close();
    }
}
