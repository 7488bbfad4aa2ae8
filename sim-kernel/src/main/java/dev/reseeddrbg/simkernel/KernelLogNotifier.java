package dev.reseeddrbg.simkernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Fires {@code vm-snapshot} when the kernel logs that it reseeded its RNG because the VM
 * was restored from a snapshot: the vmgenid driver's record
 * {@value #VM_FORK_MESSAGE}, read from {@code /dev/kmsg}.
 *
 * <p>This is the one VM-restore signal a stock Linux guest (5.18 and later, with a
 * vmgenid device: QEMU, Firecracker, Hyper-V) gives user space today (docs/vm-generation.md).
 * {@code drivers/char/random.c}'s {@code add_vmfork_randomness} mixes the new generation
 * ID into the input pool, reseeds the CRNG, and only then prints the record.
 *
 * <p><b>Ordering rule</b> (docs/threat-model.md): the page may be bumped only once the
 * kernel's RNG differs between clones, because every reader reseeds from
 * {@code getrandom(2)}; bumping earlier would reseed every clone with the same kernel
 * output. This record is printed after the kernel's reseed, so firing on it keeps the
 * rule by construction.
 *
 * <p>What counts:
 * <ul>
 * <li>Only records of facility 0 (kernel). {@code devkmsg_write} gives every record user
 *     space writes to {@code /dev/kmsg} facility 1 (user) when it asks for 0, so nobody
 *     can forge the record.</li>
 * <li>Only records logged after the notifier starts: it seeks to the end of the buffer
 *     first ({@code SEEK_END}), so a record of an earlier restore never fires again.</li>
 * <li>Records overwritten before they were read ({@code EPIPE}), or lost while the
 *     device was gone, may have included the record: the notifier then fires once,
 *     conservatively. A spurious reseed costs one {@code getrandom(2)} call per state; a
 *     missed one leaves clones identical.</li>
 * <li>A restarted daemon reads on from its {@link KernelLogCursor}, which it trusts only
 *     while the log agrees: a cursor ahead of the newest record the kernel holds for this
 *     boot (damaged, or written by something else) says nothing about what an earlier run
 *     read. At the end of the first read of the log such a cursor is distrusted, the reason
 *     logged once, and the notifier fires once, conservatively, then reads on after the
 *     newest record and rewrites the cursor. Firing once covers every VM-fork record an
 *     earlier run may have missed, still in the log or already overwritten, which a
 *     replay of the log would not; it costs one reseed per daemon start with such a
 *     cursor.</li>
 * </ul>
 *
 * <p>Failure policy: not being allowed to open {@code /dev/kmsg} (CAP_SYSLOG is needed
 * while {@code kernel.dmesg_restrict=1}) fails {@link #start} with a message saying so;
 * the daemon reports it once and runs its other notifiers. A device that vanishes or
 * fails later is reopened every {@link #REOPEN_INTERVAL_MILLIS} ms, logged once per
 * outage, and the reopen fires once (records may have been lost meanwhile).
 */
public final class KernelLogNotifier implements NotifierThread {
    /** The record {@code add_vmfork_randomness} prints, with random.c's {@code pr_fmt} prefix. */
    public static final String VM_FORK_MESSAGE = "random: crng reseeded due to virtual machine fork";
    public static final Path DEFAULT_DEVICE = Path.of("/dev/kmsg");
    /** The kernel's limit on one record read (printk's CONSOLE_EXT_LOG_MAX is 8 KiB). */
    static final int RECORD_BUFFER = 8192;
    static final int POLL_MILLIS = 250;
    static final long REOPEN_INTERVAL_MILLIS = 1000;

    /** One {@code /dev/kmsg} record: "prio,seq,ts_usec,flags[,...];message". */
    public record Record(int facility, int level, long sequence, long timestampMicros, String message) {

        /** Parses one record as read; empty if it is not in the documented format. */
        public static Optional<Record> parse(String raw) {
            int semicolon = raw.indexOf(';');
            if (semicolon < 0) {
                return Optional.empty();
            }
            String[] fields = raw.substring(0, semicolon).split(",", -1);
            if (fields.length < 4) {
                return Optional.empty();
            }
            try {
                int prio = Integer.parseInt(fields[0]);
                long seq = Long.parseLong(fields[1]);
                long ts = Long.parseLong(fields[2]);
                // The message ends at the first newline; dictionary lines (" KEY=value") follow it.
                String rest = raw.substring(semicolon + 1);
                int newline = rest.indexOf('\n');
                String message = newline < 0 ? rest : rest.substring(0, newline);
                return prio < 0 ? Optional.empty() : Optional.of(new Record(prio >> 3, prio & 7, seq, ts, message));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        /** Whether this is the kernel's own VM-fork record (facility 0, the exact text). */
        public boolean announcesVmFork() {
            return facility == 0 && message.equals(VM_FORK_MESSAGE);
        }
    }

    private final Path device;
    private final Notifier vmSnapshot;
    private final Consumer<String> log;
    /** Test seam: sees every record parsed, so a test knows the notifier has read past a record it wrote. */
    private final Consumer<Record> testSeamRecordSeen;
    private final Thread thread;
    private volatile boolean closed;
    /** Where the sequence number of the last record read is kept for a restarted daemon; null for none. */
    private final KernelLogCursor cursor;
    /*
     * The fields below are the watching thread's alone (start sets resumeAfter before the
     * thread starts). resumeAfter: records up to it were read by an earlier run of this
     * boot, -1 when starting at the end; lowered once if the log shows the cursor was
     * ahead. lastSeen: the last record handled past resumeAfter. newestRead: the highest
     * sequence number read, skipped records included. cursorChecked: whether the cursor
     * has been checked against the log.
     */
    private long resumeAfter;
    private long lastSeen = -1;
    private long newestRead = -1;
    private boolean cursorChecked;

    private KernelLogNotifier(Path device, Notifier vmSnapshot, Consumer<String> log, Consumer<Record> recordSeen,
                              int fd, KernelLogCursor cursor, long resumeAfter) {
        this.device = device;
        this.vmSnapshot = vmSnapshot;
        this.log = log;
        this.testSeamRecordSeen = recordSeen;
        this.cursor = cursor;
        this.resumeAfter = resumeAfter;
        this.cursorChecked = resumeAfter < 0;
        this.thread = Thread.ofPlatform().daemon().name("simkernel-kmsg").unstarted(() -> watch(fd));
    }

    /**
     * Opens {@code device}, skips the records already in it, and starts watching. Throws
     * with the reason (and what to do) when the log cannot be read.
     */
    public static KernelLogNotifier start(Path device, Notifier vmSnapshot, Consumer<String> log) throws IOException {
        return start(device, vmSnapshot, log, null, record -> { });
    }

    /**
     * As {@link #start(Path, Notifier, Consumer)}, keeping in {@code cursor} the sequence
     * number of the last record read: a daemon restarted in the same boot (after a crash, by
     * its service manager) reads on from there instead of from the end, so a VM-fork record
     * logged while it was down still fires, and one read before does not fire again. The
     * first start of a boot (no cursor, or one from another boot) starts at the end.
     */
    public static KernelLogNotifier start(Path device, Notifier vmSnapshot, Consumer<String> log, Path cursor)
            throws IOException {
        return start(device, vmSnapshot, log, cursor, record -> { });
    }

    /** {@link #start}, with the test seam that sees every record read. */
    static KernelLogNotifier start(Path device, Notifier vmSnapshot, Consumer<String> log,
                                   Consumer<Record> testSeamRecordSeen) throws IOException {
        return start(device, vmSnapshot, log, null, testSeamRecordSeen);
    }

    /** {@link #start(Path, Notifier, Consumer, Path)}, with the test seam that sees every record read. */
    static KernelLogNotifier start(Path device, Notifier vmSnapshot, Consumer<String> log, Path cursor,
                                   Consumer<Record> testSeamRecordSeen) throws IOException {
        KernelLogCursor kept = cursor == null ? null : new KernelLogCursor(cursor, log);
        long resumeAfter = kept == null ? -1 : kept.read();
        int fd = resumeAfter >= 0 ? openAtOldest(device) : openAtEnd(device);
        if (resumeAfter >= 0) {
            log.accept("kernel log: reading on after record " + resumeAfter + ", the last one an earlier run of "
                    + "this daemon read in this boot");
        }
        KernelLogNotifier notifier = new KernelLogNotifier(device, vmSnapshot, log, testSeamRecordSeen, fd, kept,
                resumeAfter);
        // The path from a VM-fork record to the bump runs once at start, on a made-up record
        // and without changing the word: its first run after a restore, when the clones are
        // drawing alike, then loads, links and interprets nothing for the first time.
        notifier.handle(REHEARSAL_RECORD, true);
        notifier.thread.start();
        return notifier;
    }

    /** The cursor file the daemon keeps beside {@code page}: {@code PATH.kmsg-cursor}, the boot's ID and a sequence number. */
    public static Path cursorFor(Path page) {
        return KernelLogCursor.besidePage(page);
    }

    /** Whether this process may read {@code device}: empty if so, else why not. */
    public static Optional<String> unreadableBecause(Path device) {
        try {
            Libc.close(openAtEnd(device));
            return Optional.empty();
        } catch (IOException | IllegalStateException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static int openAtEnd(Path device) throws IOException {
        int fd = openAtOldest(device);
        try (Arena arena = Arena.ofConfined()) {
            Libc.seekEnd(fd, Libc.callState(arena), device.toString());
        } catch (IOException e) {
            Libc.close(fd);
            throw new IOException(device + " cannot skip to its newest record: " + e.getMessage(), e);
        }
        return fd;
    }

    /** Opens the log at its oldest record, where a fresh open of /dev/kmsg starts. */
    private static int openAtOldest(Path device) throws IOException {
        if (!Libc.available()) {
            throw new IOException(device + " cannot be watched: native access is not enabled (run simkernel.jar "
                    + "with 'java -jar', whose manifest enables it)");
        }
        int fd;
        try {
            fd = Libc.open(device, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        } catch (Libc.ErrnoException e) {
            if (e.errno() == Libc.EPERM || e.errno() == Libc.EACCES) {
                throw new IOException(device + " cannot be read (" + Libc.describe(e.errno()) + "): reading the "
                        + "kernel log needs CAP_SYSLOG while kernel.dmesg_restrict=1; run the daemon as root "
                        + "(as the systemd unit does) or grant it CAP_SYSLOG", e);
            }
            throw new IOException(device + " cannot be opened: " + Libc.describe(e.errno()), e);
        }
        return fd;
    }

    private void watch(int initialFd) {
        int fd = initialFd;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(RECORD_BUFFER);
            MemorySegment state = Libc.callState(arena);
            while (!closed) {
                try {
                    if (fd < 0) {
                        Thread.sleep(REOPEN_INTERVAL_MILLIS);
                        fd = openAtEnd(device);
                        fire("reopened " + device + "; records logged while it was unavailable were not seen");
                        continue;
                    }
                    short events = Libc.poll(fd, Libc.POLLIN, POLL_MILLIS, arena, state, device.toString());
                    if (events == 0) {
                        continue;
                    }
                    drain(fd, buffer, state);
                } catch (Libc.ErrnoException e) {
                    log.accept("kernel log " + device + " failed (" + e.getMessage() + "); reopening every "
                            + REOPEN_INTERVAL_MILLIS + " ms");
                    Libc.close(fd);
                    fd = -1;
                } catch (IOException e) {
                    // Reopen failed: keep trying quietly; the outage was logged when it began.
                } catch (InterruptedException e) {
                    return;
                }
            }
        } finally {
            Libc.close(fd);
        }
    }

    /** Reads every record available now; fires on the VM-fork record and on lost records. */
    private void drain(int fd, MemorySegment buffer, MemorySegment state) throws IOException {
        while (!closed) {
            long n;
            try {
                n = Libc.read(fd, buffer, state, device.toString());
            } catch (Libc.ErrnoException e) {
                switch (e.errno()) {
                    case Libc.EAGAIN -> {
                        endOfLog();
                        return; // no more records for now
                    }
                    case Libc.EINTR -> {
                        continue;
                    }
                    case Libc.EPIPE -> {
                        // The kernel overwrote records we had not read; the next read resumes at the oldest left.
                        fire("kernel log records were overwritten before they were read");
                        continue;
                    }
                    default -> throw e;
                }
            }
            if (n == 0) {
                endOfLog();
                return;
            }
            handle(new String(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8), false);
        }
    }

    /**
     * Every record available has been read: the first time, the cursor is checked against
     * the newest record (see the class doc); then the cursor is saved.
     */
    private void endOfLog() {
        if (!cursorChecked) {
            cursorChecked = true;
            if (lastSeen < 0 && newestRead < resumeAfter) {
                log.accept("kernel log cursor " + cursor.path() + " says record " + resumeAfter + " was read, but the "
                        + "newest record of this boot is " + newestRead + "; the cursor is distrusted and rewritten");
                resumeAfter = newestRead;
                lastSeen = newestRead;
                fire("the kernel log cursor was ahead of the log, so a VM-fork record an earlier run missed cannot be "
                        + "ruled out");
            }
        }
        if (cursor != null && lastSeen >= 0) {
            cursor.save(lastSeen);
        }
    }

    /** A record of the form the kernel logs on a VM fork, for the rehearsal at start. */
    private static final String REHEARSAL_RECORD = "5,0,0,-;" + VM_FORK_MESSAGE;

    /**
     * One record as read: on the VM-fork record, bumps the page and logs it. A rehearsal
     * runs the same steps, but its bump writes nothing ({@link dev.reseeddrbg.page.EpochPage#rehearseNotify})
     * and nothing is logged or seen.
     */
    private void handle(String raw, boolean rehearsal) {
        Optional<Record> record = Record.parse(raw);
        if (!rehearsal && record.isPresent()) {
            long sequence = record.get().sequence();
            newestRead = Math.max(newestRead, sequence);
            if (sequence <= resumeAfter) {
                return; // an earlier run of the daemon read it
            }
            if (lastSeen < 0 && resumeAfter >= 0 && sequence > resumeAfter + 1) {
                fire("kernel log records " + (resumeAfter + 1) + " to " + (sequence - 1) + ", logged while the daemon "
                        + "was down, were overwritten before it read them");
            }
            lastSeen = sequence;
        }
        Optional<Record> fork = record.filter(Record::announcesVmFork);
        if (fork.isPresent()) {
            // The bump comes first and the description after it: every step before the
            // bump lengthens the window in which clones draw the same bytes.
            int word = rehearsal ? vmSnapshot.page().rehearseNotify() : vmSnapshot.fire();
            Record r = fork.get();
            // printk stamps records with the kernel's local clock, which counts from boot
            // as CLOCK_MONOTONIC (System.nanoTime) does, so the difference is the lag.
            long lagMicros = System.nanoTime() / 1000 - r.timestampMicros();
            String line = "notify " + vmSnapshot.page().describe(word) + String.format(" (kernel log: '%s', record "
                    + "%d at %d.%06d s, page bumped %d ms after it)", r.message(), r.sequence(),
                    r.timestampMicros() / 1_000_000, r.timestampMicros() % 1_000_000, lagMicros / 1000);
            if (!rehearsal) {
                log.accept(line);
            }
        }
        if (!rehearsal) {
            record.ifPresent(testSeamRecordSeen);
        }
    }

    private void fire(String why) {
        logNotification(vmSnapshot.fire(), why);
    }

    private void logNotification(int word, String why) {
        log.accept("notify " + vmSnapshot.page().describe(word) + " (" + why + ")");
    }

    @Override
    public String describe() {
        return "watching " + device;
    }

    @Override
    public void close() {
        closed = true;
        NotifierThread.stop(thread);
    }
}
