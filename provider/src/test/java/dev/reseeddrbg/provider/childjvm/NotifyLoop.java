package dev.reseeddrbg.provider.childjvm;

import dev.reseeddrbg.simkernel.KernelPage;
import dev.reseeddrbg.simkernel.Notifier;
import java.nio.file.Path;

/** A notifier process: fires NOTIFIER on PAGE N times as fast as it can, then prints "done". */
public final class NotifyLoop {
    private NotifyLoop() {
    }

    public static void main(String[] args) throws Exception {
        try (KernelPage kernel = KernelPage.open(Path.of(args[0]))) {
            Notifier notifier = kernel.register(args[1]);
            int n = Integer.parseInt(args[2]);
            System.out.println("ready");
            for (int i = 0; i < n; i++) {
                notifier.fire();
            }
        }
        System.out.println("done");
    }
}
