package dev.reseeddrbg.simkernel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;

/**
 * The running kernel's control socket, a Unix-domain socket beside the page
 * ({@code <page>.sock}, mode 0600). Processes of the page owner's user send one line,
 * {@code notify NAME} or {@code status}, and get one line back: {@code ok ...} or
 * {@code error ...}. This is how a process that may not write the page file asks the
 * kernel for a notification; writing the page directly works too for its owner.
 */
public final class ControlSocket implements AutoCloseable {
    private final KernelPage kernel;
    private final Path path;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final Consumer<String> log;

    private ControlSocket(KernelPage kernel, Path path, ServerSocketChannel server, Consumer<String> log) {
        this.kernel = kernel;
        this.path = path;
        this.server = server;
        this.log = log;
        this.acceptor = Thread.ofPlatform().daemon().name("simkernel-control").unstarted(this::acceptLoop);
    }

    /** The socket path for a page: the page's name plus ".sock", in the same directory. */
    public static Path pathFor(Path page) {
        return page.resolveSibling(page.getFileName() + ".sock");
    }

    /**
     * Binds the control socket for {@code kernel}'s page. A socket file left by a daemon
     * that died is replaced; one that answers means a daemon is running, and we refuse.
     */
    public static ControlSocket start(KernelPage kernel, Consumer<String> log) throws IOException {
        Path path = pathFor(kernel.page().path());
        if (Files.exists(path)) {
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                throw new IOException("a sim-kernel is already running on " + kernel.page().path()
                        + " (its control socket " + path + " answers)");
            } catch (IOException notListening) {
                if (notListening.getMessage() != null && notListening.getMessage().startsWith("a sim-kernel")) {
                    throw notListening;
                }
                Files.delete(path); // stale, from a daemon that was killed
            }
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        ControlSocket socket = new ControlSocket(kernel, path, server, log);
        socket.acceptor.start();
        return socket;
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                Thread.ofVirtual().start(() -> serve(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client;
             BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                     StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Channels.newOutputStream(client), true, StandardCharsets.UTF_8)) {
            String line = in.readLine();
            out.println(answer(line == null ? "" : line.strip()));
        } catch (IOException e) {
            log.accept("control connection failed: " + e.getMessage());
        }
    }

    /** One request, one answer line. */
    String answer(String request) {
        String[] words = request.split("\\s+");
        try {
            return switch (words[0]) {
                case "notify" -> {
                    if (words.length != 2) {
                        yield "error usage: notify NAME";
                    }
                    int word = kernel.notifier(words[1]).fire();
                    String described = kernel.page().describe(word);
                    log.accept("notify " + described + " (control socket)");
                    yield "ok " + described;
                }
                case "status" -> {
                    int word = kernel.page().loadWord();
                    yield "ok " + kernel.page().describe(word);
                }
                default -> "error unknown request '" + request + "'; send 'notify NAME' or 'status'";
            };
        } catch (IllegalArgumentException e) {
            return "error " + e.getMessage();
        }
    }

    /** Sends one request to the daemon of {@code page} and returns its answer line. */
    public static String request(Path page, String request) throws IOException {
        Path path = pathFor(page);
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path));
             PrintWriter out = new PrintWriter(Channels.newOutputStream(channel), true, StandardCharsets.UTF_8);
             BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                     StandardCharsets.UTF_8))) {
            out.println(request);
            String answer = in.readLine();
            if (answer == null) {
                throw new IOException("the sim-kernel daemon closed " + path + " without answering");
            }
            return answer;
        } catch (java.net.SocketException | java.nio.file.NoSuchFileException e) {
            throw new IOException("no sim-kernel daemon answers on " + path + " (start one with 'simkernel run --page "
                    + page + "')", e);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(path);
    }
}
