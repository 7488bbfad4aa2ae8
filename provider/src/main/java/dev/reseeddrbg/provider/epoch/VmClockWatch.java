package dev.reseeddrbg.provider.epoch;

import dev.reseeddrbg.page.VmClockLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The hypervisor's restore counter, read on every draw beside the epoch word: the
 * VMClock page ({@code /dev/vmclock0}, Linux 6.13+), mapped read-only once per JVM.
 *
 * <p>Why it is read by the provider itself: the hypervisor bumps the counter before the
 * restored guest runs an instruction (QEMU in the device's post_load, Firecracker before
 * the vCPUs resume), so a draw that compares it finds a restore at once. The daemon's
 * bump of the epoch page comes only after the kernel logged the restore and the daemon
 * read the log, hundreds of milliseconds later under emulation.
 *
 * <p>Which counter: {@code vm_generation_counter} where flag bit 8 says it is present,
 * else {@code disruption_marker} ({@link VmClockLayout#restoreCounterOf}). A draw sees
 * its low 31 bits as bits 62..32 of the state's stamp ({@link #restoreBits}), above the
 * 32-bit epoch word, so the draw still compares one value and {@link EpochBinding#LOST}
 * (-1) stays distinct from every stamp.
 *
 * <p>Trust: the device is used only when it is a character device owned by root that
 * neither group nor others can write, the file opened (O_NOFOLLOW) is the one checked,
 * and its page has the VMClock magic, version 1 and the size of the ABI. Anything
 * refused is logged once at WARNING with the path and the reason and not used; a missing
 * device is not an error (most guests have none), and is said at INFO only when no epoch
 * page is there either ({@link #describe}).
 *
 * <p>JVM-wide, resolved by the first instance from {@code reseeddrbg.vmclock}; a page
 * that was mapped is never unmapped, so its address stays valid for the JVM's life.
 */
public final class VmClockWatch {
    private static final System.Logger LOG = System.getLogger("dev.reseeddrbg");
    /** The setting that turns the watch off. */
    public static final String NONE = "none";
    public static final Path DEFAULT_DEVICE = Path.of("/dev/vmclock0");
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFREG = 0100000;
    private static final int PAGE_SIZE = 4096;
    private static final int O_RDONLY = 0;
    private static final int O_NOFOLLOW = 0400000;
    private static final int O_CLOEXEC = 02000000;
    private static final int PROT_READ = 1;
    private static final int MAP_SHARED = 1;
    private static final VarHandle COUNTER = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    /** What the first instance asked for, and what came of it; guarded by the class lock until {@link Watched} exists. */
    private static Path requested;
    private static boolean fileAllowedForTest;
    private static String state = "not resolved";
    private static long counterAddress;

    private VmClockWatch() {
    }

    /**
     * Resolves the watch for this JVM from {@code setting} ({@code none}, or the device's
     * path), once; later calls with another setting are logged and ignored.
     */
    public static synchronized void resolve(String setting) {
        Path path = NONE.equals(setting) ? null : Path.of(setting);
        if (!state.equals("not resolved")) {
            if (!java.util.Objects.equals(path, requested)) {
                LOG.log(System.Logger.Level.WARNING, "ReseedDRBG reads reseeddrbg.vmclock once per JVM: {0} is in "
                        + "force, {1} is ignored", requested == null ? NONE : requested, setting);
            }
            return;
        }
        requested = path;
        if (path == null) {
            state = "off (reseeddrbg.vmclock=none)";
            return;
        }
        try {
            MemorySegment page = map(path);
            VmClockLayout.RestoreCounter counter = VmClockLayout.restoreCounter(page, path.toString());
            counterAddress = page.address() + counter.offset();
            state = path + " (" + counter.field() + ")";
        } catch (NoSuchFileException absent) {
            state = "none at " + path;
        } catch (Refused | IllegalArgumentException refused) {
            state = "refused: " + refused.getMessage();
            LOG.log(System.Logger.Level.WARNING, "ReseedDRBG does not watch the VMClock page: {0}; restores are seen "
                    + "only through the epoch page", refused.getMessage());
        } catch (java.io.IOException e) {
            state = "refused: " + path + " cannot be read (" + e.getMessage() + ")";
            LOG.log(System.Logger.Level.WARNING, "ReseedDRBG does not watch the VMClock page: {0}", state);
        }
    }

    /**
     * Test seam, not for production: lets {@link #resolve} accept a regular file owned by
     * root or this user in place of the character device (the other rules still hold), so
     * that child JVMs can watch a simulated VMClock page. Call before the first instance.
     */
    public static synchronized void allowRegularFileForTest() {
        fileAllowedForTest = true;
    }

    /** Whether a VMClock page is watched. */
    public static boolean watched() {
        return Watched.ADDRESS != 0;
    }

    /** For status lines, toString and the MBean: the device and field, or why none is watched. */
    public static synchronized String describe() {
        return state;
    }

    /**
     * The counter's low 31 bits at bits 62..32, or 0 when nothing is watched: one acquire
     * load from the page at a constant address. The hot path's second load.
     */
    static long restoreBits(MemorySegment allMemory) {
        if (Watched.ADDRESS == 0) {
            return 0;
        }
        return ((int) COUNTER.getAcquire(allMemory, Watched.ADDRESS) & 0x7fff_ffffL) << 32;
    }

    /**
     * The counter's address as a constant, for the JIT to fold into the load. Initialised
     * at the first draw's preparation, after {@link #resolve}; 0 when nothing is watched.
     */
    private static final class Watched {
        static final long ADDRESS = address();

        private static long address() {
            synchronized (VmClockWatch.class) {
                if (state.equals("not resolved")) {
                    state = "off (resolved after the first draw)";
                }
                return counterAddress;
            }
        }
    }

    /** A device the trust rules refuse; the message names the path and the rule. */
    private static final class Refused extends java.io.IOException {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        Refused(Path path, String why) {
            super(path + " " + why);
        }
    }

    private static MemorySegment map(Path path) throws java.io.IOException {
        Map<String, Object> before = Files.readAttributes(path, "unix:*", LinkOption.NOFOLLOW_LINKS);
        checkAttributes(path, before);
        if (!VmClockWatch.class.getModule().isNativeAccessEnabled()) {
            throw new Refused(path, "cannot be mapped: native access is not enabled for ReseedDRBG "
                    + "(--enable-native-access=dev.reseeddrbg.provider, or ALL-UNNAMED on the class path)");
        }
        Native n = Native.INSTANCE;
        int fd;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment state = arena.allocate(n.callState);
            fd = (int) n.open.invokeExact(state, arena.allocateFrom(path.toString()), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                int errno = (int) n.errno.get(state, 0L);
                throw new Refused(path, errno == 13 ? "cannot be opened (permission denied, mode "
                        + octal((int) before.get("mode")) + "): make it readable by all with conf/99-vmclock.rules "
                        + "(mode 0444, as Firecracker asks of guests that run user-space generators)"
                        : "cannot be opened (errno " + errno + ")");
            }
            try {
                Map<String, Object> opened = Files.readAttributes(Path.of("/proc/self/fd/" + fd), "unix:*");
                if (!opened.get("ino").equals(before.get("ino")) || !opened.get("rdev").equals(before.get("rdev"))
                        || !opened.get("dev").equals(before.get("dev"))) {
                    throw new Refused(path, "was replaced while it was being opened; refused");
                }
                checkAttributes(path, opened);
                MemorySegment address = (MemorySegment) n.mmap.invokeExact(state, MemorySegment.NULL, (long) PAGE_SIZE,
                        PROT_READ, MAP_SHARED, fd, 0L);
                if (address.address() == -1L) {
                    throw new Refused(path, "cannot be mapped (errno " + (int) n.errno.get(state, 0L) + ")");
                }
                return address.reinterpret(PAGE_SIZE);
            } finally {
                int ignored = (int) n.close.invokeExact(fd);
            }
        } catch (java.io.IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("downcall failed", t);
        }
    }

    private static void checkAttributes(Path path, Map<String, Object> a) throws Refused {
        int mode = (int) a.get("mode");
        int type = mode & S_IFMT;
        if (type != S_IFCHR && !(fileAllowedForTest && type == S_IFREG)) {
            throw new Refused(path, "is not a character device; refused (name the VMClock device, /dev/vmclock0)");
        }
        if ((mode & 0022) != 0) {
            throw new Refused(path, "is writable by group or others (mode " + octal(mode)
                    + "), who could freeze the counter; refused (chmod go-w " + path + ")");
        }
        int uid = (int) a.get("uid");
        if (uid != 0 && !(fileAllowedForTest && type == S_IFREG)) {
            throw new Refused(path, "is owned by uid " + uid + ", not root; refused");
        }
    }

    private static String octal(int mode) {
        return String.format("%04o", mode & 07777);
    }

    /** The libc calls the mapping needs, linked on first use. */
    private static final class Native {
        static final Native INSTANCE = new Native();
        final java.lang.foreign.StructLayout callState = Linker.Option.captureStateLayout();
        final VarHandle errno = callState.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
        final MethodHandle open;
        final MethodHandle mmap;
        final MethodHandle close;

        private Native() {
            Linker linker = Linker.nativeLinker();
            java.lang.foreign.SymbolLookup libc = linker.defaultLookup();
            Linker.Option errno = Linker.Option.captureCallState("errno");
            open = linker.downcallHandle(libc.find("open").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT), errno);
            mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), errno);
            close = linker.downcallHandle(libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        }
    }
}
