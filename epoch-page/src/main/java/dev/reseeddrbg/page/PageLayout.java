package dev.reseeddrbg.page;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Where everything lives in the epoch page, ABI version 1. docs/epoch-page.md has the
 * same table for readers in other languages; change both together or neither.
 *
 * <pre>
 * offset  size  field
 * 0x000   4     word: notifier ID (31..24) | epoch (23..0), native byte order
 * 0x004   4     magic 0x47504452, native order ("RDPG" on little-endian machines)
 * 0x008   2     format version = 1
 * 0x00A   2     reserved, 0
 * 0x00C   4     page size = 4096
 * 0x010   4080  notifier registry: 255 slots of 16 bytes, slot of ID i at 0x010 + (i-1)*16,
 *               an ASCII name NUL-padded to 16 bytes; all zero = ID free
 * </pre>
 *
 * The word sits alone at offset 0 so that it is naturally aligned in any mapping and a
 * reader's hot path is one load at the mapping's base address.
 */
public final class PageLayout {
    /** The page is exactly one 4 KiB page, the unit the kernel would map. */
    public static final int PAGE_SIZE = 4096;
    public static final int FORMAT_VERSION = 1;
    public static final int MAGIC = 0x47504452;

    public static final long WORD_OFFSET = 0x000;
    public static final long MAGIC_OFFSET = 0x004;
    public static final long VERSION_OFFSET = 0x008;
    public static final long RESERVED_OFFSET = 0x00A;
    public static final long PAGE_SIZE_OFFSET = 0x00C;
    public static final long REGISTRY_OFFSET = 0x010;
    public static final int SLOT_SIZE = 16;
    /** Names are at most 15 bytes so that every stored name is NUL-terminated. */
    public static final int MAX_NAME_LENGTH = SLOT_SIZE - 1;

    /** All multi-byte fields are in the machine's native order, as a kernel would write them. */
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT;

    private PageLayout() {
    }

    /** Offset of the registry slot for {@code notifierId} (1..255). */
    public static long slotOffset(int notifierId) {
        if (notifierId < EpochWord.MIN_NOTIFIER_ID || notifierId > EpochWord.MAX_NOTIFIER_ID) {
            throw new IllegalArgumentException("notifier ID " + notifierId + " is outside 1..255");
        }
        return REGISTRY_OFFSET + (long) (notifierId - 1) * SLOT_SIZE;
    }

    /**
     * Checks a notifier name: 1 to 15 characters of lower-case ASCII letters, digits and
     * '-', starting with a letter, so that names print cleanly in logs and CLIs.
     */
    public static byte[] encodeName(String name) {
        if (name == null || !name.matches("[a-z][a-z0-9-]{0," + (MAX_NAME_LENGTH - 1) + "}")) {
            throw new IllegalArgumentException("notifier name '" + name
                    + "' is not 1 to 15 characters of [a-z0-9-] starting with a letter");
        }
        return name.getBytes(StandardCharsets.US_ASCII);
    }
}
