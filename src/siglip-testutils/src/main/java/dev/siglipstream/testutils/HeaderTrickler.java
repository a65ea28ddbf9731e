package dev.siglipstream.testutils;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A hostile HTTP server on loopback: it accepts, then sends its status line and headers one byte
 * every 100 ms for up to {@code trickleFor} per connection. Every single read returns well within any
 * read timeout, so only a deadline over the whole exchange cuts it off. Close it to stop it.
 */
public final class HeaderTrickler implements AutoCloseable {
    private final ServerSocket socket;

    private HeaderTrickler(ServerSocket socket) {
        this.socket = socket;
    }

    public static HeaderTrickler start(Duration trickleFor) throws IOException {
        ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        HeaderTrickler t = new HeaderTrickler(socket);
        Thread acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket c = socket.accept();
                    Thread each = new Thread(() -> trickle(c, trickleFor), "header-trickler-conn");
                    each.setDaemon(true);
                    each.start();
                } catch (IOException e) {
                    // closed
                }
            }
        }, "header-trickler");
        acceptor.setDaemon(true);
        acceptor.start();
        return t;
    }

    private static void trickle(Socket c, Duration trickleFor) {
        try (c) {
            byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nX-Padding: " + "a".repeat(1000) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            long end = System.nanoTime() + trickleFor.toNanos();
            OutputStream out = c.getOutputStream();
            for (int i = 0; i < head.length && System.nanoTime() < end; i++) {
                out.write(head[i]);
                out.flush();
                Thread.sleep(100);
            }
        } catch (IOException | InterruptedException e) {
            // the client gave up
        }
    }

    public int port() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
