package dev.reseeddrbg.simkernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.IntConsumer;

/**
 * Fires {@code vm-snapshot} when the hypervisor's VMClock page says the VM was restored:
 * its {@code vm_generation_counter} (offset 104, little-endian, valid when flag bit 8 is
 * set) changes to another value. The fields are read under the page's seqcount (an odd
 * or changed {@code seq_count} means the hypervisor was writing; read again).
 *
 * <p>The kernel learns of a restore first; this polls, so a reader can draw for up to
 * one poll period after a restore before it reseeds (docs/threat-model.md).
 */
public final class VmClockNotifier implements AutoCloseable {
    static final int MAGIC = 0x4b4c4356; // "VCLK"
    static final long SEQ_COUNT = 12;
    static final long FLAGS = 24;
    static final long VM_GENERATION_COUNTER = 104;
    static final long FLAG_VM_GEN_COUNTER_PRESENT = 1L << 8;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle SEQ = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final Arena arena;
    private final Thread thread;

    private VmClockNotifier(Arena arena, Thread thread) {
        this.arena = arena;
        this.thread = thread;
    }

    /** Maps {@code device} read-only and polls it every {@code period}. */
    public static VmClockNotifier start(Path device, Notifier vmSnapshot, Duration period, IntConsumer onFire)
            throws IOException {
        Arena arena = Arena.ofShared();
        MemorySegment page;
        try (FileChannel channel = FileChannel.open(device, StandardOpenOption.READ)) {
            page = channel.map(FileChannel.MapMode.READ_ONLY, 0, 4096, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw new IOException("cannot map VMClock page " + device + ": " + e.getMessage(), e);
        }
        if (page.get(LE_INT, 0) != MAGIC) {
            arena.close();
            throw new IOException(device + " is not a VMClock page (bad magic)");
        }
        if ((readConsistent(page, FLAGS) & FLAG_VM_GEN_COUNTER_PRESENT) == 0) {
            arena.close();
            throw new IOException(device + " has no vm_generation_counter (flag bit 8 clear)");
        }
        MemorySegment mapped = page;
        Thread thread = Thread.ofPlatform().daemon().name("simkernel-vmclock").start(() -> {
            long generation = readConsistent(mapped, VM_GENERATION_COUNTER);
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(period);
                } catch (InterruptedException e) {
                    return;
                }
                long now = readConsistent(mapped, VM_GENERATION_COUNTER);
                if (now != generation) {
                    generation = now;
                    onFire.accept(vmSnapshot.fire());
                }
            }
        });
        return new VmClockNotifier(arena, thread);
    }

    /** Reads one 64-bit field under the seqcount protocol. */
    static long readConsistent(MemorySegment page, long offset) {
        while (true) {
            int before = (int) SEQ.getAcquire(page, SEQ_COUNT);
            long value = page.get(LE_LONG, offset);
            java.lang.invoke.VarHandle.acquireFence();
            int after = page.get(LE_INT, SEQ_COUNT);
            if ((before & 1) == 0 && before == after) {
                return value;
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() throws InterruptedException {
        thread.interrupt();
        thread.join();
        arena.close();
    }
}
