package dev.reseeddrbg.page;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;

/**
 * Maps an epoch page file. Both sides go through here so that "what is a page file"
 * (a regular file of exactly one page, not reached through a symbolic link) is decided
 * once. The mapping stays valid after the channel closes; it lives as long as the arena.
 */
public final class PageFile {
    private PageFile() {
    }

    /** Maps an existing page read-only, as a reader does, and checks its header. */
    public static EpochPage mapReadOnly(Path path, Arena arena) throws IOException {
        return EpochPage.verify(map(path, FileChannel.MapMode.READ_ONLY, arena), path);
    }

    /** Maps an existing page read-write, as its owner and notifiers do, and checks its header. */
    public static EpochPage mapReadWrite(Path path, Arena arena) throws IOException {
        return EpochPage.verify(map(path, FileChannel.MapMode.READ_WRITE, arena), path);
    }

    /**
     * Maps {@code path} after checking that it is a regular file of exactly one page. It
     * is opened with O_NOFOLLOW: a symbolic link could point a reader at a file that an
     * attacker controls (and can freeze), so links are refused rather than followed.
     */
    static MemorySegment map(Path path, FileChannel.MapMode mode, Arena arena) throws IOException {
        requirePageFile(path);
        Set<OpenOption> options = mode == FileChannel.MapMode.READ_ONLY
                ? Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)
                : Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        try (FileChannel channel = FileChannel.open(path, options)) {
            return channel.map(mode, 0, PageLayout.PAGE_SIZE, arena);
        } catch (AccessDeniedException e) {
            throw new InvalidPageException(path, "cannot be opened for "
                    + (mode == FileChannel.MapMode.READ_ONLY ? "reading" : "writing") + ": permission denied", e);
        } catch (FileSystemException e) {
            // ELOOP from O_NOFOLLOW: the path was swapped for a link after the check above.
            throw new InvalidPageException(path, "cannot be opened (" + e.getReason()
                    + "); a symbolic link is refused, name the page file itself", e);
        }
    }

    /**
     * Checks that {@code path} names a regular file of exactly one page, not through a
     * final symbolic link, and returns its attributes. Each problem has its own message.
     */
    public static BasicFileAttributes requirePageFile(Path path) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw missing(path, e);
        }
        if (attributes.isSymbolicLink()) {
            throw new InvalidPageException(path, "is a symbolic link; name the page file itself");
        }
        if (attributes.isDirectory()) {
            throw new InvalidPageException(path, "is a directory, not a page file");
        }
        if (!attributes.isRegularFile()) {
            throw new InvalidPageException(path, "is not a regular file");
        }
        if (attributes.size() != PageLayout.PAGE_SIZE) {
            throw new InvalidPageException(path, "is " + attributes.size() + " bytes; a page file is exactly "
                    + PageLayout.PAGE_SIZE + " bytes (recreate it with 'simkernel init')");
        }
        return attributes;
    }

    /** The refusal for a page path that names nothing, with what to do about it. */
    static InvalidPageException missing(Path path, NoSuchFileException e) {
        return new InvalidPageException(path, "does not exist; create it with 'simkernel init --page "
                + path + "' or point reseeddrbg.page at an existing page", e);
    }
}
