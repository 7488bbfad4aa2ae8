package dev.reseeddrbg.provider.epoch;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.page.PageTrust;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

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
    /** Guarded by the class: a path is mapped by one thread at a time, and looked up under the same lock. */
    private static final Map<Path, EpochBinding> MAPPED = new HashMap<>();

    private PageMappings() {
    }

    /**
     * The mapping of {@code path}, made now if there is none; throws naming the path and
     * reason if it is unusable. Mapping checks the path and its directory before it opens
     * anything (epoch-page's PageTrust), so the lock is never held across an open that
     * someone else can make block.
     */
    static synchronized EpochBinding map(Path path) throws InvalidPageException {
        EpochBinding existing = MAPPED.get(path);
        if (existing != null && !existing.lost()) {
            return existing;
        }
        EpochBinding fresh = mapTrusted(path);
        MAPPED.put(path, fresh);
        return fresh;
    }

    private static EpochBinding mapTrusted(Path path) throws InvalidPageException {
        // Its own arena, so that a refused page is unmapped again; a trusted page's arena is
        // never closed.
        Arena arena = Arena.ofShared();
        try {
            PageTrust.TrustedPage trusted = PageTrust.mapTrusted(path, arena);
            EpochPage page = trusted.page();
            LOG.log(System.Logger.Level.INFO, "ReseedDRBG bound to epoch page {0}, word {1}", path,
                    page.describe(page.loadWord()));
            return EpochBinding.mapped(page, path, trusted.device(), trusted.inode());
        } catch (InvalidPageException e) {
            arena.close();
            throw e;
        } catch (IOException e) {
            arena.close();
            throw new InvalidPageException(path, e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }
}
