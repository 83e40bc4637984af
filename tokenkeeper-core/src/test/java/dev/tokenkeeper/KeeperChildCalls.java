package dev.tokenkeeper;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The child's side of {@link ChildJvm}'s line protocol, shared by the keeper JVMs of the process
 * tests (core's {@code SharedKeeperChild}, tokenkeeper-redis's {@code RedisKeeperChild}): worker
 * threads calling {@link TokenKeeper#token()} and counting the outcomes, a token source that
 * announces each endpoint call, and the lines on stdout. Only fingerprints are ever printed, never
 * a token. Thread-safe. In core's test jar.
 */
public final class KeeperChildCalls {
  private static final PrintStream OUT = System.out;

  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong reauth = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong untyped = new AtomicLong();
  private final AtomicLong maxCallNanos = new AtomicLong();
  private final AtomicReference<String> firstFailure = new AtomicReference<>();

  /**
   * Starts {@code threads} workers that each call {@code keeper.get().token()} every {@code
   * callEveryMillis}, spread over the period so that calls arrive all the time, not in bursts.
   */
  public ScheduledExecutorService startWorkers(Supplier<TokenKeeper> keeper, int threads,
      long callEveryMillis) {
    ScheduledExecutorService workers = Executors.newScheduledThreadPool(Math.max(threads, 1));
    for (int i = 0; i < threads; i++) {
      workers.scheduleAtFixedRate(() -> call(keeper.get()), i * callEveryMillis / Math.max(threads, 1),
          callEveryMillis, TimeUnit.MILLISECONDS);
    }
    return workers;
  }

  /** One {@code token()} call, counted: ok, reauthentication required, typed or untyped failure. */
  public void call(TokenKeeper keeper) {
    long started = System.nanoTime();
    try {
      keeper.token();
      ok.incrementAndGet();
    } catch (ReauthenticationRequiredException e) {
      reauth.incrementAndGet();
    } catch (TokenException e) {
      failures.incrementAndGet();
      firstFailure.compareAndSet(null, e.toString());
    } catch (RuntimeException e) {
      untyped.incrementAndGet();
      firstFailure.compareAndSet(null, e.toString());
    }
    maxCallNanos.accumulateAndGet(System.nanoTime() - started, Math::max);
  }

  /** {@code ok=.. reauth=.. failures=.. untyped=.. maxCallMillis=..}, as {@link ChildJvm.Result} reads it. */
  public String counts() {
    return "ok=" + ok + " reauth=" + reauth + " failures=" + failures + " untyped=" + untyped
        + " maxCallMillis=" + TimeUnit.NANOSECONDS.toMillis(maxCallNanos.get());
  }

  /** Stops the workers, writes the first failure (if any) to stderr, prints {@code result <counts>}. */
  public void stop(ScheduledExecutorService workers) throws InterruptedException {
    workers.shutdown();
    workers.awaitTermination(30, TimeUnit.SECONDS);
    if (firstFailure.get() != null) {
      System.err.println("first failure: " + firstFailure.get());
    }
    say("result " + counts());
  }

  /** The first failure a worker saw, or null. */
  public @Nullable String firstFailure() {
    return firstFailure.get();
  }

  /**
   * Calls {@code source}, printing {@code fetch} before and {@code fetched ok}, {@code fetched
   * refused <error>} or {@code fetched failed <status or exception>} after.
   */
  public static TokenResponse announce(TokenSource source, TokenRequest request)
      throws IOException, InterruptedException {
    say("fetch");
    try {
      TokenResponse response = source.fetch(request);
      say("fetched ok");
      return response;
    } catch (TokenEndpointException e) {
      say(e.isTerminal() ? "fetched refused " + e.error().orElse("-") : "fetched failed " + e.statusCode());
      throw e;
    } catch (IOException | RuntimeException e) {
      say("fetched failed " + e.getClass().getSimpleName());
      throw e;
    }
  }

  /** Prints one line on stdout at once; lines of different threads never interleave. */
  public static void say(String line) {
    synchronized (OUT) {
      OUT.println(line);
      OUT.flush();
    }
  }
}
