package dev.reseeddrbg.provider.epoch;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.page.PageLayout;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The in-process pages reseeddrbg.onMissingPage falls back to when the configured page is
 * missing or refused. Each fallback is logged once per path and reason, not at every
 * getInstance: at WARNING, except an embedded page while the VMClock counter is watched,
 * which still sees every restore (INFO).
 */
final class FallbackPages {
    private static final System.Logger LOG = System.getLogger("dev.reseeddrbg");
    static final long EMBEDDED_TIMER_SECONDS = 60;
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
    /** The in-process page once it exists (notifying it must not create it). */
    private static volatile EpochPage embeddedPage;

    private FallbackPages() {
    }

    /** onMissingPage=embedded: the in-process page with a timer notifier, which cannot see VM snapshots. */
    static EpochBinding embedded(Path path, String reason) {
        if (VmClockWatch.watched()) {
            // Not a loss of coverage: the VMClock counter is checked on every draw.
            logOnce(System.Logger.Level.INFO, path, "ReseedDRBG has no epoch page ({0}); VM restores are watched "
                    + "through VMClock {1}, with an in-process page and a {2} s timer for the rest", reason,
                    VmClockWatch.describe(), EMBEDDED_TIMER_SECONDS);
            return EpochBinding.fallback(Embedded.PAGE, NotificationSource.EMBEDDED, path, reason);
        }
        warnOnce(path, "ReseedDRBG cannot use {0}; using an in-process page with a {1} s "
                + "timer instead, which cannot see VM snapshots", reason, EMBEDDED_TIMER_SECONDS);
        return EpochBinding.fallback(Embedded.PAGE, NotificationSource.EMBEDDED, path, reason);
    }

    /** onMissingPage=reseed-every-draw: a page that never changes; the source makes every draw reseed. */
    static EpochBinding reseedEveryDraw(Path path, String reason) {
        warnOnce(path, "ReseedDRBG cannot use {0}; reseeding from the kernel before every draw instead", reason);
        return EpochBinding.fallback(Unchanging.PAGE, NotificationSource.RESEED_EVERY_DRAW, path, reason);
    }

    /**
     * Fires {@code notifier} on the in-process page if one exists (for the checkpoint
     * restore hook); pages owned by a kernel are the kernel's to notify.
     */
    static void notifyEmbedded(String notifier) {
        EpochPage page = embeddedPage;
        if (page != null) {
            page.notifierId(notifier).ifPresent(page::notify);
        }
    }

    private static void warnOnce(Path path, String message, Object... args) {
        logOnce(System.Logger.Level.WARNING, path, message, args);
    }

    private static void logOnce(System.Logger.Level level, Path path, String message, Object... args) {
        if (WARNED.add(path + " " + message)) {
            LOG.log(level, message, args);
        }
    }

    private static EpochPage newPage() {
        try {
            return EpochPage.format(Arena.global().allocate(PageLayout.PAGE_SIZE, PageLayout.PAGE_SIZE), null);
        } catch (InvalidPageException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Created on first use: its timer thread starts only in a JVM that falls back to it. */
    private static final class Embedded {
        static final EpochPage PAGE = create();

        private static EpochPage create() {
            EpochPage page = newPage();
            int timer = page.register("timer");
            page.register("crac-restore");
            page.register("manual");
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r ->
                    Thread.ofPlatform().daemon().name("reseeddrbg-embedded-timer").unstarted(r));
            scheduler.scheduleAtFixedRate(() -> page.notify(timer), EMBEDDED_TIMER_SECONDS,
                    EMBEDDED_TIMER_SECONDS, TimeUnit.SECONDS);
            embeddedPage = page;
            return page;
        }
    }

    private static final class Unchanging {
        static final EpochPage PAGE = newPage();
    }
}
