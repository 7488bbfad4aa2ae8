package dev.reseeddrbg.page;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The hypervisor's VMClock page, as far as a generator needs it: where its restore
 * counters live and how to tell a usable page. The one place in the project that knows
 * this layout; the daemon's notifier and the provider both read it from here.
 *
 * <p>The layout is the kernel's {@code include/uapi/linux/vmclock-abi.h} (the published
 * v1.0 specification's offsets are wrong), version 1, little-endian:
 * <pre>
 * offset  size  field
 * 0       4     magic 0x4b4c4356 ("VCLK")
 * 4       4     size of the structure the hypervisor exposes
 * 8       2     version = 1
 * 12      4     seq_count (odd while the hypervisor updates the clock fields)
 * 16      8     disruption_marker: changes on every load, restore or live migration
 * 24      8     flags; bit 8 VM_GEN_COUNTER_PRESENT, bit 9 NOTIFICATION_PRESENT (Linux 7.0+)
 * 104     8     vm_generation_counter: changes on every restore from a snapshot (bit 8 set)
 * </pre>
 *
 * <p>Which counter a generator watches ({@link #restoreCounterOffset}): the generation
 * counter where the hypervisor offers it (Firecracker 1.15+), else the disruption marker
 * (QEMU 10+ bumps it in the device's post_load, before the restored guest runs). The
 * marker also moves on a live migration, which costs a watcher one needless reseed.
 * Both counters are written by the hypervisor while the guest is stopped, so a reader
 * needs no seqcount loop for them: one aligned load sees the old value or the new one.
 */
public final class VmClockLayout {
    public static final int MAGIC = 0x4b4c4356;
    public static final long MAGIC_OFFSET = 0;
    public static final long SIZE_OFFSET = 4;
    public static final long VERSION_OFFSET = 8;
    public static final long SEQ_COUNT_OFFSET = 12;
    public static final long DISRUPTION_MARKER_OFFSET = 16;
    public static final long FLAGS_OFFSET = 24;
    public static final long VM_GENERATION_COUNTER_OFFSET = 104;
    /** The structure up to and including vm_generation_counter. */
    public static final int ABI_SIZE = 112;
    public static final int VERSION = 1;
    public static final long FLAG_VM_GEN_COUNTER_PRESENT = 1L << 8;
    public static final long FLAG_NOTIFICATION_PRESENT = 1L << 9;

    public static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The counter a generator watches, and its name for logs and status lines. */
    public enum RestoreCounter {
        VM_GENERATION_COUNTER("vm_generation_counter", VM_GENERATION_COUNTER_OFFSET),
        DISRUPTION_MARKER("disruption_marker", DISRUPTION_MARKER_OFFSET);

        private final String field;
        private final long offset;

        RestoreCounter(String field, long offset) {
            this.field = field;
            this.offset = offset;
        }

        /** The field's name in vmclock-abi.h. */
        public String field() {
            return field;
        }

        /** The field's offset in the page. */
        public long offset() {
            return offset;
        }
    }

    private VmClockLayout() {
    }

    /**
     * Checks the header of a VMClock page (or a copy of its first {@link #ABI_SIZE} bytes)
     * and says which counter announces restores.
     *
     * @return the counter to watch
     * @throws IllegalArgumentException with the reason, naming {@code source}, when the
     *         header is not a version 1 VMClock page of at least {@link #ABI_SIZE} bytes
     */
    public static RestoreCounter restoreCounter(MemorySegment header, String source) {
        if (header.byteSize() < ABI_SIZE) {
            throw new IllegalArgumentException(source + " gave " + header.byteSize() + " bytes; a VMClock page has at least "
                    + ABI_SIZE);
        }
        if (header.get(LE_INT, MAGIC_OFFSET) != MAGIC) {
            throw new IllegalArgumentException(source + " is not a VMClock page (magic "
                    + String.format("0x%08x", header.get(LE_INT, MAGIC_OFFSET)) + ", expected 0x4b4c4356)");
        }
        int version = Short.toUnsignedInt(header.get(LE_SHORT, VERSION_OFFSET));
        long size = Integer.toUnsignedLong(header.get(LE_INT, SIZE_OFFSET));
        if (version != VERSION || size < ABI_SIZE) {
            throw new IllegalArgumentException(source + " has VMClock version " + version + " and size " + size
                    + "; version " + VERSION + " of at least " + ABI_SIZE + " bytes is needed");
        }
        return restoreCounterOf(header.get(LE_LONG, FLAGS_OFFSET));
    }

    /** The counter that announces restores on a page with these flags. */
    public static RestoreCounter restoreCounterOf(long flags) {
        return (flags & FLAG_VM_GEN_COUNTER_PRESENT) != 0 ? RestoreCounter.VM_GENERATION_COUNTER
                : RestoreCounter.DISRUPTION_MARKER;
    }
}
