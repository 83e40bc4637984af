package dev.tokenkeeper.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback that delays every chunk of bytes, in both directions, by a latency the
 * test changes while it runs: a slow Redis (or a slow network to it) without touching Redis. Order
 * is kept: a chunk is never written before one read earlier on the same connection, even when the
 * latency goes down. Closing the proxy closes every connection.
 */
final class LatencyProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final AtomicLong latencyNanos = new AtomicLong();
  private final AtomicLong delayedChunks = new AtomicLong();
  private final List<Socket> sockets = new ArrayList<>();
  private final List<ScheduledExecutorService> writers = new ArrayList<>();
  private volatile boolean closed;

  LatencyProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "latency proxy to " + targetPort);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Each chunk read from now on is forwarded {@code latency} after it was read (one way). */
  void latency(Duration latency) {
    latencyNanos.set(latency.toNanos());
  }

  /** Chunks forwarded with a latency above zero so far. */
  long delayedChunks() {
    return delayedChunks.get();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        synchronized (sockets) {
          sockets.add(client);
          sockets.add(server);
        }
        pump(client, server);
        pump(server, client);
      } catch (IOException e) {
        // closed, or Redis refused: the client sees its connection fail
      }
    }
  }

  /** One reader thread per direction; one scheduler thread writes in read order at the due time. */
  private void pump(Socket from, Socket to) throws IOException {
    InputStream in = from.getInputStream();
    OutputStream out = to.getOutputStream();
    ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "latency proxy writer");
      t.setDaemon(true);
      return t;
    });
    synchronized (sockets) {
      writers.add(writer);
    }
    Thread reader = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      long lastDue = 0;
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          byte[] chunk = Arrays.copyOf(buffer, n);
          long latency = latencyNanos.get();
          if (latency > 0) {
            delayedChunks.incrementAndGet();
          }
          // Never before an earlier chunk: equal due times run in submission order.
          long due = Math.max(System.nanoTime() + latency, lastDue);
          lastDue = due;
          writer.schedule(() -> {
            try {
              out.write(chunk);
              out.flush();
            } catch (IOException e) {
              closeQuietly(from);
              closeQuietly(to);
            }
          }, due - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
      } catch (IOException e) {
        // connection closed
      }
      // After the chunks already read (same due time, submitted later): nothing is cut short.
      writer.schedule(() -> {
        closeQuietly(to);
        closeQuietly(from);
      }, Math.max(0, lastDue - System.nanoTime()), TimeUnit.NANOSECONDS);
    }, "latency proxy reader");
    reader.setDaemon(true);
    reader.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
    synchronized (sockets) {
      sockets.forEach(LatencyProxy::closeQuietly);
      writers.forEach(ScheduledExecutorService::shutdownNow);
    }
  }
}
