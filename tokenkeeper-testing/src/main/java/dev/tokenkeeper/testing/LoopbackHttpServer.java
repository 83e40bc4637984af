package dev.tokenkeeper.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A minimal HTTP/1.1 server on 127.0.0.1 that routes exact paths to handlers.
 *
 * <p>Why not {@code com.sun.net.httpserver.HttpServer}: since JDK 12 it overwrites every
 * response's {@code Date} header with the system clock, and the scripted server must send the
 * injected clock's time (or no {@code Date} at all). Reading a request and writing a
 * Content-Length response is all a token endpoint needs, so that part lives in {@link HttpWire}.
 *
 * <p>Each connection is served by its own daemon thread from a cached pool, so a handler that
 * blocks (a held fault) never delays other requests. Thread-safe. {@link #close()} closes the
 * listening socket and every open connection, interrupts handlers, and waits briefly for the
 * threads to finish.
 */
final class LoopbackHttpServer implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(LoopbackHttpServer.class.getName());
  private static final long TERMINATION_WAIT_SECONDS = 5;
  /** A response header (never sent) asking to announce more body than is sent, then close. */
  static final String TRUNCATE_MARKER = "X-Scripted-Truncate";
  /** A response header (never sent) asking to send the headers and part of the body, then stall. */
  static final String STALL_MARKER = "X-Scripted-Stall";

  /** Answers one request. */
  @FunctionalInterface
  interface Handler {
    /**
     * Returns the response, or null to close the connection without answering.
     *
     * @throws InterruptedException if the server is closing while the handler waits
     */
    @Nullable Response handle(Request request) throws InterruptedException;
  }

  /** A parsed request; header names are lower case. */
  record Request(
      String method, String path, Map<String, String> headers, byte[] body, boolean keepAlive) {

    Request {
      headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    @Nullable String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** A complete response; {@code Content-Length}, {@code Date} and {@code Connection} are added. */
  record Response(int status, Map<String, String> headers, byte[] body) {

    Response {
      headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    static Response of(int status, @Nullable String contentType, String body) {
      Map<String, String> headers = new LinkedHashMap<>();
      if (contentType != null) {
        headers.put("Content-Type", contentType);
      }
      return new Response(status, headers, body.getBytes(UTF_8));
    }
  }

  private final ServerSocket serverSocket;
  private final @Nullable InstantSource dateClock;
  private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ExecutorService executor;
  private volatile Map<String, Handler> routes = Map.of();

  /**
   * Binds a random port on 127.0.0.1; call {@link #start} to accept connections.
   *
   * @param dateClock the source of every response's {@code Date} header, or null to send none
   */
  LoopbackHttpServer(@Nullable InstantSource dateClock) throws IOException {
    this.dateClock = dateClock;
    InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    this.serverSocket = new ServerSocket(0, 128, loopback);
    this.executor = Executors.newCachedThreadPool(daemonThreads("scripted-token-server-" + port()));
  }

  int port() {
    return serverSocket.getLocalPort();
  }

  void start(Map<String, Handler> routes) {
    this.routes = Map.copyOf(routes);
    executor.execute(this::acceptConnections);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeQuietly(serverSocket);
    for (Socket socket : connections) {
      closeQuietly(socket);
    }
    executor.shutdownNow(); // interrupts handlers waiting in delay and hold faults
    try {
      if (!executor.awaitTermination(TERMINATION_WAIT_SECONDS, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "scripted token server threads did not stop in time");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void acceptConnections() {
    while (!closed.get()) {
      Socket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        if (!closed.get()) {
          LOG.log(System.Logger.Level.WARNING, "scripted token server stopped accepting", e);
        }
        return;
      }
      connections.add(socket);
      // close() may have swept the connections just before this one was added.
      if (closed.get()) {
        closeQuietly(socket);
        return;
      }
      try {
        executor.execute(() -> serve(socket));
      } catch (RejectedExecutionException e) {
        closeQuietly(socket);
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      socket.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = new BufferedOutputStream(socket.getOutputStream());
      boolean keepAlive = true;
      while (keepAlive && !closed.get()) {
        Request request;
        try {
          request = HttpWire.readRequest(in, out);
        } catch (HttpWire.BadRequestException e) {
          Response response = Response.of(e.status, "text/plain;charset=UTF-8", e.getMessage());
          HttpWire.writeResponse(out, "POST", response, now(), false);
          return;
        }
        if (request == null) {
          return;
        }
        Response response = dispatch(request);
        if (response == null) {
          return; // the handler asked to drop the connection
        }
        if (response.headers().containsKey(STALL_MARKER)) {
          HttpWire.writeTruncated(out, response, now());
          while (in.read() >= 0) {
            // stalled mid-body: wait for the client to give up (or close() to close the socket)
          }
          return;
        }
        if (response.headers().containsKey(TRUNCATE_MARKER)) {
          HttpWire.writeTruncated(out, response, now());
          return; // closing the socket mid-body: the reset the fault asked for
        }
        keepAlive = request.keepAlive();
        HttpWire.writeResponse(out, request.method(), response, now(), keepAlive);
      }
    } catch (IOException e) {
      // The client went away, or close() closed the socket: there is nobody left to answer.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // close() is shutting the pool down
    } finally {
      connections.remove(socket);
    }
  }

  private @Nullable Response dispatch(Request request) throws InterruptedException {
    Handler handler = routes.get(request.path());
    if (handler == null) {
      return Response.of(404, "text/plain;charset=UTF-8", "no such endpoint: " + request.path());
    }
    try {
      return handler.handle(request);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "scripted token server handler failed", e);
      return Response.of(500, "application/json;charset=UTF-8", "{\"error\":\"server_error\"}");
    }
  }

  private @Nullable Instant now() {
    return dateClock == null ? null : dateClock.instant();
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // Closing only to release the thread or port; a failure here changes nothing.
    }
  }
}
