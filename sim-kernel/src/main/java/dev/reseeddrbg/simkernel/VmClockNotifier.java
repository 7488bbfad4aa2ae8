package dev.reseeddrbg.simkernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Fires {@code vm-snapshot} when the hypervisor's VMClock page says the VM was restored
 * from a snapshot: its {@code vm_generation_counter} changed.
 *
 * <p>The page layout is the kernel's {@code include/uapi/linux/vmclock-abi.h} (version 1,
 * little-endian): {@code magic} at 0, {@code size} at 4, {@code version} at 8,
 * {@code seq_count} at 12, {@code flags} at 24, {@code vm_generation_counter} at 104,
 * valid when {@code VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT} (bit 8) is set.
 *
 * <p>How a change is learnt: the page is read with {@code pread(2)} on
 * {@code /dev/vmclock0}, whose driver copies it under the seqcount and fails with
 * ETIMEDOUT after 100 ms of an unsettled count. Where the device sets
 * {@code VMCLOCK_FLAG_NOTIFICATION_PRESENT} (bit 9; Linux 7.0 driver), the hypervisor
 * notifies every new even {@code seq_count} and {@code poll(2)} reports POLLIN until the
 * page is read again; the notifier then sleeps in {@code poll()}. Otherwise it reads the
 * page every {@code period}.
 *
 * <p><b>Ordering rule</b> (docs/threat-model.md): the page is bumped only after the
 * kernel's RNG has diverged between clones, since readers reseed from
 * {@code getrandom(2)}. Unlike vmgenid, a VMClock change does not reseed the kernel,
 * so before bumping this writes the VMClock page and the clocks into
 * {@code /dev/urandom} (mixed into the input pool, not credited) and forces a reseed
 * with {@code ioctl(RNDRESEEDCRNG)} (needs CAP_SYS_ADMIN). If that ioctl fails it says
 * so in the log line of the notification, and bumps anyway: the readers' state is the
 * same in every clone either way, and the bump still drops their buffered output.
 *
 * <p>Bounds: a page copy whose {@code seq_count} is odd (a hypervisor mid-update; only
 * possible on a device file that does not do the seqcount itself) is read again at
 * most {@link #MAX_READ_ATTEMPTS} times, then the round is skipped and logged, and the
 * notifier tries again next round; it never spins without end.
 */
public final class VmClockNotifier implements NotifierThread {
    public static final Path DEFAULT_DEVICE = Path.of("/dev/vmclock0");
    static final int MAGIC = 0x4b4c4356; // "VCLK"
    static final long SIZE = 4;
    static final long VERSION = 8;
    static final long SEQ_COUNT = 12;
    static final long FLAGS = 24;
    static final long VM_GENERATION_COUNTER = 104;
    /** The ABI up to and including vm_generation_counter. */
    static final int ABI_SIZE = 112;
    static final long FLAG_VM_GEN_COUNTER_PRESENT = 1L << 8;
    static final long FLAG_NOTIFICATION_PRESENT = 1L << 9;
    /** Same bound as AWS-LC's VMClock reader in crypto/ube: a seqcount that does not settle in 1024 reads is a broken page. */
    static final int MAX_READ_ATTEMPTS = 1024;
    /** Longest sleep in poll(), so that close() is noticed. */
    static final int POLL_MILLIS = 250;
    /** Least time between two reads: a device that reports POLLIN forever must not pin a CPU. */
    static final long MIN_READ_INTERVAL_MILLIS = 1;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Forces the kernel's CRNG to reseed; the seam tests replace, since the real one needs root. */
    @FunctionalInterface
    public interface KernelReseed {
        /** Mixes {@code clonePeculiar} into the input pool and reseeds the CRNG; empty on success, else why not. */
        Optional<String> reseed(byte[] clonePeculiar);
    }

    private final Path device;
    private final int fd;
    private final boolean notifications;
    private final Duration period;
    private final Notifier vmSnapshot;
    private final KernelReseed kernelReseed;
    private final Consumer<String> log;
    private final Thread thread;
    private volatile boolean closed;

    private VmClockNotifier(Path device, int fd, boolean notifications, Duration period, Notifier vmSnapshot,
                            KernelReseed kernelReseed, Consumer<String> log, long generation) {
        this.device = device;
        this.fd = fd;
        this.notifications = notifications;
        this.period = period;
        this.vmSnapshot = vmSnapshot;
        this.kernelReseed = kernelReseed;
        this.log = log;
        this.thread = Thread.ofPlatform().daemon().name("simkernel-vmclock").unstarted(() -> watch(generation));
    }

    /**
     * Opens {@code device}, checks the page, and starts watching it: with {@code poll()}
     * where the device notifies, else every {@code period}. Throws with the reason when
     * the page cannot be used.
     */
    public static VmClockNotifier start(Path device, Notifier vmSnapshot, Duration period, KernelReseed kernelReseed,
                                        Consumer<String> log) throws IOException {
        if (!Libc.available()) {
            throw new IOException(device + " cannot be watched: native access is not enabled");
        }
        int fd;
        try {
            fd = Libc.open(device, Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (Libc.ErrnoException e) {
            throw new IOException("cannot open VMClock page " + device + ": " + Libc.describe(e.errno()), e);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(ABI_SIZE);
            MemorySegment state = Libc.callState(arena);
            if (!readConsistent(fd, page, state, device)) {
                throw new IOException(device + ": seq_count did not settle in " + MAX_READ_ATTEMPTS
                        + " reads; the VMClock page is not usable");
            }
            if (page.get(LE_INT, 0) != MAGIC) {
                throw new IOException(device + " is not a VMClock page (bad magic)");
            }
            if (page.get(LE_SHORT, VERSION) != 1 || Integer.toUnsignedLong(page.get(LE_INT, SIZE)) < ABI_SIZE) {
                throw new IOException(device + " has VMClock version " + page.get(LE_SHORT, VERSION) + " and size "
                        + Integer.toUnsignedLong(page.get(LE_INT, SIZE)) + "; version 1 of at least " + ABI_SIZE
                        + " bytes is needed for vm_generation_counter");
            }
            long flags = page.get(LE_LONG, FLAGS);
            if ((flags & FLAG_VM_GEN_COUNTER_PRESENT) == 0) {
                throw new IOException(device + " has no vm_generation_counter (flag bit 8 clear); this hypervisor "
                        + "does not announce snapshot restores through VMClock");
            }
            VmClockNotifier notifier = new VmClockNotifier(device, fd, (flags & FLAG_NOTIFICATION_PRESENT) != 0,
                    period, vmSnapshot, kernelReseed, log, page.get(LE_LONG, VM_GENERATION_COUNTER));
            notifier.thread.start();
            return notifier;
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** Whether the device notifies, so that the notifier sleeps in {@code poll()}. */
    public boolean usesPoll() {
        return notifications;
    }

    /**
     * Reads the page's ABI into {@code page} until a copy has an even {@code seq_count},
     * at most {@link #MAX_READ_ATTEMPTS} times; false at the bound.
     */
    static boolean readConsistent(int fd, MemorySegment page, MemorySegment state, Path device) throws IOException {
        for (int attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
            try {
                long n = Libc.pread(fd, page, 0, state, device.toString());
                if (n < ABI_SIZE) {
                    throw new IOException(device + " gave " + n + " bytes; a VMClock page has at least " + ABI_SIZE);
                }
            } catch (Libc.ErrnoException e) {
                if (e.errno() == Libc.ETIMEDOUT || e.errno() == Libc.EINTR) {
                    continue; // the driver's own seqcount loop gave up after 100 ms: the hypervisor is mid-update
                }
                throw e;
            }
            if ((page.get(LE_INT, SEQ_COUNT) & 1) == 0) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    private void watch(long initialGeneration) {
        long generation = initialGeneration;
        boolean polling = notifications;
        boolean unsettledReported = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(ABI_SIZE);
            MemorySegment state = Libc.callState(arena);
            while (!closed) {
                try {
                    if (polling) {
                        short events = Libc.poll(fd, Libc.POLLIN, POLL_MILLIS, arena, state, device.toString());
                        if ((events & Libc.POLLHUP) != 0) {
                            polling = false; // the device stopped notifying: read every period instead
                            log.accept("vmclock " + device + " stopped notifying (POLLHUP); reading it every "
                                    + period.toMillis() + " ms");
                            continue;
                        }
                        if (events == 0) {
                            continue;
                        }
                        Thread.sleep(MIN_READ_INTERVAL_MILLIS);
                    } else {
                        Thread.sleep(period);
                    }
                    if (!readConsistent(fd, page, state, device)) {
                        if (!unsettledReported) {
                            log.accept("vmclock " + device + ": seq_count stayed odd over " + MAX_READ_ATTEMPTS
                                    + " reads; restores cannot be seen through VMClock until it settles");
                            unsettledReported = true;
                        }
                        continue;
                    }
                    unsettledReported = false;
                    long now = page.get(LE_LONG, VM_GENERATION_COUNTER);
                    if (now != generation) {
                        generation = now;
                        fire(page, now);
                    }
                } catch (IOException e) {
                    log.accept("vmclock " + device + " failed (" + e.getMessage() + "); retrying every "
                            + period.toMillis() + " ms");
                    try {
                        Thread.sleep(Math.max(period.toMillis(), 1000));
                    } catch (InterruptedException stop) {
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** The ordering rule: the kernel's RNG is made to diverge first, then the page is bumped. */
    private void fire(MemorySegment page, long generation) {
        byte[] peculiar = new byte[ABI_SIZE + 16];
        MemorySegment.copy(page, ValueLayout.JAVA_BYTE, 0, peculiar, 0, ABI_SIZE);
        MemorySegment tail = MemorySegment.ofArray(peculiar).asSlice(ABI_SIZE);
        tail.set(LE_LONG, 0, System.nanoTime());
        tail.set(LE_LONG, 8, System.currentTimeMillis());
        Optional<String> reseedFailed = kernelReseed.reseed(peculiar);
        int word = vmSnapshot.fire();
        log.accept(String.format("notify %s (VMClock vm_generation_counter is now %d%s)",
                vmSnapshot.page().describe(word), generation,
                reseedFailed.map(why -> "; the kernel RNG was NOT forced to reseed first: " + why)
                        .orElse("; kernel RNG reseeded first")));
    }

    /** The real kernel reseed: write to {@code /dev/urandom}, then {@code ioctl(RNDRESEEDCRNG)} on it. */
    public static Optional<String> reseedKernel(byte[] clonePeculiar) {
        Path urandom = Path.of("/dev/urandom");
        int fd = -1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            fd = Libc.open(urandom, Libc.O_WRONLY | Libc.O_CLOEXEC);
            Libc.writeFully(fd, arena.allocateFrom(ValueLayout.JAVA_BYTE, clonePeculiar), state, urandom.toString());
            Libc.ioctl(fd, Libc.RNDRESEEDCRNG, state, "/dev/urandom RNDRESEEDCRNG");
            return Optional.empty();
        } catch (Libc.ErrnoException e) {
            return Optional.of(e.getMessage() + (e.errno() == Libc.EPERM ? " (needs CAP_SYS_ADMIN: run the daemon "
                    + "as root, as the systemd unit does)" : ""));
        } catch (IOException | IllegalStateException e) {
            return Optional.of(e.getMessage());
        } finally {
            Libc.close(fd);
        }
    }

    @Override
    public void close() {
        closed = true;
        NotifierThread.stop(thread);
        Libc.close(fd);
    }
}
