package dev.reseeddrbg.systemtest.realvm;

import dev.reseeddrbg.page.VmClockLayout;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The real-VM clone probe's view of the VMClock device: the restore counter, read with
 * {@code pread} from the kernel's misc device ({@code /dev/vmclock0}), which copies the
 * page as the hypervisor last wrote it. The probe only reports the counter, so that the
 * host can tell which rounds a clone drew after its restore; it never decides anything
 * from it. A header that is not a VMClock page is an error naming the device.
 */
final class VmClockReader implements AutoCloseable {
    private final FileChannel channel;
    private final VmClockLayout.RestoreCounter counter;
    private final ByteBuffer buffer = ByteBuffer.allocate(VmClockLayout.ABI_SIZE);
    private final Path path;

    private VmClockReader(Path path, FileChannel channel, VmClockLayout.RestoreCounter counter) {
        this.path = path;
        this.channel = channel;
        this.counter = counter;
    }

    static VmClockReader open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            VmClockReader r = new VmClockReader(path, channel, null);
            return new VmClockReader(path, channel, VmClockLayout.restoreCounter(r.header(), path.toString()));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private MemorySegment header() throws IOException {
        buffer.clear();
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, buffer.position()) < 0) {
                throw new IOException(path + " ended after " + buffer.position() + " bytes; a VMClock page has "
                        + VmClockLayout.ABI_SIZE);
            }
        }
        return MemorySegment.ofBuffer(buffer.flip());
    }

    VmClockLayout.RestoreCounter counter() {
        return counter;
    }

    /** The restore counter as the hypervisor last wrote it. */
    long read() throws IOException {
        return header().get(VmClockLayout.LE_LONG, counter.offset());
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
