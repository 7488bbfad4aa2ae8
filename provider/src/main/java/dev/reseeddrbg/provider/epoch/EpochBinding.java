package dev.reseeddrbg.provider.epoch;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.EpochWord;
import dev.reseeddrbg.page.PageTrust;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * The page a DRBG state watches: one load gives its word, or {@link #LOST} once the page
 * is gone. Made by {@link PageMappings} (a mapped page file) or {@link FallbackPages};
 * which binding serves a path is {@link CurrentBinding}'s to say.
 *
 * <p>Page loss is a value, never an exception on the draw path: a load from a mapping
 * whose file was truncated faults, the JVM reports the SIGBUS as {@code InternalError},
 * and {@link #load} turns that into {@link #LOST} right at the load, when the load runs
 * interpreted. JIT-compiled, the fault comes as an asynchronous InternalError later in the
 * draw; the state then asks {@link #lostOrReplacedNow}, and the file's size says so. A replaced or no
 * longer trusted file is found by {@link #lostOrReplaced}, which looks at the file at most
 * every {@value PathWatch#REPLACEMENT_CHECK_MILLIS} ms and only when a state is about to run its
 * engine anyway. A fallback is left the same way once a trusted page is at the configured
 * path again: falling back is a state an instance leaves, not a lasting choice.
 *
 * <p>Invariant: a page that was mapped is never unmapped (its arena is never closed), so a
 * load from a lost binding is still a load from valid memory, or a fault the JVM survives.
 */
public final class EpochBinding {
    /** What {@link #load} returns for a lost page. Stamps are 0 to 2^63 - 1, so none equals it. */
    public static final long LOST = -1;
    private static final System.Logger LOG = System.getLogger("dev.reseeddrbg");
    /** The first binding constructed, for {@link FirstBinding}. */
    private static final AtomicReference<EpochBinding> FIRST = new AtomicReference<>();

    /**
     * All of the address space as one constant segment, or null when this module may not
     * call restricted methods (no --enable-native-access). Why: an acquire load through a
     * segment held in a field makes the JIT load that segment, check its arena is alive,
     * and check the offset against its length and alignment on every draw; through this
     * static final segment those checks fold to constants (WordLoadBenchmark measures the
     * three ways). Reading by raw address is safe only because of the class invariant: no
     * page is ever unmapped.
     */
    private static final MemorySegment ALL_MEMORY = EpochBinding.class.getModule().isNativeAccessEnabled()
            ? MemorySegment.NULL.reinterpret(Long.MAX_VALUE) : null;

    private final EpochPage page;
    /** The word's address in {@link #ALL_MEMORY}. */
    private final long wordAddress;
    private final NotificationSource source;
    private final Path configuredPath;
    /** Why the configured page is not in use; null when it is. */
    private final String fallbackReason;
    /** What the configured path holds now: the mapped file's fate, or a page back for a fallback; null for seams. */
    private final PathWatch watch;
    /** Benchmark seam: a word source in place of the page (see {@link #benchmarkSeam}); null otherwise. */
    private final IntSupplier seamWord;
    /** Why the page is lost; null while it is not. Set once. */
    private volatile String lostBecause;
    private final AtomicBoolean lossLogged = new AtomicBoolean();

    private EpochBinding(EpochPage page, NotificationSource source, Path configuredPath, String fallbackReason,
                         PathWatch watch, IntSupplier seamWord) {
        this.page = page;
        this.wordAddress = page.wordAddress();
        this.source = source;
        this.configuredPath = configuredPath;
        this.fallbackReason = fallbackReason;
        this.watch = watch;
        this.seamWord = seamWord;
        FIRST.compareAndSet(null, this); // last: wordAddress is set when FirstBinding reads it
    }

    /** A mapped, trusted page file whose identity is {@code device}/{@code inode}. */
    static EpochBinding mapped(EpochPage page, Path path, long device, long inode) {
        return new EpochBinding(page, NotificationSource.PAGE, path, null, PathWatch.ofMappedFile(path, device, inode),
                null);
    }

    /** An in-process page standing in for {@code path}, for {@code reason}. */
    static EpochBinding fallback(EpochPage page, NotificationSource source, Path path, String reason) {
        return new EpochBinding(page, source, path, reason, PathWatch.ofFallback(path), null);
    }

    /**
     * Benchmark seam, not for production: a binding whose {@link #load} returns
     * {@code word}'s value instead of loading the page (which it only carries for reports),
     * so that a benchmark can measure a draw without the page check. Create the real
     * page's binding first: the JVM's first binding is the one read at a constant address.
     */
    public static EpochBinding benchmarkSeam(EpochPage page, Path path, IntSupplier word) {
        return new EpochBinding(page, NotificationSource.PAGE, path, null, null, word);
    }

    /**
     * The current stamp, or {@link #LOST}: the word (zero-extended) in bits 31..0 and the
     * hypervisor's restore counter ({@link VmClockWatch#restoreBits}, 0 when none is
     * watched) in bits 62..32. Two acquire loads at constant addresses, the only thing a
     * draw reads from here; a stamp is never negative.
     */
    public long load() {
        try {
            if (ALL_MEMORY != null) {
                if (this == FirstBinding.BINDING) {
                    return Integer.toUnsignedLong(EpochPage.loadWord(ALL_MEMORY, FirstBinding.ADDRESS))
                            | VmClockWatch.restoreBits(ALL_MEMORY);
                }
                if (seamWord == null) {
                    return Integer.toUnsignedLong(EpochPage.loadWord(ALL_MEMORY, wordAddress))
                            | VmClockWatch.restoreBits(ALL_MEMORY);
                }
            } else if (seamWord == null) {
                return Integer.toUnsignedLong(page.loadWord());
            }
            return Integer.toUnsignedLong(seamWord.getAsInt());
        } catch (InternalError pageFault) {
            markLost("was truncated while mapped (" + pageFault.getMessage() + ")");
            return LOST;
        }
    }

    /**
     * Whether states must leave this binding: its page is lost, or its file was replaced
     * at the path or is no longer trusted (owner or mode changed: {@link PageTrust#recheck}),
     * or, for a fallback, a trusted page is at the configured path again. Looks at the file
     * at most every {@value PathWatch#REPLACEMENT_CHECK_MILLIS} ms, a fallback at the path at most
     * every {@value PathWatch#PAGE_LOOK_MILLIS} ms.
     */
    public boolean lostOrReplaced() {
        if (lostBecause != null) {
            return true;
        }
        if (watch == null) {
            return false;
        }
        if (!watch.watchesMappedFile()) {
            return watch.pageIsBack();
        }
        return fileLost(false);
    }

    /**
     * {@link #lostOrReplaced} at once, without the rate limit, for a state whose draw an
     * InternalError struck: a page fault the JIT-compiled load delivers asynchronously,
     * after the load's own catch, is found here by the file's size. A fallback does not
     * look for its page here.
     */
    public boolean lostOrReplacedNow() {
        if (lostBecause != null) {
            return true;
        }
        return watch != null && watch.watchesMappedFile() && fileLost(true);
    }

    private boolean fileLost(boolean now) {
        String changed = watch.fileChanged(now);
        if (changed != null) {
            markLost(changed);
        }
        return lostBecause != null;
    }

    /** Whether the page was found lost (truncated, replaced, no longer trusted). */
    public boolean lost() {
        return lostBecause != null;
    }

    private void markLost(String why) {
        if (lostBecause == null) {
            lostBecause = why;
        }
        if (lossLogged.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "ReseedDRBG epoch page {0} {1}", configuredPath, why);
        }
    }

    /**
     * The word for reports (toString, the MBean), off the draw path and without side
     * effects: empty when the page is lost or its load faults.
     */
    public OptionalInt reportWord() {
        if (lostBecause != null) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(seamWord != null ? seamWord.getAsInt() : page.loadWord());
        } catch (InternalError pageFault) {
            return OptionalInt.empty();
        }
    }

    /**
     * The first binding this JVM made (in practice the only one: one page per JVM) and its
     * word's address, as constants. The JIT folds a static final into the load itself,
     * where an address held in a field costs a field load and the segment's bounds and
     * alignment checks on every load. Any other binding, including a new one for the same
     * path after its page was replaced, reads through its field: as correct, a little
     * slower. Initialised at the first load, so at least one binding exists by then.
     */
    private static final class FirstBinding {
        static final EpochBinding BINDING = FIRST.get();
        static final long ADDRESS = BINDING.wordAddress;

        private FirstBinding() {
        }
    }

    public NotificationSource source() {
        return source;
    }

    public boolean reseedsEveryDraw() {
        return source == NotificationSource.RESEED_EVERY_DRAW;
    }

    /** The path the configuration named (the page in use only when the source is PAGE). */
    public Path configuredPath() {
        return configuredPath;
    }

    /** Why the configured page is not in use, or null when it is. */
    public String fallbackReason() {
        return fallbackReason;
    }

    /** {@code 0x01000005 notifier=vm-snapshot(1) epoch=5}, with the name from this binding's page. */
    public String describe(int word) {
        return EpochWord.describe(word, notifierName(word));
    }

    /**
     * The name of the notifier that wrote {@code word} ("none", "unregistered"), or "page
     * unreadable" when the registry cannot be read (a truncated page faults).
     */
    public String notifierName(int word) {
        try {
            return page.notifierNameOf(word);
        } catch (InternalError pageFault) {
            return "page unreadable";
        }
    }

    /** The page and, when one is watched, the VMClock device: every source of restore news. */
    @Override
    public String toString() {
        String where = source == NotificationSource.PAGE ? "page=" + configuredPath
                : source.label() + " (" + fallbackReason + ")";
        String vmclock = VmClockWatch.watched() ? ", vmclock=" + VmClockWatch.describe() : "";
        return (lostBecause == null ? where : where + " (lost: it " + lostBecause + ")") + vmclock;
    }
}
