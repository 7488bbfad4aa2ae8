package dev.reseeddrbg.simkernel;

import static dev.reseeddrbg.simkernel.DaemonHardeningTest.assertOneLineError;
import static dev.reseeddrbg.simkernel.DaemonHardeningTest.assumeRoot;
import static dev.reseeddrbg.simkernel.DaemonHardeningTest.cli;
import static dev.reseeddrbg.simkernel.DaemonHardeningTest.squatter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code simkernel notify --via-daemon} believes a daemon only about a page this process
 * would read, and only when that page shows the bump.
 */
class DaemonNotifyTest {
    private static final int NOBODY = 65534;

    @TempDir
    Path dir;

    /**
     * Another user's directory, page and listener: the listener runs as the page's owner,
     * so SO_PEERCRED alone would believe its "ok"; the readers' rules refuse the page
     * before anything is sent.
     */
    @Test
    void aPageAnotherUserOwnsInTheirDirectoryIsRefusedBeforeAnythingIsSent() throws Exception {
        Path page = pageInNobodysDirectory();
        Files.setAttribute(page, "unix:uid", NOBODY);
        assertRefusedBeforeAnythingIsSent(page, page.toString(), "owned by uid 65534");
    }

    /** Root's page in a directory another user owns: that user could swap the page, so it is refused too. */
    @Test
    void rootsPageInAnotherUsersDirectoryIsRefused() throws Exception {
        Path page = pageInNobodysDirectory();
        assertRefusedBeforeAnythingIsSent(page, page.getParent() + ", owned by uid 65534");
    }

    /** Root's page in a directory uid 65534 owns. */
    private Path pageInNobodysDirectory() throws Exception {
        assumeRoot();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        Path page = theirs.resolve("epoch");
        KernelPage.initialize(page).close();
        Files.setAttribute(theirs, "unix:uid", NOBODY);
        return page;
    }

    /** With uid 65534's listener answering "ok" on the page's socket, notify --via-daemon fails and sends nothing. */
    private static void assertRefusedBeforeAnythingIsSent(Path page, String... expected) throws Exception {
        try (Daemon squatter = squatter(ControlSocket.pathFor(page), "answer")) {
            assertOneLineError(cli("notify", "--page", page.toString(), "--via-daemon", "vm-snapshot"), expected);
            assertFalse(squatter.log().contains("request"), "nothing was sent: " + squatter.log());
        }
    }

    /** A trusted listener (this user's) that answers "ok" without bumping the page is not believed. */
    @Test
    void anOkThePageDoesNotShowIsNotBelieved() throws Exception {
        Path page = dir.resolve("epoch");
        KernelPage.initialize(page).close();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(ControlSocket.pathFor(page)));
            Thread.ofVirtual().start(() -> {
                try (SocketChannel client = server.accept()) {
                    client.read(ByteBuffer.allocate(256));
                    client.write(ByteBuffer.wrap("ok 0x01000001 notifier=vm-snapshot(1) epoch=1\n"
                            .getBytes(StandardCharsets.UTF_8)));
                } catch (java.io.IOException ignored) {
                    // the test has ended
                }
            });
            assertOneLineError(cli("notify", "--page", page.toString(), "--via-daemon", "vm-snapshot"),
                    "did not change");
        }
    }

    /** The real daemon: its answer is believed, and the page shows it. */
    @Test
    void theDaemonsBumpIsBelieved() throws Exception {
        Path page = dir.resolve("epoch");
        KernelPage.initialize(page).close();
        try (Daemon d = Daemon.start("run", "--page", page.toString(), "--no-kmsg", "--timer", "1h")) {
            d.await("control socket", java.time.Duration.ofSeconds(60));
            SimKernelCommandTest.Result r = cli("notify", "--page", page.toString(), "--via-daemon", "vm-snapshot");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("notifier=vm-snapshot(1) epoch=1"), r.out());
        }
    }
}
