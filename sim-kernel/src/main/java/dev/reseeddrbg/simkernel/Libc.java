package dev.reseeddrbg.simkernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * The few libc calls the kernel's notifier devices need and the JDK has no API for:
 * {@code poll(2)} on a device, {@code lseek(SEEK_END)} on {@code /dev/kmsg}, reads that
 * return one kernel-log record each, and {@code ioctl(RNDRESEEDCRNG)}. Each call returns
 * the raw result; a failure throws {@link ErrnoException} carrying errno, so callers
 * decide per errno (EAGAIN, EPIPE, EINTR are ordinary on these devices).
 *
 * <p>Needs native access ({@code Enable-Native-Access: ALL-UNNAMED} in simkernel.jar's
 * manifest); without it {@link #available()} is false and the notifiers that need it
 * say so instead of starting.
 */
final class Libc {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int SEEK_END = 2;
    static final short POLLIN = 0x1;
    static final short POLLPRI = 0x2;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;
    static final int EINTR = 4;
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int ENODEV = 19;
    static final int EPIPE = 32;
    static final int ETIMEDOUT = 110;
    /** {@code _IO('R', 0x07)} from include/uapi/linux/random.h: reseed the CRNG from the input pool now. */
    static final long RNDRESEEDCRNG = 0x5207;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** struct pollfd: int fd; short events; short revents. */
    private static final StructLayout POLLFD = MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("fd"),
            ValueLayout.JAVA_SHORT.withName("events"), ValueLayout.JAVA_SHORT.withName("revents"));

    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle READ;
    private static final MethodHandle WRITE;
    private static final MethodHandle PREAD;
    private static final MethodHandle LSEEK;
    private static final MethodHandle POLL;
    private static final MethodHandle IOCTL;

    static {
        boolean enabled = Libc.class.getModule().isNativeAccessEnabled();
        Linker linker = Linker.nativeLinker();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        OPEN = enabled ? link(linker, "open", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT), errno, Linker.Option.firstVariadicArg(2)) : null;
        CLOSE = enabled ? link(linker, "close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                errno) : null;
        READ = enabled ? link(linker, "read", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), errno) : null;
        WRITE = enabled ? link(linker, "write", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), errno) : null;
        PREAD = enabled ? link(linker, "pread", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), errno) : null;
        LSEEK = enabled ? link(linker, "lseek", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), errno) : null;
        POLL = enabled ? link(linker, "poll", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), errno) : null;
        IOCTL = enabled ? link(linker, "ioctl", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG), errno, Linker.Option.firstVariadicArg(2)) : null;
    }

    private Libc() {
    }

    private static MethodHandle link(Linker linker, String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return linker.downcallHandle(linker.defaultLookup().findOrThrow(name), descriptor, options);
    }

    /** Whether native access is enabled, so that these calls can be made. */
    static boolean available() {
        return OPEN != null;
    }

    /** A failed call: which call, on what, and errno. */
    static final class ErrnoException extends IOException {
        private final int errno;

        ErrnoException(String call, String what, int errno) {
            super(call + " " + what + ": " + describe(errno));
            this.errno = errno;
        }

        int errno() {
            return errno;
        }
    }

    /** errno as the C library names it, with its number. */
    static String describe(int errno) {
        String name = switch (errno) {
            case EPERM -> "EPERM (operation not permitted)";
            case ENOENT -> "ENOENT (no such file)";
            case EINTR -> "EINTR";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case EACCES -> "EACCES (permission denied)";
            case ENODEV -> "ENODEV (no such device)";
            case EPIPE -> "EPIPE";
            case ETIMEDOUT -> "ETIMEDOUT";
            default -> "errno " + errno;
        };
        return errno == EINTR || errno == EBADF || errno == EAGAIN || errno == EPIPE || errno == ETIMEDOUT
                ? name + " (" + errno + ")" : name;
    }

    private static void requireAvailable() {
        if (!available()) {
            throw new IllegalStateException("native access is not enabled for sim-kernel; run simkernel.jar with "
                    + "'java -jar' (its manifest enables it) or add --enable-native-access=ALL-UNNAMED");
        }
    }

    /** open(2); returns the descriptor. */
    static int open(Path path, int flags) throws IOException {
        requireAvailable();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()), flags);
            if (fd < 0) {
                throw new ErrnoException("open", path.toString(), errno(state));
            }
            return fd;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("open downcall failed", t);
        }
    }

    /** close(2), ignoring errors: the descriptor is gone either way. */
    static void close(int fd) {
        if (fd < 0 || !available()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(arena.allocate(CALL_STATE), fd);
        } catch (Throwable t) {
            throw new IllegalStateException("close downcall failed", t);
        }
    }

    /** read(2) into {@code buffer}; returns the count (0 at end of file). */
    static long read(int fd, MemorySegment buffer, MemorySegment state, String what) throws IOException {
        try {
            long n = (long) READ.invokeExact(state, fd, buffer, buffer.byteSize());
            if (n < 0) {
                throw new ErrnoException("read", what, errno(state));
            }
            return n;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("read downcall failed", t);
        }
    }

    /** write(2) of all of {@code data}; a short write is continued, EINTR retried. */
    static void writeFully(int fd, MemorySegment data, MemorySegment state, String what) throws IOException {
        long done = 0;
        try {
            while (done < data.byteSize()) {
                long n = (long) WRITE.invokeExact(state, fd, data.asSlice(done), data.byteSize() - done);
                if (n < 0) {
                    int errno = errno(state);
                    if (errno == EINTR) {
                        continue;
                    }
                    throw new ErrnoException("write", what, errno);
                }
                done += n;
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("write downcall failed", t);
        }
    }

    /** pread(2) at {@code offset} into {@code buffer}; returns the count. */
    static long pread(int fd, MemorySegment buffer, long offset, MemorySegment state, String what) throws IOException {
        try {
            long n = (long) PREAD.invokeExact(state, fd, buffer, buffer.byteSize(), offset);
            if (n < 0) {
                throw new ErrnoException("pread", what, errno(state));
            }
            return n;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("pread downcall failed", t);
        }
    }

    /** lseek(fd, 0, SEEK_END). On /dev/kmsg this skips every record already in the buffer. */
    static void seekEnd(int fd, MemorySegment state, String what) throws IOException {
        try {
            long r = (long) LSEEK.invokeExact(state, fd, 0L, SEEK_END);
            if (r < 0) {
                throw new ErrnoException("lseek", what, errno(state));
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("lseek downcall failed", t);
        }
    }

    /**
     * poll(2) on one descriptor; returns its revents, 0 on a time-out. EINTR counts as a
     * time-out: callers loop anyway.
     */
    static short poll(int fd, short events, int timeoutMillis, Arena arena, MemorySegment state, String what)
            throws IOException {
        MemorySegment pollfd = arena.allocate(POLLFD);
        pollfd.set(ValueLayout.JAVA_INT, 0, fd);
        pollfd.set(ValueLayout.JAVA_SHORT, 4, events);
        try {
            int n = (int) POLL.invokeExact(state, pollfd, 1L, timeoutMillis);
            if (n < 0) {
                int errno = errno(state);
                if (errno == EINTR) {
                    return 0;
                }
                throw new ErrnoException("poll", what, errno);
            }
            return n == 0 ? 0 : pollfd.get(ValueLayout.JAVA_SHORT, 6);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("poll downcall failed", t);
        }
    }

    /** ioctl(2) with no argument. */
    static void ioctl(int fd, long request, MemorySegment state, String what) throws IOException {
        try {
            int r = (int) IOCTL.invokeExact(state, fd, request);
            if (r < 0) {
                throw new ErrnoException("ioctl", what, errno(state));
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("ioctl downcall failed", t);
        }
    }

    static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }
}
