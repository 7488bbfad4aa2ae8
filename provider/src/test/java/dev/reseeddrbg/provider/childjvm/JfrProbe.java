package dev.reseeddrbg.provider.childjvm;

import dev.reseeddrbg.provider.ReseedProvider;
import dev.reseeddrbg.simkernel.KernelPage;
import java.nio.file.Path;
import java.security.SecureRandom;

/** Draws, lets the sim-kernel fire vm-snapshot, draws again, reseeds explicitly: three kinds of JFR event. */
public final class JfrProbe {
    private JfrProbe() {
    }

    public static void main(String[] args) throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", new ReseedProvider());
        random.nextBytes(new byte[32]);
        try (KernelPage kernel = KernelPage.open(Path.of(args[0]))) {
            kernel.notifier("vm-snapshot").fire();
        }
        random.nextBytes(new byte[32]);
        random.reseed();
    }
}
