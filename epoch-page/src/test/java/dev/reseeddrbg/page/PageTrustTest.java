package dev.reseeddrbg.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reader's trust rules, on real files: the file checked is the file mapped. */
class PageTrustTest {
    @TempDir
    Path dir;

    /** A valid page file at {@code file} whose word is {@code word}. */
    private static void page(Path file, int word) throws IOException {
        Files.write(file, new byte[PageLayout.PAGE_SIZE]);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rw = PageFile.map(file, FileChannel.MapMode.READ_WRITE, arena);
            EpochPage.format(rw, file);
            rw.set(PageLayout.INT, PageLayout.WORD_OFFSET, word);
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /**
     * Issue 15 item 5: an attacker swaps the page's directory entry back and forth between
     * the real page and one they own. Check and map are one act on one file, so a mapping
     * of the attacker's page is never returned, whatever the timing.
     */
    @Test
    void aPageSwappedDuringTheCheckIsNeverMapped() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(PageTrust.currentUid() == 0,
                "giving the attacker's page another owner needs root");
        Path store = Files.createDirectory(dir.resolve("store"));
        Path good = store.resolve("good");
        Path evil = store.resolve("evil");
        page(good, 0x01000007);
        page(evil, 0x02000666);
        Files.setAttribute(evil, "unix:uid", 12345); // another user's page, which a reader refuses
        Path path = dir.resolve("epoch");
        Files.createLink(path, good);
        AtomicBoolean stop = new AtomicBoolean();
        Thread swapper = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    Path staged = dir.resolve("staged");
                    Files.createLink(staged, i % 2 == 0 ? evil : good);
                    Files.move(staged, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        int mapped = 0;
        int refused = 0;
        try {
            for (int i = 0; i < 3000; i++) {
                try (Arena arena = Arena.ofConfined()) {
                    PageTrust.TrustedPage trusted = PageTrust.mapTrusted(path, arena);
                    assertEquals(0x01000007, trusted.page().loadWord(), "the attacker's page was mapped");
                    mapped++;
                } catch (InvalidPageException expected) {
                    refused++;
                }
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        assertTrue(mapped > 0 && refused > 0, "both outcomes happened: mapped " + mapped + ", refused " + refused);
    }

    @Test
    void aDirectoryOthersCanWriteIsRefused() throws Exception {
        for (String mode : new String[] {"rwxrwxrwx", "rwxrwxr-x", "rwx-w----"}) {
            Path open = Files.createDirectory(dir.resolve("open-" + mode));
            page(open.resolve("epoch"), 0);
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString(mode));
            try (Arena arena = Arena.ofConfined()) {
                InvalidPageException e = assertThrows(InvalidPageException.class,
                        () -> PageTrust.mapTrusted(open.resolve("epoch"), arena));
                assertTrue(e.getMessage().contains("which group or others can write"), e.getMessage());
            }
        }
    }

    @Test
    void aDirectoryOwnedBySomeoneElseIsRefused() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(PageTrust.currentUid() == 0, "chown needs root");
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        page(theirs.resolve("epoch"), 0);
        Files.setAttribute(theirs, "unix:uid", 12345);
        try (Arena arena = Arena.ofConfined()) {
            InvalidPageException e = assertThrows(InvalidPageException.class,
                    () -> PageTrust.mapTrusted(theirs.resolve("epoch"), arena));
            assertTrue(e.getMessage().contains("owned by uid 12345, neither root nor the page's owner"), e.getMessage());
        }
    }

    @Test
    void recheckSeesAModeOrOwnerChangeOnTheMappedFile() throws Exception {
        Path path = dir.resolve("epoch");
        page(path, 0);
        try (Arena arena = Arena.ofConfined()) {
            PageTrust.TrustedPage trusted = PageTrust.mapTrusted(path, arena);
            assertEquals(null, PageTrust.recheck(path, trusted.device(), trusted.inode()));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-r--"));
            String why = PageTrust.recheck(path, trusted.device(), trusted.inode());
            assertTrue(why != null && why.contains("group- or world-writable"), why);
        }
    }

    @Test
    void anInterruptedThreadStillMapsThePageAndKeepsItsFlag() throws Exception {
        Path path = dir.resolve("epoch");
        page(path, 0x01000001);
        Thread.currentThread().interrupt();
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(0x01000001, PageTrust.mapTrusted(path, arena).page().loadWord());
            assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt is kept");
        } finally {
            Thread.interrupted();
        }
    }
}
