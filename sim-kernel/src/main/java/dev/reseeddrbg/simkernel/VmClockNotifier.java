package dev.reseeddrbg.simkernel;

import dev.reseeddrbg.page.VmClockLayout;
import dev.reseeddrbg.page.VmClockLayout.RestoreCounter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Fires {@code vm-snapshot} when the hypervisor's VMClock page says the VM was restored
 * from a snapshot: the page's restore counter changed.
 *
 * <p>The page's layout, and which counter announces restores, are
 * {@link VmClockLayout}'s: {@code vm_generation_counter} where the hypervisor sets
 * {@code VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT} (flag bit 8; Firecracker), else
 * {@code disruption_marker} (QEMU 10 sets no flags and bumps the marker in the device's
 * post_load, before the restored guest runs). The marker also moves on a live migration,
 * which costs one needless reseed; a page with the generation counter is not fired by a
 * migration. The counter is chosen once, from the page's flags at start, and named in
 * {@link #watching} and in every notification line.
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
    /** Same bound as AWS-LC's VMClock reader in crypto/ube: a seqcount that does not settle in 1024 reads is a broken page. */
    static final int MAX_READ_ATTEMPTS = 1024;
    /** Longest sleep in poll(), so that close() is noticed. */
    static final int POLL_MILLIS = 250;
    /** Least time between two reads: a device that reports POLLIN forever must not pin a CPU. */
    static final long MIN_READ_INTERVAL_MILLIS = 1;

    private final Path device;
    private final int fd;
    private final RestoreCounter counter;
    private final boolean notifications;
    private final Duration period;
    private final Notifier vmSnapshot;
    private final KernelReseed kernelReseed;
    private final Consumer<String> log;
    private final Thread thread;
    private volatile boolean closed;

    private VmClockNotifier(Path device, int fd, RestoreCounter counter, boolean notifications, Duration period,
                            Notifier vmSnapshot, KernelReseed kernelReseed, Consumer<String> log, long initial) {
        this.device = device;
        this.fd = fd;
        this.counter = counter;
        this.notifications = notifications;
        this.period = period;
        this.vmSnapshot = vmSnapshot;
        this.kernelReseed = kernelReseed;
        this.log = log;
        this.thread = Thread.ofPlatform().daemon().name("simkernel-vmclock").unstarted(() -> watch(initial));
    }

    /**
     * Opens {@code device}, checks the page, and starts watching it: with {@code poll()}
     * where the device notifies, else every {@code period}. Throws with the reason when
     * the page cannot be used.
     */
    public static VmClockNotifier start(Path device, Notifier vmSnapshot, Duration period, KernelReseed kernelReseed,
                                        Consumer<String> log) throws IOException {
        int fd = open(device);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(VmClockLayout.ABI_SIZE);
            RestoreCounter counter = readHeader(fd, page, Libc.callState(arena), device);
            long flags = page.get(VmClockLayout.LE_LONG, VmClockLayout.FLAGS_OFFSET);
            VmClockNotifier notifier = new VmClockNotifier(device, fd, counter,
                    (flags & VmClockLayout.FLAG_NOTIFICATION_PRESENT) != 0, period, vmSnapshot, kernelReseed, log,
                    page.get(VmClockLayout.LE_LONG, counter.offset()));
            notifier.thread.start();
            return notifier;
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * The counter a notifier on {@code device} would watch, read from the page's header;
     * throws with the reason when the page cannot be used (for {@code simkernel status}).
     */
    public static RestoreCounter restoreCounter(Path device) throws IOException {
        int fd = open(device);
        try (Arena arena = Arena.ofConfined()) {
            return readHeader(fd, arena.allocate(VmClockLayout.ABI_SIZE), Libc.callState(arena), device);
        } finally {
            Libc.close(fd);
        }
    }

    private static int open(Path device) throws IOException {
        if (!Libc.available()) {
            throw new IOException(device + " cannot be read: native access is not enabled");
        }
        try {
            return Libc.open(device, Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (Libc.ErrnoException e) {
            throw new IOException("cannot open VMClock page " + device + ": " + Libc.describe(e.errno()), e);
        }
    }

    /** Reads a settled copy of the page into {@code page} and checks its header; the counter to watch. */
    private static RestoreCounter readHeader(int fd, MemorySegment page, MemorySegment state, Path device)
            throws IOException {
        if (!readConsistent(fd, page, state, device)) {
            throw new IOException(device + ": seq_count did not settle in " + MAX_READ_ATTEMPTS
                    + " reads; the VMClock page is not usable");
        }
        try {
            return VmClockLayout.restoreCounter(page, device.toString());
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Which field of {@code device} a notifier watches and what moves it, for status and log lines. */
    public static String watching(Path device, RestoreCounter counter) {
        return device + ", watching " + counter.field() + switch (counter) {
            case VM_GENERATION_COUNTER -> ": flag bit 8 set, as on Firecracker; it moves on every restore from a snapshot";
            case DISRUPTION_MARKER -> ": flag bit 8 clear, as on QEMU; it moves on restore and on live migration";
        };
    }

    /** {@link #watching(Path, RestoreCounter)} for this notifier. */
    public String watching() {
        return watching(device, counter);
    }

    /** The counter this notifier watches. */
    public RestoreCounter counter() {
        return counter;
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
                if (n < VmClockLayout.ABI_SIZE) {
                    throw new IOException(device + " gave " + n + " bytes; a VMClock page has at least "
                            + VmClockLayout.ABI_SIZE);
                }
            } catch (Libc.ErrnoException e) {
                if (e.errno() == Libc.ETIMEDOUT || e.errno() == Libc.EINTR) {
                    continue; // the driver's own seqcount loop gave up after 100 ms: the hypervisor is mid-update
                }
                throw e;
            }
            if ((page.get(VmClockLayout.LE_INT, VmClockLayout.SEQ_COUNT_OFFSET) & 1) == 0) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    private void watch(long initial) {
        long value = initial;
        boolean polling = notifications;
        boolean unsettledReported = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(VmClockLayout.ABI_SIZE);
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
                    long now = page.get(VmClockLayout.LE_LONG, counter.offset());
                    if (now != value) {
                        value = now;
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
    private void fire(MemorySegment page, long value) {
        int size = VmClockLayout.ABI_SIZE;
        byte[] peculiar = new byte[size + 16];
        MemorySegment.copy(page, ValueLayout.JAVA_BYTE, 0, peculiar, 0, size);
        MemorySegment tail = MemorySegment.ofArray(peculiar).asSlice(size);
        tail.set(VmClockLayout.LE_LONG, 0, System.nanoTime());
        tail.set(VmClockLayout.LE_LONG, 8, System.currentTimeMillis());
        Optional<String> reseedFailed = kernelReseed.reseed(peculiar);
        int word = vmSnapshot.fire();
        log.accept(String.format("notify %s (VMClock %s is now %d%s)",
                vmSnapshot.page().describe(word), counter.field(), value,
                reseedFailed.map(why -> "; the kernel RNG was NOT forced to reseed first: " + why)
                        .orElse("; kernel RNG reseeded first")));
    }

    @Override
    public String describe() {
        return "on " + watching() + (notifications ? "; waiting in poll()" : "; read by polling");
    }

    @Override
    public void close() {
        closed = true;
        NotifierThread.stop(thread);
        Libc.close(fd);
    }
}
