package dev.reseeddrbg.provider.childjvm;

import dev.reseeddrbg.provider.ReseedProvider;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Draws in a hot loop until the draw path is JIT-compiled, truncates the page under the
 * provider's mapping (a compiled load from it raises SIGBUS, which HotSpot delivers as an
 * asynchronous InternalError), then draws for up to {@code args[1]} ms and prints what the
 * draws gave: how many succeeded, threw InternalError or ProviderException, and after how
 * long the first draw succeeded or failed by the policy.
 */
public final class HotTruncationProbe {
    private HotTruncationProbe() {
    }

    public static void main(String[] args) throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", new ReseedProvider());
        byte[] out = new byte[32];
        for (int i = 0; i < 200_000; i++) {
            random.nextBytes(out);
        }
        System.out.println("before=" + random);
        try (FileChannel page = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
            page.truncate(0);
        }
        long start = System.nanoTime();
        long end = start + Long.parseLong(args[1]) * 1_000_000;
        long ok = 0;
        long internalErrors = 0;
        long providerExceptions = 0;
        long settledAtMs = -1;
        String lastProviderException = "";
        while (System.nanoTime() < end) {
            try {
                random.nextBytes(out);
                ok++;
            } catch (InternalError e) {
                internalErrors++;
                continue;
            } catch (java.security.ProviderException e) {
                providerExceptions++;
                lastProviderException = e.getMessage();
            }
            if (settledAtMs < 0) {
                settledAtMs = (System.nanoTime() - start) / 1_000_000;
            }
        }
        System.out.println("ok=" + ok);
        System.out.println("internalErrors=" + internalErrors);
        System.out.println("providerExceptions=" + providerExceptions);
        System.out.println("lastProviderException=" + lastProviderException);
        System.out.println("settledAtMs=" + settledAtMs);
        System.out.println("after=" + random);
        System.out.println("survived=true");
    }
}
