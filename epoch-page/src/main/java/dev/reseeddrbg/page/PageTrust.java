package dev.reseeddrbg.page;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;

/**
 * A reader's trust rules for an epoch page, defined once. Whoever can write the page, or
 * replace it in its directory, can freeze the word and silence every notification, so a
 * reader maps a page only when:
 * <ul>
 * <li>the file it mapped is a regular file of one page, reached without a symbolic link
 *     (opened with O_NOFOLLOW);</li>
 * <li>that same file (checked by device and inode against the mapping itself, not by a
 *     second lookup of the path) is owned by root or by the reader's own user and is not
 *     group- or world-writable;</li>
 * <li>its directory can be written only by root or the page's owner: no group or other
 *     write bit, and owned by one of the two. Anyone else who can write the directory
 *     could swap the entry for a page they control.</li>
 * </ul>
 * Every rule that the path's lstat can answer is checked before the file is opened, so
 * that nothing at the path (a FIFO blocks open(2) until a writer comes) is opened unless
 * only root or the page's owner could have put it there; the rules are checked again on
 * the file that was mapped.
 * The owner and mode are checked again later ({@link #recheck}), so a page that becomes
 * writable by others, or changes hands, stops being trusted.
 *
 * <p>The page's owner (the daemon, {@link #mapOwned}) keeps the same rules with one
 * difference: the page must be its own, not root's or anyone else's. A page another user
 * put at its path is refused rather than adopted, since every reader would refuse it and
 * its owner could freeze it.
 */
public final class PageTrust {
    private PageTrust() {
    }

    /**
     * A page mapped read-only that passed every rule, with the identity of the file behind
     * the mapping, for {@link #recheck}.
     */
    public record TrustedPage(EpochPage page, long device, long inode) {
    }

    /**
     * Opens {@code path} once (O_NOFOLLOW), maps it read-only into {@code arena}, and checks
     * the mapped file and its directory against the rules above. The caller closes
     * {@code arena} when this throws, which unmaps whatever was mapped.
     *
     * <p>An interrupt is not a missing page: the thread's interrupt flag is cleared while
     * mapping (an interrupted FileChannel closes itself) and set again before returning.
     *
     * @throws InvalidPageException naming the path and the rule it breaks
     */
    public static TrustedPage mapTrusted(Path path, Arena arena) throws IOException {
        return map(path, arena, Role.READER);
    }

    /**
     * {@link #mapTrusted} for the page's owner: maps {@code path} read-write, and requires
     * the file to be owned by this process's user (root's page only when running as
     * root). The directory rule is the reader's.
     *
     * @throws InvalidPageException naming the path and the rule it breaks
     */
    public static TrustedPage mapOwned(Path path, Arena arena) throws IOException {
        return map(path, arena, Role.OWNER);
    }

    /** Who maps the page, which decides how it is mapped and whose page it may be. */
    private enum Role {
        READER(FileChannel.MapMode.READ_ONLY),
        OWNER(FileChannel.MapMode.READ_WRITE);

        final FileChannel.MapMode mode;

        Role(FileChannel.MapMode mode) {
            this.mode = mode;
        }
    }

    private static TrustedPage map(Path path, Arena arena, Role role) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    return mapTrustedOnce(path, arena, role);
                } catch (ClosedByInterruptException e) {
                    // Interrupted while mapping: remember it for the caller and map again.
                    Thread.interrupted();
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static TrustedPage mapTrustedOnce(Path path, Arena arena, Role role) throws IOException {
        // Every rule that can be checked on the lstat is checked before the open: opening
        // blocks on a FIFO until a writer comes, and a FIFO can be put at the path by anyone
        // who can write the directory. Once the directory is trusted and the file is root's
        // or ours, only root or we can change what the path names between lstat and open.
        Map<String, Object> seen = lstat(path);
        checkFile(path, seen);
        if (role == Role.OWNER) {
            requireOwnedBySelf(path, seen);
        }
        requireTrustedDirectory(path, (int) seen.get("uid"));
        MemorySegment mapped = PageFile.map(path, role.mode, arena);
        long[] identity = mappedFile(mapped, path);
        Map<String, Object> attributes = Files.readAttributes(path, "unix:*", LinkOption.NOFOLLOW_LINKS);
        if ((long) attributes.get("dev") != identity[0] || (long) attributes.get("ino") != identity[1]) {
            throw new InvalidPageException(path, "was replaced while it was being opened (the file mapped is not "
                    + "the one now at the path); refused: something rewrites its directory entry, check who can write "
                    + path.toAbsolutePath().getParent());
        }
        checkFile(path, attributes);
        if (role == Role.OWNER) {
            requireOwnedBySelf(path, attributes);
        }
        requireTrustedDirectory(path, (int) attributes.get("uid"));
        return new TrustedPage(EpochPage.verify(mapped, path), identity[0], identity[1]);
    }

    /** The attributes of what {@code path} names, not following a final link; a missing file says so. */
    private static Map<String, Object> lstat(Path path) throws IOException {
        try {
            return Files.readAttributes(path, "unix:*", LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            throw PageFile.missing(path, e);
        }
    }

    /**
     * Whether {@code path} still names the file with this identity, and that file is still
     * trusted; null when it is, else why not (for the reader's log line).
     */
    public static String recheck(Path path, long device, long inode) {
        return recheck(path, device, inode, "; following the path to whatever is there now", true);
    }

    /**
     * {@link #recheck} for the page's owner, which does not follow the path: why the file
     * at {@code path} is no longer the trusted file with this identity, or null.
     */
    public static String changedSinceMapped(Path path, long device, long inode) {
        return recheck(path, device, inode, "", false);
    }

    private static String recheck(Path path, long device, long inode, String then, boolean reader) {
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(path, "unix:*", LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return "was removed after it was mapped (nothing is at the path now)" + then;
        } catch (IOException e) {
            return "was removed after it was mapped (" + e.getMessage() + ")" + then;
        }
        if ((long) attributes.get("dev") != device || (long) attributes.get("ino") != inode) {
            return "was replaced or removed after it was mapped" + then;
        }
        long size = (long) attributes.get("size");
        if (reader && size < PageLayout.PAGE_SIZE) {
            // A truncated mapping faults at its next load; a load the JIT compiled reports
            // that fault where the reader cannot tell it from another InternalError, so the
            // reader goes by the size.
            return "was truncated after it was mapped (now " + size + " bytes)" + then;
        }
        try {
            checkOwnerAndMode(path, attributes);
            return null;
        } catch (InvalidPageException e) {
            return "changed after it was mapped: " + e.reason();
        }
    }

    /** The rules for the page file itself, on the attributes of the file that was mapped. */
    private static void checkFile(Path path, Map<String, Object> attributes) throws InvalidPageException {
        if (Boolean.TRUE.equals(attributes.get("isSymbolicLink"))) {
            throw new InvalidPageException(path, "is a symbolic link; name the page file itself");
        }
        if (Boolean.TRUE.equals(attributes.get("isDirectory"))) {
            throw new InvalidPageException(path, "is a directory, not a page file");
        }
        if (!Boolean.TRUE.equals(attributes.get("isRegularFile"))) {
            throw new InvalidPageException(path, "is not a regular file (a FIFO, socket or device is never "
                    + "opened); name the page file itself");
        }
        if ((long) attributes.get("size") != PageLayout.PAGE_SIZE) {
            throw new InvalidPageException(path, "is " + attributes.get("size") + " bytes; a page file is exactly "
                    + PageLayout.PAGE_SIZE + " bytes (recreate it with 'simkernel init')");
        }
        checkOwnerAndMode(path, attributes);
    }

    private static void checkOwnerAndMode(Path path, Map<String, Object> attributes) throws InvalidPageException {
        int mode = (int) attributes.get("mode");
        if ((mode & 0022) != 0) {
            throw new InvalidPageException(path, "is group- or world-writable (mode " + octal(mode)
                    + "), so others could freeze the word; refused (chmod go-w " + path + ")");
        }
        int owner = (int) attributes.get("uid");
        int self = currentUid();
        if (owner != 0 && owner != self) {
            throw new InvalidPageException(path, "is owned by uid " + owner + ", neither root nor this process (uid "
                    + self + "); refused, since its owner could freeze the word");
        }
    }

    private static void requireOwnedBySelf(Path path, Map<String, Object> attributes) throws InvalidPageException {
        int owner = (int) attributes.get("uid");
        int self = currentUid();
        if (owner != self) {
            throw new InvalidPageException(path, "is owned by uid " + owner + ", not by this process (uid " + self
                    + "), which is to own it; refused: a page another user put there is theirs to freeze, and every "
                    + "reader would refuse it. Remove it if it is stale, or run the daemon as uid " + owner);
        }
    }

    /**
     * The directory rule, for whoever is about to create or use a file in the directory
     * of {@code file}: only root and {@code owner} may be able to write it (no group or
     * other write bit, owned by one of the two), else someone else could replace the
     * entry. The daemon checks it before it creates its page and socket there.
     *
     * @throws InvalidPageException naming the directory and what is wrong with it
     */
    public static void requireTrustedDirectory(Path file, int owner) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(dir, "unix:mode,uid");
        } catch (java.nio.file.NoSuchFileException e) {
            throw new InvalidPageException(file, "cannot be used: its directory " + dir + " does not exist", e);
        }
        int mode = (int) attributes.get("mode");
        int dirOwner = (int) attributes.get("uid");
        if ((mode & 0022) != 0) {
            throw new InvalidPageException(file, "is in directory " + dir + ", which group or others can write (mode "
                    + octal(mode) + "), so they could replace the page; refused (chmod go-w " + dir
                    + ", or keep the page in a directory only root or its owner can write, as /run/reseeddrbg)");
        }
        if (dirOwner != 0 && dirOwner != owner) {
            throw new InvalidPageException(file, "is in directory " + dir + ", owned by uid " + dirOwner
                    + ", neither root nor the page's owner (uid " + owner + "), who could replace the page; refused");
        }
    }

    /** This process's user: the owner of /proc/self, without a native call. */
    public static int currentUid() throws InvalidPageException {
        try {
            return (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            throw new InvalidPageException(Path.of("/proc/self"), "cannot be read to learn this process's uid ("
                    + e.getMessage() + "); page trust cannot be checked", e);
        }
    }

    /**
     * Device and inode of the file mapped at {@code mapped}, from this process's own
     * /proc/self/maps: the kernel's record of what the mapping holds, whatever the path
     * names now. st_dev is composed from the major:minor there as glibc's makedev does.
     */
    private static long[] mappedFile(MemorySegment mapped, Path path) throws IOException {
        String prefix = Long.toHexString(mapped.address()) + "-";
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"), StandardCharsets.ISO_8859_1)) {
            if (!line.startsWith(prefix)) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            if (f.length >= 5) {
                String[] dev = f[3].split(":");
                long major = Long.parseLong(dev[0], 16);
                long minor = Long.parseLong(dev[1], 16);
                long device = ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                        | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
                return new long[] {device, Long.parseLong(f[4])};
            }
        }
        throw new InvalidPageException(path, "was mapped, but the mapping is not in /proc/self/maps, so the mapped "
                + "file cannot be checked; refused");
    }

    private static String octal(int mode) {
        return String.format("%04o", mode & 07777);
    }
}
