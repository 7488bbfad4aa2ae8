package dev.reseeddrbg.simkernel;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.PageTrust;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code simkernel notify --via-daemon}: asks the daemon of a page to fire a notifier,
 * and believes it only for a page this process would itself read.
 *
 * <p>Why the page is checked, not only the listener: the control socket believes an
 * answer from root or the page's owner (SO_PEERCRED). In a directory another user owns
 * or can write, that user can own both the page and the socket, and answer {@code ok}
 * for a page that {@code run} and every reader refuse. So, before anything is sent:
 * <ul>
 * <li>the page is mapped under the readers' rules ({@link PageTrust#mapTrusted}: one
 *     page-sized regular file, root's or this user's, writable by no one else, in a
 *     directory only root or the page's owner can write); a page that breaks them is
 *     refused with the reader's reason, and nothing is sent;</li>
 * <li>after an {@code ok}, the word of the page mapped must have moved: the answer counts
 *     only when the page readers map shows a bump (a daemon notifying another file, or a
 *     listener that answers without notifying, is caught here).</li>
 * </ul>
 * Every refusal throws with the reason; the CLI turns it into one line and exit 1.
 */
public final class DaemonNotify {
    private DaemonNotify() {
    }

    /**
     * Asks the daemon of {@code page} to fire {@code notifier}, within {@code timeout} to
     * connect and again to be answered; returns the new word as the daemon describes it.
     *
     * @throws IOException when the page breaks the readers' rules, the daemon cannot be
     *         reached or trusted, it refuses, or the page did not change
     */
    public static String notify(Path page, String notifier, Duration timeout) throws IOException {
        if (!Files.exists(page, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("epoch page " + page + " does not exist, so no sim-kernel daemon answers for it; "
                    + "start one with 'simkernel run --page " + page + "', which creates it");
        }
        try (Arena arena = Arena.ofConfined()) {
            EpochPage trusted = PageTrust.mapTrusted(page, arena).page();
            int before = trusted.loadWord();
            String answer = ControlSocket.request(page, "notify " + notifier, timeout);
            if (!answer.startsWith("ok ")) {
                throw new IllegalArgumentException(answer.replaceFirst("^error ", ""));
            }
            if (trusted.loadWord() == before) {
                throw new IOException("the daemon on " + ControlSocket.pathFor(page) + " answered '" + answer
                        + "' but " + page + " did not change: it notifies another file or none; check "
                        + "'simkernel status --page " + page + "' and restart the daemon");
            }
            return answer.substring(3);
        }
    }
}
