package dev.reseeddrbg.provider.epoch;

import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.page.PageTrust;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * What a binding learns from its configured path, looked at only when a state is about to
 * run its engine anyway and at a bounded rate, never per draw: for a mapped page, whether
 * the file at the path is still the trusted file that was mapped ({@link PageTrust#recheck});
 * for a fallback, whether a trusted page is at the path again, so that states leave the
 * fallback for it.
 *
 * <p>Looks are rate-limited per binding, not per state: the first state due looks, the
 * others rely on what it found. Two states may both look at a boundary; a look has no
 * side effect but a mapping kept in {@link PageMappings}, which is shared anyway.
 */
final class PathWatch {
    /** How often a mapped page's file is looked at. */
    static final long REPLACEMENT_CHECK_MILLIS = 100;
    /** How often a fallback looks for a page at its path. */
    static final long PAGE_LOOK_MILLIS = 1000;

    private final Path path;
    /** The mapped file's device and inode; null for a fallback. */
    private final long[] fileKey;
    private final long intervalNanos;
    /** System.nanoTime() of the last look. */
    private volatile long lastLook = System.nanoTime();
    /** A fallback whose page is back: set once, then every state on the binding leaves it. */
    private volatile boolean pageIsBack;

    private PathWatch(Path path, long[] fileKey, long intervalMillis) {
        this.path = path;
        this.fileKey = fileKey;
        this.intervalNanos = intervalMillis * 1_000_000;
    }

    static PathWatch ofMappedFile(Path path, long device, long inode) {
        return new PathWatch(path, new long[] {device, inode}, REPLACEMENT_CHECK_MILLIS);
    }

    static PathWatch ofFallback(Path path) {
        return new PathWatch(path, null, PAGE_LOOK_MILLIS);
    }

    boolean watchesMappedFile() {
        return fileKey != null;
    }

    /** Whether a look is due now, taking it if so. */
    private boolean due() {
        long now = System.nanoTime();
        if (now - lastLook < intervalNanos) {
            return false;
        }
        lastLook = now;
        return true;
    }

    /**
     * Why the mapped file is no longer the trusted page at the path, or null; looks only
     * when a look is due, or at once when {@code now}.
     */
    String fileChanged(boolean now) {
        if (!now && !due()) {
            return null;
        }
        return PageTrust.recheck(path, fileKey[0], fileKey[1]);
    }

    /**
     * For a fallback: whether a trusted page is at the path now. Maps only when something
     * is there; a refused page is looked at again at the next look.
     */
    boolean pageIsBack() {
        if (pageIsBack) {
            return true;
        }
        if (!due() || !Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            PageMappings.map(path);
        } catch (InvalidPageException stillRefused) {
            return false;
        }
        pageIsBack = true;
        return true;
    }
}
