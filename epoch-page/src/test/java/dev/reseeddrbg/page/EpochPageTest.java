package dev.reseeddrbg.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EpochPageTest {

    @TempDir
    Path dir;

    private EpochPage formattedFile(Arena arena) throws IOException {
        Path file = dir.resolve("epoch");
        Files.write(file, new byte[PageLayout.PAGE_SIZE]);
        MemorySegment rw = PageFile.map(file, java.nio.channels.FileChannel.MapMode.READ_WRITE, arena);
        return EpochPage.format(rw, file);
    }

    @Test
    void registrationHandsOutLowestFreeIdAndIsIdempotent() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            EpochPage page = formattedFile(arena);
            assertEquals(1, page.register("timer"));
            assertEquals(2, page.register("vm-snapshot"));
            assertEquals(1, page.register("timer"));
            assertEquals("vm-snapshot", page.notifierName(2).orElseThrow());
            assertEquals(2, page.notifierId("vm-snapshot").orElseThrow());
            assertTrue(page.notifierName(3).isEmpty());
        }
    }

    /** The rehearsal a page owner runs at start is no notification: the word stays, and the next notify counts from it. */
    @Test
    void aRehearsedNotifyLeavesTheWordAlone() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            EpochPage page = formattedFile(arena);
            int id = page.register("vm-snapshot");
            int before = page.notify(id);
            assertEquals(before, page.rehearseNotify());
            assertEquals(before, page.loadWord());
            assertEquals(EpochWord.next(before, id), page.notify(id));
        }
    }

    @Test
    void allIdsCanBeRegisteredThenRegistryIsFull() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            EpochPage page = formattedFile(arena);
            for (int i = 1; i <= 255; i++) {
                assertEquals(i, page.register("n" + i));
            }
            assertThrows(IllegalStateException.class, () -> page.register("one-more"));
        }
    }

    @Test
    void badNamesAreRejected() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            EpochPage page = formattedFile(arena);
            assertThrows(IllegalArgumentException.class, () -> page.register(""));
            assertThrows(IllegalArgumentException.class, () -> page.register("UPPER"));
            assertThrows(IllegalArgumentException.class, () -> page.register("sixteen-chars-xx"));
        }
    }

    @Test
    void readOnlyMappingSeesWriterNotifications() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            EpochPage writer = formattedFile(arena);
            int timer = writer.register("timer");
            EpochPage reader = PageFile.mapReadOnly(writer.path(), arena);
            assertEquals(0, reader.loadWord());
            int written = writer.notify(timer);
            assertEquals(written, reader.loadWord());
            assertEquals("0x01000001 notifier=timer(1) epoch=1", reader.describe(reader.loadWord()));
        }
    }

    @Test
    void notifyFromUnregisteredIdIsRefused() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            EpochPage page = formattedFile(arena);
            assertThrows(IllegalArgumentException.class, () -> page.notify(9));
        }
    }

    @Test
    void concurrentNotifiersNeverLoseANotification() throws Exception {
        int threads = 8;
        int perThread = 20_000;
        try (Arena arena = Arena.ofShared()) {
            EpochPage page = formattedFile(arena);
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                ids.add(page.register("n" + t));
            }
            int before = page.loadWord();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = ids.get(t);
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    int previous = -1;
                    for (int i = 0; i < perThread; i++) {
                        int written = page.notify(id);
                        assertNotEquals(previous, written);
                        previous = written;
                    }
                }));
            }
            start.countDown();
            for (Thread w : workers) {
                w.join();
            }
            int expected = (EpochWord.epoch(before) + threads * perThread) & EpochWord.EPOCH_MASK;
            assertEquals(expected, EpochWord.epoch(page.loadWord()));
        }
    }

    @Test
    void counterWrapsOnThePage() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            EpochPage page = formattedFile(arena);
            int id = page.register("timer");
            page.segment().set(PageLayout.INT, PageLayout.WORD_OFFSET, EpochWord.of(id, EpochWord.EPOCH_MASK));
            int wrapped = page.notify(id);
            assertEquals(EpochWord.of(id, 0), wrapped);
        }
    }

    @Test
    void verifyRejectsForeignContent() throws IOException {
        Path file = dir.resolve("foreign");
        byte[] junk = new byte[PageLayout.PAGE_SIZE];
        junk[4] = 1;
        Files.write(file, junk);
        try (Arena arena = Arena.ofConfined()) {
            InvalidPageException e = assertThrows(InvalidPageException.class, () -> PageFile.mapReadOnly(file, arena));
            assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
        }
    }

    @Test
    void mapRejectsWrongSizeDirectoryMissingAndSymlink() throws IOException {
        Path shortFile = dir.resolve("short");
        Files.write(shortFile, new byte[100]);
        Path real = dir.resolve("real");
        Files.write(real, new byte[PageLayout.PAGE_SIZE]);
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(assertThrows(InvalidPageException.class, () -> PageFile.mapReadOnly(shortFile, arena))
                    .getMessage().contains("100 bytes"));
            assertTrue(assertThrows(InvalidPageException.class, () -> PageFile.mapReadOnly(dir, arena))
                    .getMessage().contains("directory"));
            assertTrue(assertThrows(InvalidPageException.class,
                    () -> PageFile.mapReadOnly(dir.resolve("missing"), arena)).getMessage().contains("does not exist"));
            assertTrue(assertThrows(InvalidPageException.class, () -> PageFile.mapReadOnly(link, arena))
                    .getMessage().contains("symbolic link"));
        }
    }
}
