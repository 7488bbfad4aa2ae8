package dev.reseeddrbg.simkernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;

/**
 * Where the kernel-log notifier keeps how far it has read, for a daemon restarted in the
 * same boot: {@code PATH.kmsg-cursor} beside the page, one line "BOOT_ID SEQUENCE" (the
 * boot's {@code /proc/sys/kernel/random/boot_id} and the sequence number of the last
 * record read).
 *
 * <p>A cursor of another boot means nothing (sequence numbers restart at boot) and is
 * ignored; an unreadable one is ignored and said in the log. Whether a cursor of this
 * boot agrees with the log is the notifier's check ({@link KernelLogNotifier}): this
 * class only reads and writes it. It is written beside itself and renamed over itself,
 * so a reader never sees half a line; a failed write is logged once, and the daemon
 * goes on without it (a restart then starts at the end of the log).
 */
final class KernelLogCursor {
    private final Path path;
    private final Consumer<String> log;
    private long saved = -1;
    private boolean failureLogged;

    KernelLogCursor(Path path, Consumer<String> log) {
        this.path = path;
        this.log = log;
    }

    static Path besidePage(Path page) {
        return page.resolveSibling(page.getFileName() + ".kmsg-cursor");
    }

    Path path() {
        return path;
    }

    /** The sequence number kept for this boot, or -1 (none, another boot's, unreadable: said in the log). */
    long read() {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return -1;
        }
        try {
            String[] fields = Files.readString(path).strip().split(" ");
            if (fields.length == 2 && fields[0].equals(bootId())) {
                return Long.parseLong(fields[1]);
            }
            return -1; // another boot's: its sequence numbers mean nothing now
        } catch (IOException | NumberFormatException e) {
            log.accept("kernel log cursor " + path + " unreadable (" + e.getMessage() + "); starting at the end");
            return -1;
        }
    }

    /** Keeps {@code sequence} as the last record read, unless it is kept already. */
    void save(long sequence) {
        if (sequence == saved) {
            return;
        }
        Path temporary = path.resolveSibling(path.getFileName() + ".tmp");
        try {
            Files.writeString(temporary, bootId() + " " + sequence + "\n");
            Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            saved = sequence;
        } catch (IOException e) {
            if (!failureLogged) {
                failureLogged = true;
                log.accept("kernel log cursor " + path + " cannot be written (" + e.getMessage() + "); a restarted "
                        + "daemon will start at the end of the log");
            }
        }
    }

    private static String bootId() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
    }
}
