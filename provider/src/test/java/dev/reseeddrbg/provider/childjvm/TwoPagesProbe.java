package dev.reseeddrbg.provider.childjvm;

import dev.reseeddrbg.provider.epoch.CurrentBinding;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import dev.reseeddrbg.provider.epoch.MissingPagePolicy;
import dev.reseeddrbg.simkernel.KernelPage;
import java.nio.file.Path;

/**
 * Binds two pages in a fresh JVM, so that the first is this JVM's first binding (read at a
 * constant address) and the second is not (address from a field), then notifies each page
 * in turn and prints what each binding reads, interpreted and after the JIT compiled
 * load(), next to what the page holds.
 */
public final class TwoPagesProbe {
    private TwoPagesProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (KernelPage a = KernelPage.initialize(Path.of(args[0]));
             KernelPage b = KernelPage.initialize(Path.of(args[1]))) {
            EpochBinding first = CurrentBinding.of(a.page().path(), MissingPagePolicy.FAIL).get();
            EpochBinding later = CurrentBinding.of(b.page().path(), MissingPagePolicy.FAIL).get();
            report("start", first, later, a, b);
            a.notifier("vm-snapshot").fire();
            report("afterA", first, later, a, b);
            b.notifier("timer").fire();
            b.notifier("timer").fire();
            report("afterB", first, later, a, b);
        }
    }

    private static void report(String when, EpochBinding first, EpochBinding later, KernelPage a, KernelPage b) {
        int readFirst = 0;
        int readLater = 0;
        for (int i = 0; i < 200_000; i++) { // enough calls for C2 to compile load()
            readFirst = (int) first.load();
            readLater = (int) later.load();
        }
        System.out.println(when + ".first=" + readFirst + " page " + a.page().loadWord());
        System.out.println(when + ".later=" + readLater + " page " + b.page().loadWord());
    }
}
