package dev.reseeddrbg.demo;

import dev.reseeddrbg.provider.ReseedProvider;
import dev.reseeddrbg.simkernel.KernelPage;
import dev.reseeddrbg.simkernel.Notifier;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Streams raw ReseedDRBG output to stdout for statistical batteries
 * ({@code dieharder -g 200}, {@code ent}), optionally with a sim-kernel notification
 * every N bytes, so that the stream crosses many reseeds.
 */
@Command(name = "reseed-stream", mixinStandardHelpOptions = true,
        description = "Write raw ReseedDRBG output to stdout (for dieharder -g 200, ent).")
public final class RandomStream implements Callable<Integer> {
    @Option(names = "--config", defaultValue = "CTR_DRBG,AES-256,256",
            description = "reseeddrbg.config of the stream (default: ${DEFAULT-VALUE}).")
    String config;
    @Option(names = "--notify-every", paramLabel = "BYTES", defaultValue = "0",
            description = "Fire the vm-snapshot notifier every BYTES bytes of output (0: never).")
    long notifyEvery;
    @Option(names = "--bytes", paramLabel = "N", defaultValue = "0",
            description = "Stop after N bytes (0: until the reader closes the pipe).")
    long bytes;

    public static void main(String[] args) {
        System.exit(new CommandLine(new RandomStream()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        Path dir = Files.createTempDirectory("reseed-stream-");
        Path page = dir.resolve("epoch");
        try (KernelPage kernel = KernelPage.initialize(page)) {
            System.setProperty("reseeddrbg.page", page.toString());
            System.setProperty("reseeddrbg.onMissingPage", "fail");
            System.setProperty("reseeddrbg.config", config);
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", new ReseedProvider());
            Notifier vmSnapshot = kernel.notifier("vm-snapshot");
            byte[] chunk = new byte[8192];
            long written = 0;
            long sinceNotify = 0;
            // Not System.out: a PrintStream swallows the EPIPE of a reader that has had
            // enough, and the stream would run forever.
            OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
            while (bytes == 0 || written < bytes) {
                random.nextBytes(chunk);
                int n = (int) (bytes == 0 ? chunk.length : Math.min(chunk.length, bytes - written));
                out.write(chunk, 0, n);
                written += n;
                sinceNotify += n;
                if (notifyEvery > 0 && sinceNotify >= notifyEvery) {
                    vmSnapshot.fire();
                    sinceNotify = 0;
                }
            }
            out.flush();
        } catch (IOException closedPipe) {
            // the reader (dieharder) has read enough
        } catch (java.security.GeneralSecurityException e) {
            System.err.println("reseed-stream: " + e.getMessage());
            return 1;
        } finally {
            Files.deleteIfExists(page);
            Files.deleteIfExists(page.resolveSibling("epoch.sock"));
            Files.deleteIfExists(dir);
        }
        return 0;
    }
}
