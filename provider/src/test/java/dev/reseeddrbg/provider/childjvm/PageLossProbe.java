package dev.reseeddrbg.provider.childjvm;

import dev.reseeddrbg.provider.ReseedProvider;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Draws, truncates the page under the provider's mapping (a load from it then raises
 * SIGBUS), and draws again. Prints what happened; a JVM crash fails the calling test.
 */
public final class PageLossProbe {
    private PageLossProbe() {
    }

    public static void main(String[] args) throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", new ReseedProvider());
        random.nextBytes(new byte[32]);
        System.out.println("before=" + random);
        try (FileChannel page = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
            page.truncate(0);
        }
        for (int i = 0; i < 3; i++) {
            try {
                byte[] out = new byte[32];
                random.nextBytes(out);
                System.out.println("draw" + i + "=ok");
            } catch (RuntimeException e) {
                System.out.println("draw" + i + "=" + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        System.out.println("after=" + random);
        System.out.println("survived=true");
    }
}
