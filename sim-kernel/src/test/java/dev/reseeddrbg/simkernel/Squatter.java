package dev.reseeddrbg.simkernel;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A local attacker's listener on a daemon's socket path, for tests that run it as another
 * user: {@code answer} answers every request as a daemon would ("ok ..."), {@code silent}
 * accepts and never answers. Prints "listening" once bound, and "request LINE" for each
 * request it reads.
 */
public final class Squatter {
    private Squatter() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path path = Path.of(args[0]);
        boolean answer = args[1].equals("answer");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        path.toFile().setWritable(true, false); // anyone may connect, root's hooks included
        System.out.println("listening on " + path);
        System.out.flush();
        while (true) {
            SocketChannel client = server.accept();
            Thread.ofPlatform().daemon().start(() -> {
                try (client) {
                    ByteBuffer in = ByteBuffer.allocate(256);
                    if (client.read(in) > 0) {
                        System.out.println("request " + new String(in.array(), 0, in.position(), StandardCharsets.UTF_8)
                                .strip());
                        System.out.flush();
                    }
                    if (answer) {
                        client.write(ByteBuffer.wrap("ok 0x01000001 notifier=vm-snapshot(1) epoch=1\n"
                                .getBytes(StandardCharsets.UTF_8)));
                    } else {
                        Thread.sleep(Long.MAX_VALUE);
                    }
                } catch (IOException | InterruptedException ignored) {
                    // the client went away
                }
            });
        }
    }
}
