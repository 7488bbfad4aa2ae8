package dev.reseeddrbg.provider.epoch;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.EpochWord;
import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.page.PageLayout;
import dev.reseeddrbg.page.PageTrust;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where an instance learns that a reseed is due: a page file mapped read-only (the real
 * thing), or, by reseeddrbg.onMissingPage, an in-process page or no page at all.
 *
 * <p>One binding per page path per JVM: every instance reading one page shares one
 * mapping. The mapping is never unmapped (its arena is global): a state may load the
 * word at any time, and an unmapped address would crash the JVM.
 *
 * <p>Trust: the rules are epoch-page's {@link PageTrust} (owner root or this process's
 * user, not group- or world-writable, in a directory only root or the page's owner can
 * write, checked on the file that was mapped), because whoever can write the page can
 * freeze the word and silence every notification. They are checked at bind and again
 * with every check for a replaced file.
 */
public class EpochBinding {
    private static final System.Logger LOG = System.getLogger("dev.reseeddrbg");
    private static final ConcurrentHashMap<Path, EpochBinding> PAGES = new ConcurrentHashMap<>();
    /** The first binding constructed, for {@link FirstBinding}. */
    private static final AtomicReference<EpochBinding> FIRST = new AtomicReference<>();
    private static final long EMBEDDED_TIMER_SECONDS = 60;
    /** The in-process page once it exists (reading it must not create it). */
    private static volatile EpochPage embeddedPage;
    /** Fallbacks already logged, so that each is said once, not at every getInstance. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /** The source of notifications, as the MBean and toString() name it. */
    public enum Source {
        PAGE("page"), EMBEDDED("embedded"), RESEED_EVERY_DRAW("reseed-every-draw");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * All of the address space as one constant segment, or null when this module may not
     * call restricted methods (no --enable-native-access). Why: an acquire load through a
     * segment held in a field makes the JIT load that segment, check its arena is alive,
     * and check the offset against its length and alignment on every draw; through this
     * static final segment those checks fold to constants. WordLoadBenchmark, 2026-11-28,
     * three forks, ns per call: 1.26 through the page's segment (loadWord), 0.57 through
     * this one at an address held in a field (laterBindingWord), 0.39 at a constant address
     * ({@link FirstBinding}, bindingWord), JMH's empty baseline 0.38 ± 0.11. A draw loads twice, and a 32-byte
     * draw takes about 60 ns. Reading by raw address is safe only because every page is
     * mapped into the global arena and never unmapped.
     */
    private static final MemorySegment ALL_MEMORY = EpochBinding.class.getModule().isNativeAccessEnabled()
            ? MemorySegment.NULL.reinterpret(Long.MAX_VALUE) : null;

    private final EpochPage page;
    /** The page's memory, for loads when {@link #ALL_MEMORY} is not available. */
    private final MemorySegment word;
    /** The word's address in {@link #ALL_MEMORY}. */
    private final long wordAddress;
    private final Source source;
    private final Path configuredPath;
    private final String fallbackReason;
    /** The mapped file's identity (device, inode), to notice it being replaced or changed; null in-process. */
    private final long[] fileKey;
    /** Set once the page was found truncated or replaced: states move to a new binding. */
    private volatile boolean stale;
    private final java.util.concurrent.atomic.AtomicBoolean lossLogged = new java.util.concurrent.atomic.AtomicBoolean();
    /** System.nanoTime() of the last check for a replaced file. */
    private volatile long lastReplacementCheck = System.nanoTime();
    /** A replaced file is looked for at most this often, and only when a state refills. */
    private static final long REPLACEMENT_CHECK_NANOS = 100_000_000L;

    /**
     * For the benchmarks' "check off" variant, a subclass whose {@link #word()} returns
     * a constant; nothing in the provider subclasses it, so the JIT sees one class.
     */
    protected EpochBinding(EpochPage page, Source source, Path configuredPath, String fallbackReason) {
        this(page, source, configuredPath, fallbackReason, null);
    }

    private EpochBinding(EpochPage page, Source source, Path configuredPath, String fallbackReason, long[] fileKey) {
        this.page = page;
        this.word = page.segment();
        this.wordAddress = word.address() + PageLayout.WORD_OFFSET;
        this.source = source;
        this.configuredPath = configuredPath;
        this.fallbackReason = fallbackReason;
        this.fileKey = fileKey;
        FIRST.compareAndSet(null, this); // last: wordAddress is set when FirstBinding reads it
    }

    /**
     * The binding for {@code path}: its mapped page if usable, else what {@code policy}
     * says. With {@link MissingPagePolicy#FAIL} an unusable page throws
     * {@link InvalidPageException} naming the path and the reason.
     */
    public static EpochBinding bind(Path path, MissingPagePolicy policy) throws InvalidPageException {
        EpochBinding existing = PAGES.get(path);
        if (existing != null) {
            return existing;
        }
        try {
            return PAGES.computeIfAbsent(path, EpochBinding::mapPage);
        } catch (UncheckedIOException e) {
            InvalidPageException problem = e.getCause() instanceof InvalidPageException ipe ? ipe
                    : new InvalidPageException(path, e.getCause().getMessage(), e.getCause());
            return switch (policy) {
                case FAIL -> throw problem;
                case EMBEDDED -> Embedded.binding(path, problem.getMessage());
                case RESEED_EVERY_DRAW -> EveryDraw.binding(path, problem.getMessage());
            };
        }
    }

    private static EpochBinding mapPage(Path path) {
        // Its own arena, so that a refused page is unmapped again; a trusted page's arena is
        // never closed (a state may load the word at any time).
        Arena arena = Arena.ofShared();
        try {
            PageTrust.TrustedPage trusted = PageTrust.mapTrusted(path, arena);
            EpochPage page = trusted.page();
            LOG.log(System.Logger.Level.INFO, "ReseedDRBG bound to epoch page {0}, word {1}", path,
                    page.describe(page.loadWord()));
            return new EpochBinding(page, Source.PAGE, path, null, new long[] {trusted.device(), trusted.inode()});
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /**
     * Fires {@code notifier} on the in-process page if one exists (for the restore
     * hook); pages owned by a kernel are the kernel's to notify.
     */
    public static void notifyEmbedded(String notifier) {
        EpochPage page = embeddedPage;
        if (page != null) {
            page.notifierId(notifier).ifPresent(page::notify);
        }
    }

    private static void warnOnce(Path path, String message, Object... args) {
        if (WARNED.add(path + " " + message)) {
            LOG.log(System.Logger.Level.WARNING, message, args);
        }
    }

    /**
     * Whether states must leave this binding: its file was truncated under the mapping
     * (a load then faults, which the JVM reports as InternalError), replaced by another
     * file at the same path, or is no longer trusted (its owner or mode changed:
     * {@link PageTrust#recheck}). Looks at the file at most every 100 ms; callers ask only
     * when they are about to run the engine anyway, never per draw.
     */
    public boolean staleOrReplaced() {
        if (stale || fileKey == null) {
            return stale;
        }
        long now = System.nanoTime();
        if (now - lastReplacementCheck < REPLACEMENT_CHECK_NANOS) {
            return false;
        }
        lastReplacementCheck = now;
        String changed = PageTrust.recheck(configuredPath, fileKey[0], fileKey[1]);
        if (changed != null) {
            lost(changed);
        }
        return stale;
    }

    /** Records that the page is gone (said once), so that no new instance binds to it. */
    public void lost(String why) {
        stale = true;
        PAGES.remove(configuredPath, this);
        if (lossLogged.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "ReseedDRBG epoch page {0} {1}", configuredPath, why);
        }
    }

    /** Whether the page was found truncated or replaced. */
    public boolean stale() {
        return stale;
    }

    /**
     * The word for reports (toString, the MBean), off the draw path: a fault from a
     * truncated page marks the binding lost and yields empty instead of an error.
     */
    public java.util.OptionalInt reportWord() {
        try {
            return java.util.OptionalInt.of(word());
        } catch (InternalError pageFault) {
            lost("was truncated while mapped (" + pageFault.getMessage() + ")");
            return java.util.OptionalInt.empty();
        }
    }

    /** The current word: one acquire load, the only thing a draw reads from here. */
    public int word() {
        if (ALL_MEMORY == null) {
            return EpochPage.loadWord(word);
        }
        return this == FirstBinding.BINDING ? EpochPage.loadWord(ALL_MEMORY, FirstBinding.ADDRESS)
                : EpochPage.loadWord(ALL_MEMORY, wordAddress);
    }

    /**
     * The first binding this JVM made (in practice the only one: one page per JVM) and its
     * word's address, as constants. The JIT folds a static final into the load itself,
     * where an address held in a field costs a field load and the segment's bounds and
     * alignment checks on every load (the numbers are at {@link #ALL_MEMORY}). Any other
     * binding, including a new one for the same path after its page was replaced, reads
     * through its field: as correct, a little slower. Initialised at the first word()
     * call, so at least one binding exists by then.
     */
    private static final class FirstBinding {
        static final EpochBinding BINDING = FIRST.get();
        static final long ADDRESS = BINDING.wordAddress;

        private FirstBinding() {
        }
    }

    public Source source() {
        return source;
    }

    public boolean reseedsEveryDraw() {
        return source == Source.RESEED_EVERY_DRAW;
    }

    /** The path the configuration named (the page in use only when source is PAGE). */
    public Path configuredPath() {
        return configuredPath;
    }

    /** Why the configured page is not in use, or null when it is. */
    public String fallbackReason() {
        return fallbackReason;
    }

    /** The page itself: the file's mapping, or the in-process page. */
    public EpochPage page() {
        return page;
    }

    /** The name of the notifier that wrote {@code word}, or "none"/"unregistered". */
    public String notifierName(int word) {
        int id = EpochWord.notifierId(word);
        return id == 0 ? "none" : page.notifierName(id).orElse("unregistered");
    }

    @Override
    public String toString() {
        return source == Source.PAGE ? "page=" + configuredPath
                : source.label() + " (" + fallbackReason + ")";
    }

    /**
     * The in-process page used with onMissingPage=embedded: one per JVM, with a timer
     * notifier, so periodic reseeds still happen. It cannot see a VM snapshot, which is
     * why falling back to it is logged at WARNING.
     */
    private static final class Embedded {
        private static final EpochPage PAGE = create();

        static EpochBinding binding(Path path, String reason) {
            warnOnce(path, "ReseedDRBG cannot use {0}; using an in-process page with a {1} s "
                    + "timer instead, which cannot see VM snapshots", reason, EMBEDDED_TIMER_SECONDS);
            return new EpochBinding(PAGE, Source.EMBEDDED, path, reason);
        }

        private static EpochPage create() {
            try {
                MemorySegment memory = Arena.global().allocate(PageLayout.PAGE_SIZE, PageLayout.PAGE_SIZE);
                EpochPage page = EpochPage.format(memory, null);
                int timer = page.register("timer");
                page.register("crac-restore");
                page.register("manual");
                ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r ->
                        Thread.ofPlatform().daemon().name("reseeddrbg-embedded-timer").unstarted(r));
                scheduler.scheduleAtFixedRate(() -> page.notify(timer), EMBEDDED_TIMER_SECONDS,
                        EMBEDDED_TIMER_SECONDS, TimeUnit.SECONDS);
                embeddedPage = page;
                return page;
            } catch (InvalidPageException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** onMissingPage=reseed-every-draw: a page that never changes, and the flag that makes every draw reseed. */
    private static final class EveryDraw {
        private static final EpochPage PAGE = create();

        static EpochBinding binding(Path path, String reason) {
            warnOnce(path, "ReseedDRBG cannot use {0}; reseeding from the kernel before every "
                    + "draw instead", reason);
            return new EpochBinding(PAGE, Source.RESEED_EVERY_DRAW, path, reason);
        }

        private static EpochPage create() {
            try {
                return EpochPage.format(Arena.global().allocate(PageLayout.PAGE_SIZE, PageLayout.PAGE_SIZE), null);
            } catch (InvalidPageException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
