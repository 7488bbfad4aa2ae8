package dev.reseeddrbg.benchmarks;

import dev.reseeddrbg.simkernel.KernelPage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The page every benchmark fork reads: a real page file created by the sim-kernel code
 * (not an in-memory stand-in), and {@code reseeddrbg.page} pointing at it.
 */
final class BenchPage {
    private static KernelPage kernel;

    private BenchPage() {
    }

    static synchronized KernelPage kernel() {
        if (kernel == null) {
            try {
                Path dir = Files.createTempDirectory("reseeddrbg-bench-");
                dir.toFile().deleteOnExit();
                Path page = dir.resolve("epoch");
                kernel = KernelPage.initialize(page);
                page.toFile().deleteOnExit();
                System.setProperty("reseeddrbg.page", page.toString());
                System.setProperty("reseeddrbg.onMissingPage", "fail");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return kernel;
    }
}
