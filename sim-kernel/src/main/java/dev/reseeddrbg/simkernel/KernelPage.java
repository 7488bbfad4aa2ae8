package dev.reseeddrbg.simkernel;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.page.PageFile;
import dev.reseeddrbg.page.PageLayout;
import dev.reseeddrbg.page.PageTrust;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/**
 * The kernel's side of one epoch page: it creates the page, maps it read-write, and
 * hands out {@link Notifier}s. Readers map the same file read-only and never write it.
 *
 * <p>Rules a kernel would keep, kept here:
 * <ul>
 * <li>A page is published complete: it is written to a temporary file and linked into
 *     place with link(2), which fails rather than replace an existing file. A reader can
 *     never map a half-written page, and an existing page is never truncated or replaced,
 *     so running readers stay attached to the same inode.</li>
 * <li>The file is mode 0644: whoever can write the page can freeze the word and silence
 *     every notification, so only its owner may write it.</li>
 * <li>The daemon ({@link #own}) keeps a reader's trust rules ({@link PageTrust}) and one
 *     more: the page is its own. It refuses a page another user created, and a directory
 *     anyone but root and itself can write, before it creates anything there.</li>
 * </ul>
 */
public final class KernelPage implements AutoCloseable {
    /** Registered by {@link #initialize}, in this order, so their IDs are stable: 1, 2, 3. */
    public static final List<String> STANDARD_NOTIFIERS = List.of("vm-snapshot", "timer", "manual");

    private static final Set<PosixFilePermission> PAGE_MODE = PosixFilePermissions.fromString("rw-r--r--");

    private final Arena arena;
    private final EpochPage page;
    private final boolean created;
    /** Device and inode of the file mapped, for {@link #changedSinceMapped}; null where not known. */
    private final long[] identity;

    private KernelPage(Arena arena, EpochPage page, boolean created, long[] identity) {
        this.arena = arena;
        this.page = page;
        this.created = created;
        this.identity = identity;
    }

    /**
     * {@code simkernel run}: {@link #initialize}, keeping the owner's rules: the directory
     * must be writable by no one but root and this user (checked before the page is
     * created), and the page must be this user's own, checked on the file mapped.
     */
    public static KernelPage own(Path path) throws IOException {
        requireDirectory(path);
        PageTrust.requireTrustedDirectory(path, PageTrust.currentUid());
        boolean created = !Files.exists(path, LinkOption.NOFOLLOW_LINKS) && publishNewPage(path);
        Arena arena = Arena.ofShared();
        try {
            PageTrust.TrustedPage owned = PageTrust.mapOwned(path, arena);
            return registerStandard(new KernelPage(arena, owned.page(), created,
                    new long[] {owned.device(), owned.inode()}));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Why the file at the page's path is no longer the page this kernel mapped (removed,
     * replaced, or no longer trusted), or null while it is. Readers follow the path, so a
     * kernel whose page was replaced notifies a file no new reader maps.
     */
    public String changedSinceMapped() {
        return identity == null ? null : PageTrust.changedSinceMapped(page.path(), identity[0], identity[1]);
    }

    /**
     * {@code simkernel init}: creates the page at {@code path}, or opens the valid page
     * already there (keeping its word), and registers the standard notifiers.
     */
    public static KernelPage initialize(Path path) throws IOException {
        boolean created = false;
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            created = publishNewPage(path);
        }
        return registerStandard(open(path, created));
    }

    private static KernelPage registerStandard(KernelPage kernelPage) {
        for (String name : STANDARD_NOTIFIERS) {
            kernelPage.page.register(name);
        }
        return kernelPage;
    }

    /** Opens an existing page for notifying; fails if it is missing or not a page. */
    public static KernelPage open(Path path) throws IOException {
        return open(path, false);
    }

    private static KernelPage open(Path path, boolean created) throws IOException {
        checkMode(path);
        Arena arena = Arena.ofShared();
        try {
            return new KernelPage(arena, PageFile.mapReadWrite(path, arena), created, null);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void checkMode(Path path) throws IOException {
        PageFile.requirePageFile(path); // shape checks first, with their own messages
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
        if (mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new InvalidPageException(path, "is group- or world-writable (" + PosixFilePermissions.toString(mode)
                    + "), so anyone could freeze the word; run 'chmod go-w " + path + "'");
        }
    }

    private static void requireDirectory(Path path) throws InvalidPageException {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new InvalidPageException(path, "cannot be created: " + dir + " is not an existing directory");
        }
    }

    /**
     * Writes a formatted page to a temporary file, then links it into place. Every failure
     * names the page and the file it happened on (a full disk says where).
     */
    private static boolean publishNewPage(Path path) throws IOException {
        requireDirectory(path);
        Path dir = path.toAbsolutePath().getParent();
        Path temp;
        try {
            temp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".new",
                    PosixFilePermissions.asFileAttribute(PAGE_MODE));
        } catch (AccessDeniedException e) {
            throw new InvalidPageException(path, "cannot be created: no permission to write in " + dir, e);
        } catch (IOException e) {
            throw new InvalidPageException(path, "cannot be created: " + e.getMessage(), e);
        }
        try {
            Files.setPosixFilePermissions(temp, PAGE_MODE); // the umask may have narrowed it further
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofConfined()) {
                channel.write(ByteBuffer.allocate(PageLayout.PAGE_SIZE));
                MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, PageLayout.PAGE_SIZE, arena);
                EpochPage.format(segment, temp);
                segment.force();
            }
            Files.createLink(path, temp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false; // another init won the race; we use its page
        } catch (InvalidPageException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidPageException(path, "cannot be created: writing " + temp + " failed: "
                    + (e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                    : e.getMessage()), e);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** The page itself. */
    public EpochPage page() {
        return page;
    }

    /** Whether {@link #initialize} created the file (false: it kept an existing page). */
    public boolean created() {
        return created;
    }

    /** Registers {@code name} (or finds it) and returns its notifier. */
    public Notifier register(String name) {
        return new Notifier(page, page.register(name), name);
    }

    /** The registered notifier called {@code name}; the error lists the registered names. */
    public Notifier notifier(String name) {
        int id = page.notifierId(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown notifier '" + name + "'; registered on " + page.path() + ": "
                        + String.join(", ", page.notifiers().values())));
        return new Notifier(page, id, name);
    }

    @Override
    public void close() {
        arena.close();
    }
}
