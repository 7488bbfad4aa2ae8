package dev.reseeddrbg.provider.childjvm;

import dev.reseeddrbg.provider.ReseedProvider;
import dev.reseeddrbg.provider.epoch.VmClockWatch;
import java.security.SecureRandom;

/**
 * Child JVM: creates one instance (which resolves reseeddrbg.vmclock) and prints what the
 * provider made of the VMClock setting. With the argument {@code allow-file}, the test
 * seam lets a regular file stand in for the device first.
 */
public final class VmClockProbe {
    private VmClockProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("allow-file")) {
            VmClockWatch.allowRegularFileForTest();
        }
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", new ReseedProvider());
        random.nextBytes(new byte[16]);
        System.out.println("watched=" + VmClockWatch.watched());
        System.out.println("describe=" + VmClockWatch.describe());
        System.out.println("toString=" + random);
    }
}
