package dev.reseeddrbg.provider.epoch;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.page.PageTrust;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JVM's mappings of page files: one per path, shared by every instance reading that
 * page, made only for a file epoch-page's {@link PageTrust} accepts (owner root or this
 * process's user, not group- or world-writable, in a directory only root or the page's
 * owner can write, checked on the file that was mapped), because whoever can write the
 * page can freeze the word and silence every notification.
 *
 * <p>A trusted page is never unmapped (its arena is never closed): a state may load the
 * word at any time, and an unmapped address would crash the JVM. A lost page's mapping
 * leaves this registry, so the next request maps whatever the path holds then.
 */
final class PageMappings {
    private static final System.Logger LOG = System.getLogger("dev.reseeddrbg");
    private static final ConcurrentHashMap<Path, EpochBinding> MAPPED = new ConcurrentHashMap<>();

    private PageMappings() {
    }

    /** The mapping of {@code path}, made now if there is none; throws naming the path and reason if it is unusable. */
    static EpochBinding map(Path path) throws InvalidPageException {
        EpochBinding existing = MAPPED.get(path);
        if (existing != null && !existing.lost()) {
            return existing;
        }
        try {
            return MAPPED.compute(path, (p, old) -> old != null && !old.lost() ? old : mapTrusted(p));
        } catch (UncheckedIOException e) {
            throw e.getCause() instanceof InvalidPageException ipe ? ipe
                    : new InvalidPageException(path, e.getCause().getMessage(), e.getCause());
        }
    }

    private static EpochBinding mapTrusted(Path path) {
        // Its own arena, so that a refused page is unmapped again; a trusted page's arena is
        // never closed.
        Arena arena = Arena.ofShared();
        try {
            PageTrust.TrustedPage trusted = PageTrust.mapTrusted(path, arena);
            EpochPage page = trusted.page();
            LOG.log(System.Logger.Level.INFO, "ReseedDRBG bound to epoch page {0}, word {1}", path,
                    page.describe(page.loadWord()));
            return EpochBinding.mapped(page, path, trusted.device(), trusted.inode());
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }
}
