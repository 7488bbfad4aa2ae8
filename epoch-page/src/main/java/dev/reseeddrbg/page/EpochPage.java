package dev.reseeddrbg.page;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * A view of one epoch page in memory: a file mapping (shared between processes) or an
 * in-process segment. It never owns the memory; whoever mapped it closes the arena.
 *
 * <p>Readers call {@link #loadWord()} (one acquire load). Writers, the page owner and
 * the notifiers it runs, call {@link #notify(int)}: a compare-and-set loop, so notifiers
 * racing in several threads or processes each advance the counter exactly once and each
 * leave a word that differs from the one they read.
 *
 * <p>Why acquire/release: a reader that sees a new word must also see the registry slot
 * of the notifier that wrote it. Registration stores the name before any notify from
 * that ID; the CAS in notify has volatile (release) semantics and the reader's load
 * acquires, so the name is visible with the word.
 */
public final class EpochPage {
    private static final VarHandle WORD = PageLayout.INT.varHandle();

    private final MemorySegment segment;
    private final Path path;

    private EpochPage(MemorySegment segment, Path path) {
        this.segment = segment;
        this.path = path;
    }

    /**
     * Writes a fresh header into {@code segment} (word 0, empty registry). Only the page
     * owner calls this, on memory no reader has seen yet.
     */
    public static EpochPage format(MemorySegment segment, Path path) throws InvalidPageException {
        checkSize(segment, path);
        segment.asSlice(0, PageLayout.PAGE_SIZE).fill((byte) 0);
        segment.set(PageLayout.INT, PageLayout.MAGIC_OFFSET, PageLayout.MAGIC);
        segment.set(PageLayout.SHORT, PageLayout.VERSION_OFFSET, (short) PageLayout.FORMAT_VERSION);
        segment.set(PageLayout.INT, PageLayout.PAGE_SIZE_OFFSET, PageLayout.PAGE_SIZE);
        WORD.setRelease(segment, PageLayout.WORD_OFFSET, 0);
        return new EpochPage(segment, path);
    }

    /** Checks the header of an existing page and returns a view of it. */
    public static EpochPage verify(MemorySegment segment, Path path) throws InvalidPageException {
        checkSize(segment, path);
        int magic = segment.get(PageLayout.INT, PageLayout.MAGIC_OFFSET);
        if (magic != PageLayout.MAGIC) {
            throw new InvalidPageException(path, String.format(
                    "bad magic 0x%08x (expected 0x%08x): not an epoch page, or written on a machine"
                            + " of the other byte order; create it with 'simkernel init'",
                    magic, PageLayout.MAGIC));
        }
        int version = Short.toUnsignedInt(segment.get(PageLayout.SHORT, PageLayout.VERSION_OFFSET));
        if (version != PageLayout.FORMAT_VERSION) {
            throw new InvalidPageException(path, "format version " + version
                    + " is not supported (this build reads version " + PageLayout.FORMAT_VERSION
                    + "); use a matching sim-kernel and provider");
        }
        int pageSize = segment.get(PageLayout.INT, PageLayout.PAGE_SIZE_OFFSET);
        if (pageSize != PageLayout.PAGE_SIZE) {
            throw new InvalidPageException(path, "header says page size " + pageSize
                    + ", expected " + PageLayout.PAGE_SIZE);
        }
        return new EpochPage(segment, path);
    }

    private static void checkSize(MemorySegment segment, Path path) throws InvalidPageException {
        if (segment.byteSize() < PageLayout.PAGE_SIZE) {
            throw new InvalidPageException(path, "is " + segment.byteSize() + " bytes, shorter than one page ("
                    + PageLayout.PAGE_SIZE + "); recreate it with 'simkernel init'");
        }
        if (segment.address() % Integer.BYTES != 0) {
            throw new InvalidPageException(path, "word is not 4-byte aligned in memory");
        }
    }

    /** The page's file, or null for an in-process page. */
    public Path path() {
        return path;
    }

    /** The memory behind this view; a reader's hot path loads from it directly. */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * The word's native address, for readers that load it through one segment spanning
     * all memory ({@link #loadWord(MemorySegment, long)}); the word's place in the page is
     * known only here.
     */
    public long wordAddress() {
        return segment.address() + PageLayout.WORD_OFFSET;
    }

    /** The current word, with acquire semantics: the one load a reader makes before every draw. */
    public int loadWord() {
        return loadWord(segment);
    }

    /**
     * The word of the page mapped at {@code segment} (already verified), with acquire
     * semantics; for readers that keep the segment itself to save an indirection.
     */
    public static int loadWord(MemorySegment segment) {
        return (int) WORD.getAcquire(segment, PageLayout.WORD_OFFSET);
    }

    /**
     * The word at {@code wordOffset} inside {@code memory}, a segment that contains a
     * verified page (acquire semantics); for readers that address the page inside a
     * larger constant segment, which lets the JIT drop per-load checks. With a segment
     * spanning all memory the offset is {@link #wordAddress()}.
     */
    public static int loadWord(MemorySegment memory, long wordOffset) {
        return (int) WORD.getAcquire(memory, wordOffset);
    }

    /**
     * One notification from {@code notifierId}: counter + 1 (mod 2^24) and the ID, by CAS.
     * A failed CAS means another notifier got in first; retrying on the fresh word keeps
     * both notifications, so N calls always advance the counter by exactly N.
     *
     * @return the word this call wrote
     */
    public int notify(int notifierId) {
        if (notifierName(notifierId).isEmpty()) {
            throw new IllegalArgumentException("notifier ID " + notifierId + " is not registered on this page");
        }
        int current = loadWord();
        while (true) {
            int next = EpochWord.next(current, notifierId);
            int witness = (int) WORD.compareAndExchange(segment, PageLayout.WORD_OFFSET, current, next);
            if (witness == current) {
                return next;
            }
            current = witness;
        }
    }

    /**
     * Runs the compare-and-exchange of {@link #notify} once without changing the word (its
     * new value is the value it expects, and it writes nothing if another notifier got in
     * first), so that the JVM has nothing left to link or load when the first real
     * notification comes. For a page owner whose notifications must be prompt after a VM
     * restore, at start. Returns the word.
     */
    public int rehearseNotify() {
        int current = loadWord();
        WORD.compareAndExchange(segment, PageLayout.WORD_OFFSET, current, current);
        return current;
    }

    /**
     * Registers {@code name} and returns its ID: the ID it already has, or the lowest free
     * one. The slot is claimed with a CAS on its first four bytes, so two registrations
     * racing for one slot cannot both win it.
     */
    public int register(String name) {
        byte[] bytes = PageLayout.encodeName(name);
        byte[] padded = new byte[PageLayout.SLOT_SIZE];
        System.arraycopy(bytes, 0, padded, 0, bytes.length);
        int claim = MemorySegment.ofArray(padded).get(PageLayout.INT.withByteAlignment(1), 0);
        for (int id = EpochWord.MIN_NOTIFIER_ID; id <= EpochWord.MAX_NOTIFIER_ID; id++) {
            long offset = PageLayout.slotOffset(id);
            int head = (int) WORD.getAcquire(segment, offset);
            if (head == 0 && WORD.compareAndSet(segment, offset, 0, claim)) {
                MemorySegment.copy(padded, Integer.BYTES, segment, ValueLayout.JAVA_BYTE,
                        offset + Integer.BYTES, PageLayout.SLOT_SIZE - Integer.BYTES);
                VarHandle.releaseFence();
                return id;
            }
            if (name.equals(readSlot(id))) {
                return id;
            }
        }
        throw new IllegalStateException("all 255 notifier IDs on " + where() + " are taken");
    }

    /** The name registered for {@code notifierId}; empty for ID 0 or a free slot. */
    public Optional<String> notifierName(int notifierId) {
        if (notifierId < EpochWord.MIN_NOTIFIER_ID || notifierId > EpochWord.MAX_NOTIFIER_ID) {
            return Optional.empty();
        }
        String name = readSlot(notifierId);
        return name.isEmpty() ? Optional.empty() : Optional.of(name);
    }

    /** The ID registered for {@code name}, if any. */
    public OptionalInt notifierId(String name) {
        for (int id = EpochWord.MIN_NOTIFIER_ID; id <= EpochWord.MAX_NOTIFIER_ID; id++) {
            if (name.equals(readSlot(id))) {
                return OptionalInt.of(id);
            }
        }
        return OptionalInt.empty();
    }

    /** Every registered notifier, by ID. */
    public Map<Integer, String> notifiers() {
        Map<Integer, String> all = new TreeMap<>();
        for (int id = EpochWord.MIN_NOTIFIER_ID; id <= EpochWord.MAX_NOTIFIER_ID; id++) {
            String name = readSlot(id);
            if (!name.isEmpty()) {
                all.put(id, name);
            }
        }
        return all;
    }

    /** {@code 0x02000007 notifier=timer(2) epoch=7}, with the name this page registers ({@link EpochWord#describe}). */
    public String describe(int word) {
        return EpochWord.describe(word, notifierNameOf(word));
    }

    /** The name of the notifier that wrote {@code word}: "none" for ID 0, "unregistered" for a free slot. */
    public String notifierNameOf(int word) {
        int id = EpochWord.notifierId(word);
        return id == 0 ? "none" : notifierName(id).orElse("unregistered");
    }

    private String readSlot(int notifierId) {
        long offset = PageLayout.slotOffset(notifierId);
        byte[] raw = segment.asSlice(offset, PageLayout.SLOT_SIZE).toArray(ValueLayout.JAVA_BYTE);
        int length = 0;
        while (length < raw.length && raw[length] != 0) {
            length++;
        }
        return new String(raw, 0, length, StandardCharsets.US_ASCII);
    }

    private String where() {
        return path == null ? "the in-process page" : path.toString();
    }
}
