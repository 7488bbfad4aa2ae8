package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.testing.PageFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A page in a directory someone else can write: that someone can put anything at the
 * path at any moment, including a FIFO, whose open(2) blocks until a writer comes. The
 * directory must be refused before the page is opened, so getInstance never waits on it.
 */
class HostilePageDirectoryTest {
    private static final ReseedProvider PROVIDER = new ReseedProvider();

    @TempDir
    Path dir;

    @Test
    void aFifoSwappedInByAnotherWriterOfTheDirectoryNeverBlocksGetInstance() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        try (PageFixture page = new PageFixture(open)) {
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
            page.set("reseeddrbg.onMissingPage", "fail");
            Path regular = Files.copy(page.path(), dir.resolve("regular"));
            Path fifo = dir.resolve("fifo");
            Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
            assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
            // The other writer: alternates a FIFO and a good page file at the path, each
            // by an atomic rename of a fresh hard link, as fast as it can.
            AtomicBoolean stop = new AtomicBoolean();
            Thread swapper = Thread.ofPlatform().daemon().start(() -> {
                Path link = open.resolve("incoming");
                try {
                    for (int i = 0; !stop.get(); i++) {
                        Files.createLink(link, i % 2 == 0 ? fifo : regular);
                        Files.move(link, page.path(), StandardCopyOption.ATOMIC_MOVE,
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            List<String> refusals = new ArrayList<>();
            try {
                assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                    while (System.nanoTime() < end) {
                        try {
                            SecureRandom.getInstance("ReseedDRBG", PROVIDER);
                            refusals.add("none");
                        } catch (NoSuchAlgorithmException e) {
                            refusals.add(e.getMessage());
                        }
                    }
                }, "getInstance blocked on a FIFO at the page path");
            } finally {
                stop.set(true);
                swapper.join();
                releaseBlockedReaders(fifo);
            }
            assertTrue(refusals.size() > 10, "getInstance was tried: " + refusals.size());
            for (String refusal : refusals) {
                assertTrue(refusal.contains("which group or others can write")
                        || refusal.contains("is not a regular file"), refusal);
            }
        }
    }

    /** Opens the FIFO for writing, which lets a reader blocked in open(2) go on; needs one to be waiting. */
    private static void releaseBlockedReaders(Path fifo) {
        Thread.ofPlatform().daemon().start(() -> {
            try (var writer = Files.newOutputStream(fifo, StandardOpenOption.WRITE)) {
                writer.flush();
            } catch (IOException ignored) {
                // nobody was blocked, or the FIFO is gone: nothing to release
            }
        });
    }
}
