package dev.reseeddrbg.provider.entropy;

import dev.reseeddrbg.provider.spi.EntropySource;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.security.ProviderException;

/**
 * The kernel's entropy, the default source: {@code getrandom(2)} through an FFM
 * downcall, or, where native access is not enabled for this module, unbuffered reads of
 * {@code /dev/urandom} (same pool, one more syscall per read, no warning printed).
 *
 * <p>Nothing is buffered here: every call asks the kernel, so entropy read after a
 * snapshot restore comes from the restored kernel's reseeded pool, never from a copy
 * taken before the snapshot. The native buffer is zeroed before it is freed.
 *
 * <p>Failure policy: EINTR is retried, short reads continue where they stopped, any
 * other error throws {@link ProviderException} naming the errno.
 */
public final class KernelEntropy implements EntropySource {
    public static final String NAME = "kernel";
    static final int EINTR = 4;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** Null when native access is off or libc has no getrandom: then /dev/urandom is read. */
    private static final MethodHandle GETRANDOM = linkGetrandom();

    private static final KernelEntropy INSTANCE = new KernelEntropy();

    private KernelEntropy() {
    }

    public static KernelEntropy instance() {
        return INSTANCE;
    }

    /** "getrandom(2)" or "/dev/urandom": which path this JVM uses, for logs and the MBean. */
    public static String mechanism() {
        return GETRANDOM != null ? "getrandom(2)" : "/dev/urandom";
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void fill(byte[] out) {
        if (GETRANDOM != null) {
            getrandom(out);
        } else {
            readUrandom(out);
        }
    }

    private static MethodHandle linkGetrandom() {
        // Asking first keeps the JVM from printing its restricted-method warning on every start.
        if (!KernelEntropy.class.getModule().isNativeAccessEnabled()) {
            return null;
        }
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("getrandom")
                .map(symbol -> linker.downcallHandle(symbol,
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT),
                        Linker.Option.captureCallState("errno")))
                .orElse(null);
    }

    /** One getrandom(2) call: fills up to {@code length} bytes of {@code buffer}, errno in {@code callState}. */
    @FunctionalInterface
    interface Syscall {
        long invoke(MemorySegment callState, MemorySegment buffer, long length) throws Throwable;
    }

    private static void getrandom(byte[] out) {
        fill(out, GetrandomCall.INSTANCE);
    }

    /** The real downcall; a class rather than a lambda, so that no call site is linked on a draw (see DrawPath). */
    private static final class GetrandomCall implements Syscall {
        static final GetrandomCall INSTANCE = new GetrandomCall();

        @Override
        public long invoke(MemorySegment callState, MemorySegment buffer, long length) throws Throwable {
            return (long) GETRANDOM.invokeExact(callState, buffer, length, 0);
        }
    }

    /** The retry loop around getrandom(2), separate from the downcall so tests can drive it. */
    static void fill(byte[] out, Syscall syscall) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(1, out.length));
            MemorySegment callState = arena.allocate(CALL_STATE);
            long done = 0;
            try {
                while (done < out.length) {
                    long n = syscall.invoke(callState, buffer.asSlice(done), out.length - done);
                    if (n < 0) {
                        int errno = errno(callState);
                        if (errno == EINTR) {
                            continue; // a signal arrived before any byte was copied
                        }
                        throw new ProviderException("getrandom(2) failed with errno " + errno
                                + "; no output is produced without kernel entropy");
                    }
                    if (n == 0) {
                        throw new ProviderException("getrandom(2) returned no bytes; no output is produced");
                    }
                    done += n; // a short read (a signal mid-copy): ask for the rest
                }
                MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, out, 0, out.length);
            } finally {
                buffer.fill((byte) 0);
            }
        } catch (ProviderException e) {
            throw e;
        } catch (Throwable t) {
            throw new ProviderException("getrandom(2) downcall failed", t);
        }
    }

    static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    static void setErrno(MemorySegment callState, int errno) {
        ERRNO.set(callState, 0L, errno);
    }

    private static void readUrandom(byte[] out) {
        // A fresh unbuffered stream per call: nothing read ahead survives between calls.
        try (InputStream in = new FileInputStream("/dev/urandom")) {
            int done = 0;
            while (done < out.length) {
                int n = in.read(out, done, out.length - done);
                if (n < 0) {
                    throw new ProviderException("/dev/urandom ended after " + done + " bytes");
                }
                done += n;
            }
        } catch (IOException e) {
            throw new ProviderException("cannot read /dev/urandom: " + e.getMessage(), e);
        }
    }
}
