package dev.reseeddrbg.simkernel;

import dev.reseeddrbg.page.PageTrust;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The running kernel's control socket, a Unix-domain socket beside the page
 * ({@code <page>.sock}, mode 0600). Processes of the page owner's user send one line,
 * {@code notify NAME} or {@code status}, and get one line back: {@code ok ...} or
 * {@code error ...}. This is how a process that may not write the page file asks the
 * kernel for a notification; writing the page directly works too for its owner.
 *
 * <p>Rules, as OpenSSH's privilege separation and systemd's socket units keep them:
 * <ul>
 * <li>The daemon uses only a socket path that is its own: an existing entry that is not
 *     a socket, or is another user's, is refused and left alone; its own stale socket
 *     (nothing listening) is replaced.</li>
 * <li>The socket is never reachable with a wider mode than 0600 and never changed by its
 *     public path: it is bound inside a fresh 0700 directory that only this user can enter
 *     or change, given its mode there, and hard-linked into place complete (link(2) fails
 *     rather than replace an entry that appeared meanwhile).</li>
 * <li>Both ends check the other with SO_PEERCRED: an answer counts only from root or the
 *     page's owner, and the daemon serves only root and its own user.</li>
 * <li>Every wait is bounded: at most {@link #MAX_CONNECTIONS} connections are served at
 *     once (more wait in the kernel's backlog), each for at most
 *     {@link #CONNECTION_TIME_LIMIT}, a request line is at most
 *     {@link #MAX_REQUEST_BYTES} bytes, and a failing accept is retried with a back-off
 *     of at most {@link #MAX_ACCEPT_BACKOFF}, logged once when it starts failing and once
 *     when it accepts again. Clients wait at most their timeout to connect and again to
 *     be answered.</li>
 * </ul>
 */
public final class ControlSocket implements AutoCloseable {
    /** Longest request line, newline excluded; the longest valid one is "notify " and a 255-byte name. */
    public static final int MAX_REQUEST_BYTES = 1024;
    /** Longest answer line a client reads. */
    static final int MAX_ANSWER_BYTES = 4096;
    /** Connections served at once. */
    public static final int MAX_CONNECTIONS = 32;
    /** How long one connection may take, request and answer, before the daemon closes it. */
    public static final Duration CONNECTION_TIME_LIMIT = Duration.ofSeconds(5);
    /** Longest pause between two failed accepts. */
    public static final Duration MAX_ACCEPT_BACKOFF = Duration.ofSeconds(1);
    /** How long a client waits to connect, and then to be answered, unless told otherwise. */
    public static final Duration DEFAULT_CLIENT_TIMEOUT = Duration.ofSeconds(5);
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final KernelPage kernel;
    private final Path path;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final Consumer<String> log;
    /** Device and inode of the socket file this daemon published. */
    private final Object[] published;
    private final UserPrincipal owner;
    private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
    private final AtomicBoolean unpublished = new AtomicBoolean();

    private ControlSocket(KernelPage kernel, Path path, ServerSocketChannel server, Object[] published,
                          UserPrincipal owner, Consumer<String> log) {
        this.kernel = kernel;
        this.path = path;
        this.server = server;
        this.published = published;
        this.owner = owner;
        this.log = log;
        this.acceptor = Thread.ofPlatform().daemon().name("simkernel-control").unstarted(this::acceptLoop);
    }

    /** The socket path for a page: the page's name plus ".sock", in the same directory. */
    public static Path pathFor(Path page) {
        return page.resolveSibling(page.getFileName() + ".sock");
    }

    /**
     * Binds and publishes the control socket for {@code kernel}'s page (whose directory
     * the kernel has checked), and starts serving it. A stale socket of this user's is
     * replaced; a live one means a daemon is running, and anything else at the path is
     * refused and left in place.
     */
    public static ControlSocket start(KernelPage kernel, Consumer<String> log) throws IOException {
        Path path = pathFor(kernel.page().path());
        removeStale(path, kernel.page().path());
        Path dir = path.toAbsolutePath().getParent();
        Path staging;
        try {
            staging = Files.createTempDirectory(dir, ".sock", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new IOException("control socket " + path + " cannot be created: no private directory in " + dir
                    + " (" + reason(e) + ")", e);
        }
        Path staged = staging.resolve("s");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(staged));
            // Safe by path: staging is this user's 0700 directory, so no one else can reach
            // the socket yet or put a link in its place.
            Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("rw-------"));
            Files.createLink(path, staged);
            Map<String, Object> identity = Files.readAttributes(path, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
            ControlSocket socket = new ControlSocket(kernel, path, server,
                    new Object[] {identity.get("dev"), identity.get("ino")},
                    Files.getOwner(kernel.page().path(), LinkOption.NOFOLLOW_LINKS), log);
            socket.acceptor.start();
            return socket;
        } catch (FileAlreadyExistsException e) {
            server.close();
            throw new IOException("control socket " + path + " appeared while this daemon was starting: another "
                    + "sim-kernel is starting on " + kernel.page().path() + "; refused", e);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw new IOException("control socket " + path + " cannot be created: " + reason(e), e);
        } finally {
            Files.deleteIfExists(staged);
            Files.deleteIfExists(staging);
        }
    }

    /** What is at {@code path} before the daemon publishes its socket: nothing, or its own stale socket (removed). */
    private static void removeStale(Path path, Path page) throws IOException {
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(path, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        int mode = (int) attributes.get("mode");
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException("control socket " + path + " exists and is not a socket; refused: remove it if "
                    + "nothing needs it, then start the daemon again");
        }
        int fileOwner = (int) attributes.get("uid");
        int self = PageTrust.currentUid();
        if (fileOwner != self) {
            throw new IOException("control socket " + path + " is owned by uid " + fileOwner + ", not by this daemon "
                    + "(uid " + self + "); refused and left in place: find out what made it, remove it, and keep "
                    + path.toAbsolutePath().getParent() + " writable by root only");
        }
        try (SocketChannel _ = connect(path, Duration.ofSeconds(1))) {
            throw new IOException("a sim-kernel is already running on " + page + " (its control socket " + path
                    + " answers)");
        } catch (TimedOut e) {
            throw new IOException("control socket " + path + " exists and its listener does not accept connections "
                    + "(a stopped daemon?); refused: stop it, or remove the socket if nothing listens", e);
        } catch (NoDaemon stale) {
            Files.deleteIfExists(path); // this user's, from a daemon that was killed
        }
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        long backoffMillis = 0;
        long failures = 0;
        while (server.isOpen()) {
            try {
                connections.acquire();
            } catch (InterruptedException e) {
                return;
            }
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException closed) {
                return; // closed: the daemon is stopping
            } catch (IOException e) {
                connections.release();
                if (failures++ == 0) {
                    log.accept("control socket " + path + " cannot accept connections (" + reason(e) + "); retrying "
                            + "with a back-off of up to " + MAX_ACCEPT_BACKOFF.toMillis() + " ms");
                }
                backoffMillis = Math.min(Math.max(10, backoffMillis * 2), MAX_ACCEPT_BACKOFF.toMillis());
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException stop) {
                    return;
                }
                continue;
            }
            if (failures > 0) {
                log.accept("control socket " + path + " accepting again after " + failures + " failed accepts");
                failures = 0;
                backoffMillis = 0;
            }
            // A platform thread: a virtual one blocked on a socket needs the JDK's poller,
            // whose first use needs a file descriptor, which may be what is missing.
            Thread.ofPlatform().daemon().name("simkernel-control-client").start(() -> {
                try {
                    serve(client);
                } finally {
                    connections.release();
                }
            });
        }
    }

    private void serve(SocketChannel client) {
        try (client; TimeLimit limit = TimeLimit.start(client, CONNECTION_TIME_LIMIT)) {
            try {
                UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
                if (!trusted(peer, owner)) {
                    log.accept("control connection refused: from " + describe(peer) + ", neither root nor the page's "
                            + "owner");
                    writeLine(client, "error refused: only root and " + owner.getName() + " may use this socket");
                    return;
                }
                String request = readLine(client, MAX_REQUEST_BYTES);
                writeLine(client, answer(request == null ? "" : request.strip()));
            } catch (LineTooLong e) {
                log.accept("control connection closed: request line longer than " + MAX_REQUEST_BYTES + " bytes");
                writeLine(client, "error request line longer than " + MAX_REQUEST_BYTES + " bytes");
            } catch (IOException e) {
                if (limit.expired()) {
                    log.accept("control connection closed: no complete request within "
                            + CONNECTION_TIME_LIMIT.toSeconds() + " s");
                } else {
                    log.accept("control connection failed: " + reason(e));
                }
            }
        } catch (IOException | RuntimeException e) {
            log.accept("control connection failed: " + reason(e));
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

    /** {@link #request(Path, String, Duration)} with {@link #DEFAULT_CLIENT_TIMEOUT}. */
    public static String request(Path page, String request) throws IOException {
        return request(page, request, DEFAULT_CLIENT_TIMEOUT);
    }

    /**
     * Sends one request to the daemon of {@code page} and returns its answer line. Waits at
     * most {@code timeout} for the connection and again for the answer, and believes only
     * a listener running as root or as the page's owner (SO_PEERCRED), to which alone the
     * request is sent. Each failure names the socket and what did not happen.
     */
    public static String request(Path page, String request, Duration timeout) throws IOException {
        Path path = pathFor(page);
        try (SocketChannel channel = connect(path, timeout)) {
            UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
            UserPrincipal pageOwner = ownerOf(page);
            if (!trusted(peer, pageOwner)) {
                throw new IOException(path + " is served by " + describe(peer) + ", neither root nor the owner of "
                        + page + (pageOwner == null ? "" : " (" + pageOwner.getName() + ")") + "; its answer is not "
                        + "trusted and nothing was sent: something other than the sim-kernel daemon listens there. "
                        + "Remove it and keep " + path.toAbsolutePath().getParent() + " writable by root only");
            }
            try (TimeLimit limit = TimeLimit.start(channel, timeout)) {
                try {
                    writeLine(channel, request);
                    String answer = readLine(channel, MAX_ANSWER_BYTES);
                    if (answer == null) {
                        throw new IOException("the sim-kernel daemon closed " + path + " without answering");
                    }
                    return answer;
                } catch (IOException e) {
                    if (limit.expired()) {
                        throw new IOException("the sim-kernel daemon on " + path + " accepted the connection but did "
                                + "not answer within " + Durations.format(timeout) + " (stopped, e.g. by SIGSTOP, or hung): '"
                                + request + "' may or may not have been done; check 'systemctl status reseeddrbg'", e);
                    }
                    if (e instanceof LineTooLong) {
                        throw new IOException("the sim-kernel daemon on " + path + " answered a line longer than "
                                + MAX_ANSWER_BYTES + " bytes; not a sim-kernel answer", e);
                    }
                    throw e;
                }
            }
        }
    }

    /** A client connection to {@code path}, made within {@code timeout}. */
    private static SocketChannel connect(Path path, Duration timeout) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try (TimeLimit _ = TimeLimit.start(channel, timeout)) {
            channel.connect(UnixDomainSocketAddress.of(path));
            return channel;
        } catch (IOException e) {
            channel.close();
            if (e instanceof AsynchronousCloseException) {
                throw new TimedOut("the sim-kernel daemon's control socket " + path + " did not accept the connection "
                        + "within " + Durations.format(timeout) + " (its backlog is full: the daemon is stopped or overloaded, "
                        + "or something else holds the socket); nothing was sent", e);
            }
            throw new NoDaemon("no sim-kernel daemon answers on " + path + " (" + reason(e) + "; start one with "
                    + "'simkernel run --page " + pathToPage(path) + "')", e);
        }
    }

    private static Path pathToPage(Path socket) {
        String name = socket.getFileName().toString();
        return socket.resolveSibling(name.substring(0, name.length() - ".sock".length()));
    }

    /** The owner of {@code page}, or null when it cannot be read. */
    private static UserPrincipal ownerOf(Path page) {
        try {
            return Files.getOwner(page, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Whether {@code peer} may speak for the page: root, or {@code pageOwner}. The JDK's
     * principals compare by uid, and its lookup takes a name that is no user's as a uid,
     * so "0" is root whatever root is called.
     */
    static boolean trusted(UnixDomainPrincipal peer, UserPrincipal pageOwner) throws IOException {
        UserPrincipal root = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("0");
        return peer.user().equals(root) || peer.user().equals(pageOwner);
    }

    private static String describe(UnixDomainPrincipal peer) {
        return "user " + peer.user().getName() + " (group " + peer.group().getName() + ")";
    }

    private static String reason(Throwable e) {
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static void writeLine(SocketChannel channel, String line) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /**
     * Reads up to the first newline, at most {@code max} bytes before it; the text before
     * it (or before the end of the stream), or null when the stream ends first with
     * nothing read. Bytes after the newline are ignored: one line is one request.
     */
    static String readLine(SocketChannel channel, int max) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(max + 1);
        int scanned = 0;
        while (true) {
            int n = channel.read(buffer);
            for (int i = scanned; i < buffer.position(); i++) {
                if (buffer.get(i) == '\n') {
                    return new String(buffer.array(), 0, i, StandardCharsets.UTF_8);
                }
            }
            scanned = buffer.position();
            if (n < 0) {
                return scanned == 0 ? null : new String(buffer.array(), 0, scanned, StandardCharsets.UTF_8);
            }
            if (!buffer.hasRemaining()) {
                throw new LineTooLong();
            }
        }
    }

    /** A line past its bound. */
    private static final class LineTooLong extends IOException {
        LineTooLong() {
            super("line too long");
        }
    }

    /** Nothing listens at a socket path. */
    private static final class NoDaemon extends IOException {
        NoDaemon(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A connection not accepted in time. */
    private static final class TimedOut extends IOException {
        TimedOut(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Closes a channel once a time limit passes, which ends a blocking connect, read or
     * write on it: Unix-domain channels have no socket timeouts of their own.
     */
    private static final class TimeLimit implements AutoCloseable {
        private final Thread closer;
        private volatile boolean expired;

        private TimeLimit(SocketChannel channel, Duration limit) {
            this.closer = Thread.ofVirtual().unstarted(() -> {
                try {
                    Thread.sleep(limit);
                    expired = true;
                    channel.close();
                } catch (InterruptedException | IOException done) {
                    // finished in time, or already closed
                }
            });
        }

        static TimeLimit start(SocketChannel channel, Duration limit) {
            TimeLimit timeLimit = new TimeLimit(channel, limit);
            timeLimit.closer.start();
            return timeLimit;
        }

        boolean expired() {
            return expired;
        }

        @Override
        public void close() {
            closer.interrupt();
        }
    }

    /**
     * Removes the socket file, if it is still the one this daemon published; idempotent,
     * and safe from any thread (the shutdown hook calls it first of all).
     */
    public void unpublish() {
        if (!unpublished.compareAndSet(false, true)) {
            return;
        }
        try {
            Map<String, Object> now = Files.readAttributes(path, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
            if (now.get("dev").equals(published[0]) && now.get("ino").equals(published[1])) {
                Files.delete(path);
            }
        } catch (IOException e) {
            // gone already, or no longer ours: nothing to remove
        }
    }

    @Override
    public void close() throws IOException {
        unpublish();
        server.close();
    }
}
