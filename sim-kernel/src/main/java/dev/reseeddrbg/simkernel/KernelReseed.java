package dev.reseeddrbg.simkernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Makes the kernel's CRNG diverge between clones before a notifier bumps the page, for
 * signals that, unlike vmgenid, do not reseed the kernel themselves (VMClock). Readers
 * reseed from {@code getrandom(2)}, so a bump before this would reseed every clone alike.
 *
 * <p>Failure policy: a reseed that fails says why (empty on success) and never throws;
 * the notifier logs it with the notification and bumps anyway, since the readers' state
 * is the same in every clone either way and the bump still drops their buffered output.
 * Tests pass their own implementation, since the real one needs CAP_SYS_ADMIN.
 */
@FunctionalInterface
public interface KernelReseed {
    /** Mixes {@code clonePeculiar} into the input pool and reseeds the CRNG; empty on success, else why not. */
    Optional<String> reseed(byte[] clonePeculiar);

    /**
     * The real kernel reseed: writes {@code clonePeculiar} to {@code /dev/urandom} (mixed
     * into the input pool, not credited), then {@code ioctl(RNDRESEEDCRNG)} on it.
     */
    static Optional<String> forceKernelReseed(byte[] clonePeculiar) {
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
}
