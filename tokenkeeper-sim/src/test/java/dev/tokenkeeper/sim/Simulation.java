package dev.tokenkeeper.sim;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.Scheduler;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenEndpointException;
import dev.tokenkeeper.TokenException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.TokenSource;
import dev.tokenkeeper.TokenStore;
import dev.tokenkeeper.TokenStoreException;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * One run of the simulated world for one seed: N keeper processes, each a real {@link TokenKeeper}
 * (the real engine and shared-state protocol) on its own handle of a {@link SimStore}, against a
 * {@link SimServer}; a chaos generator that asks for tokens and injects faults; and the invariants,
 * checked after every step. See {@code package-info} for the model and its limits.
 */
final class Simulation {
  /** Extra time a caller may take past its deadline: the executor's hand-off (0–2 ms) and rounding. */
  static final long SLACK_MILLIS = 5;
  /** When the simulated world starts (the store's and server's clock). */
  private static final long EPOCH = Instant.parse("2026-11-30T00:00:00Z").toEpochMilli();

  /** The world's knobs, drawn from the seed (or fixed by a test). */
  record Config(long seed, int keepers, boolean shared, long attemptTimeout, long requestTimeout,
      long accessTtl, long graceMillis, long duration, long meanTick, long netDelay,
      double pSlowNet, double pLostRequest, double pLostAnswer, double p503, double pStall,
      double pNotifyLost, long notifyDelay, double pCrash, double pOutage, double pJump,
      double maxDriftPpm, boolean serverDate, double pInvalidate, double pStoreLatency,
      long storeLatency, boolean wholeSecondExpiry, SimStore.Bug bug) {

    /** A world with every fault, its sizes drawn from {@code seed}. */
    static Config random(long seed, SimStore.Bug bug) {
      SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
      long attempt = 500 + r.nextLong(3_500);
      long ttl = 3_000 + r.nextLong(57_000);
      boolean calm = r.nextInt(4) == 0; // a quarter of the worlds have no network loss
      return new Config(seed, 2 + r.nextInt(7), true, attempt,
          (long) (attempt * (0.5 + 1.5 * r.nextDouble())), ttl,
          r.nextBoolean() ? 0 : 1_000 + r.nextLong(29_000),
          ttl * (2 + r.nextInt(5)), Math.max(20, ttl / (10 + r.nextInt(30))),
          1 + r.nextLong(30), r.nextDouble() * 0.05,
          calm ? 0 : r.nextDouble() * 0.02, calm ? 0 : r.nextDouble() * 0.02,
          r.nextDouble() * 0.05, r.nextDouble() * 0.03, r.nextDouble() * 0.3, r.nextLong(100),
          r.nextDouble() * 0.02, r.nextDouble() * 0.02, r.nextDouble() * 0.01,
          r.nextDouble() * 500, r.nextBoolean(), r.nextDouble() * 0.03, r.nextDouble() * 0.5,
          1 + r.nextLong(10), false, bug);
    }

    /**
     * Like {@link #random}, with access tokens living 0.5 to 4 s announced in whole seconds
     * rounded down ({@code expires_in} 0 for a sub-second token, as Spring Authorization Server
     * says), an attempt timeout (lease ttl) of 3 to 5 s and a slow network on 20 % of trips.
     */
    static Config shortTokens(long seed) {
      return shortTokens(seed, true);
    }

    /**
     * The short-token world; without {@code wholeSeconds}, tokens live 1 to 4 s and
     * {@code expires_in} is exact to the millisecond.
     */
    static Config shortTokens(long seed, boolean wholeSeconds) {
      Config c = random(seed, SimStore.Bug.NONE);
      SplittableRandom r = new SplittableRandom(seed ^ 0x2545F4914F6CDD1DL);
      long attempt = 3_000 + r.nextLong(2_000);
      long ttl = wholeSeconds ? 500 + r.nextLong(3_500) : 1_000 + r.nextLong(3_000);
      return new Config(seed, c.keepers, true, attempt, attempt * 3 / 2, ttl, c.graceMillis,
          ttl * 20, Math.max(20, ttl / 10), c.netDelay, 0.2, c.pLostRequest, c.pLostAnswer, c.p503,
          c.pStall, c.pNotifyLost, c.notifyDelay, c.pCrash, c.pOutage, c.pJump, c.maxDriftPpm,
          c.serverDate, c.pInvalidate, c.pStoreLatency, c.storeLatency, wholeSeconds, SimStore.Bug.NONE);
    }

    /**
     * One keeper on a plain (not shared) store, no faults, callers in bursts: the engine's own
     * single-flight in one process.
     */
    static Config singleKeeper(long seed) {
      SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
      long ttl = 2_000 + r.nextLong(30_000);
      return new Config(seed, 1, false, 5_000, 10_000, ttl, 0, ttl * (3 + r.nextInt(6)),
          Math.max(10, ttl / (20 + r.nextInt(40))), 1 + r.nextLong(50), 0, 0, 0, 0, 0, 0, 0,
          0, 0, 0, 0, false, 0, 0, 0, false, SimStore.Bug.NONE);
    }
  }

  /** One refresh request a keeper sent to the token server. */
  static final class Request {
    final int id;
    final Incarnation from;
    final @Nullable String presented;
    long sentAt;
    long leaseFencing = -1;
    long leaseExpiresAt = Long.MIN_VALUE;
    boolean sentAfterLeaseLapsed;
    boolean unavailable;
    SimServer.@Nullable Outcome outcome;
    boolean delivered;
    boolean answerLost;
    boolean timedOut;
    boolean deliveredAfterLease;
    boolean rotated;
    boolean saved;
    long savedAt;
    boolean lostByCrash;
    boolean writeFailed;
    boolean expiredOnArrival;
    @Nullable String excuse;
    /** When the source handed the answer back to the engine (virtual time), or never. */
    long returnedAt = Long.MAX_VALUE;
    boolean pausedWithAnswer;

    Request(int id, Incarnation from, @Nullable String presented) {
      this.id = id;
      this.from = from;
      this.presented = presented;
    }
  }

  /** A keeper process slot: its clock survives its crashes (the machine's clock). */
  final class Process {
    final int index;
    long offset;
    final double driftPpm;
    int incarnations;
    @Nullable Incarnation current;

    Process(int index, long offset, double driftPpm) {
      this.index = index;
      this.offset = offset;
      this.driftPpm = driftPpm;
    }

    long localMillis() {
      long now = world.now();
      return now + offset + (long) (driftPpm * (now - EPOCH) / 1e6);
    }
  }

  /** One life of a process: a keeper and its store handle, until a crash. */
  final class Incarnation {
    final Process process;
    final String name;
    final SimStore.Handle handle;
    final TokenStore store;
    TokenKeeper keeper;
    boolean dead;
    boolean lostARotation;
    @Nullable AccessToken lastToken;
    @Nullable Request lastReturned;

    Incarnation(Process process) {
      this.process = process;
      this.name = "k" + process.index + "#" + process.incarnations++;
      this.handle = simStore.open(name);
      this.store = config.shared ? handle : plain(handle);
    }
  }

  /** A caller of {@code tokenAsync}. */
  static final class Caller {
    final Incarnation from;
    final long deadline;
    boolean done;

    Caller(Incarnation from, long deadline) {
      this.from = from;
      this.deadline = deadline;
    }
  }

  /** What one seed gave. */
  static final class Result {
    final Config config;
    final List<String> violations = new ArrayList<>();
    final Map<String, Integer> excused = new TreeMap<>();
    final Map<String, Integer> sessionsLost = new TreeMap<>();
    long steps;
    long virtualMillis;
    int requests;
    int rotations;
    int reuseDetections;
    int graceReuses;
    int crashes;
    int crashesInRotationWindow;
    int callers;
    int tokensServed;
    int typedErrors;
    int maxConcurrentRequests;
    int presentedTwice;
    /** The shortest time between two endpoint calls leaving, in ms. */
    long minGapBetweenRequests = Long.MAX_VALUE;
    int maxDepth;
    List<String> trace = List.of();

    Result(Config config) {
      this.config = config;
    }

    boolean failed() {
      return !violations.isEmpty();
    }

    /** Everything the run decided, for the determinism check. */
    String fingerprint() {
      return steps + "/" + virtualMillis + "/" + requests + "/" + rotations + "/" + callers + "/"
          + tokensServed + "/" + typedErrors + "/" + violations + "/" + excused;
    }
  }

  private final Config config;
  private final SimWorld world;
  private final SimServer server;
  private final SimStore simStore;
  private final Result result;
  private final List<Process> processes = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final PriorityQueue<Caller> pending = new PriorityQueue<>((a, b) -> Long.compare(a.deadline, b.deadline));
  private final Map<String, Request> rotationOf = new HashMap<>();
  private final Set<Long> epochs = new HashSet<>();
  private final Set<String> presented = new HashSet<>();
  private final Map<Integer, Long> familySavedAt = new HashMap<>();
  private int nextRequest;
  private int inFlight;
  private long lastSent = Long.MIN_VALUE;
  private final long endAt;

  private static final class Waiter {
    final SimStore.Handle handle;
    boolean woken;

    Waiter(SimStore.Handle handle) {
      this.handle = handle;
    }
  }

  private Simulation(Config config, boolean tracing) {
    this.config = config;
    this.world = new SimWorld(config.seed, EPOCH, tracing);
    this.server = new SimServer(config.graceMillis);
    this.result = new Result(config);
    this.simStore = new SimStore(world::now, this::awaitChange, new StoreObserver(), config.bug);
    this.endAt = EPOCH + config.duration;
    simStore.latency(this::storeTrip);
    world.state(this::describeState);
    world.afterStep(this::checkCallers);
    world.onLivelock(() -> violation("livelock: " + SimWorld.LIVELOCK_STEPS + " steps without the clock moving"));
  }

  /** Runs the world of {@code config}; with {@code tracing}, the result holds the whole trace. */
  static Result run(Config config, boolean tracing) {
    return new Simulation(config, tracing).run();
  }

  private Result run() {
    for (int i = 0; i < config.keepers; i++) {
      long offset = config.pJump == 0 ? 0 : world.random.nextLong(-2_000, 2_001);
      double drift = config.maxDriftPpm == 0 ? 0 : (world.random.nextDouble() * 2 - 1) * config.maxDriftPpm;
      Process p = new Process(i, offset, drift);
      processes.add(p);
      p.current = start(p);
    }
    Incarnation first = processes.get(0).current;
    String[] tokens = server.signIn();
    first.keeper.signIn(response(tokens[0], tokens[1]));
    world.trace("world", () -> "started: " + config);
    world.after(0, "tick", this::tick);
    world.runUntil(() -> false, endAt + 10_000 + 100);
    if (!world.stopped()) {
      checkCallers();
      for (Caller c : pending) {
        if (!c.done && !c.from.dead) {
          violation("caller of " + c.from.name + " never answered (deadline "
              + (c.deadline - EPOCH) + " ms)");
          break;
        }
      }
    }
    result.steps = world.steps();
    result.virtualMillis = world.now() - EPOCH;
    result.rotations = server.rotations;
    result.reuseDetections = server.reuseDetections;
    result.graceReuses = server.graceReuses;
    result.maxDepth = world.maxDepth();
    result.trace = world.traceLines();
    for (Process p : processes) {
      if (p.current != null && !p.current.dead) {
        p.current.dead = true; // nothing of this world may run again
      }
    }
    return result;
  }

  // ------------------------------------------------------------------------------- processes

  private Incarnation start(Process p) {
    Incarnation inc = new Incarnation(p);
    SplittableRandom keeperRandom = world.random.split();
    Executor executor = task -> world.after(world.random.nextLong(3), inc.name + " exec",
        () -> runAs(inc, task));
    Scheduler scheduler = (task, delay) -> world.after(ceilMillis(delay), inc.name + " timer",
        () -> runAs(inc, task));
    InstantSource clock = () -> Instant.ofEpochMilli(p.localMillis());
    inc.keeper = TokenKeeper.newBuilder(new Source(inc))
        .name(inc.name)
        .store(inc.store)
        .clock(clock)
        .scheduler(scheduler)
        .executor(executor)
        .random(keeperRandom::nextLong)
        .attemptTimeout(Duration.ofMillis(config.attemptTimeout))
        .listener(new Listener(inc))
        .build();
    world.trace(inc.name, () -> "started, store holds v" + simStore.peek().version());
    return inc;
  }

  private void runAs(Incarnation inc, Runnable task) {
    if (inc.dead || world.stopped()) {
      return; // a dead process runs nothing more
    }
    try {
      task.run();
    } catch (SimCrash e) {
      // the process died while this ran: unwound
    } catch (Throwable t) {
      violation(inc.name + ": a keeper task threw " + t);
    }
  }

  private static long ceilMillis(Duration d) {
    long ms = d.toMillis();
    return d.minusMillis(ms).isZero() ? ms : ms + 1;
  }

  private static TokenStore plain(TokenStore store) {
    return new TokenStore() {
      @Override
      public StoredTokens load() {
        return store.load();
      }

      @Override
      public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
        return store.compareAndSet(expectedVersion, replacement);
      }
    };
  }

  private TokenResponse response(String access, String refresh) {
    Duration expiresIn = config.wholeSecondExpiry
        ? Duration.ofSeconds(config.accessTtl / 1000) : Duration.ofMillis(config.accessTtl);
    TokenResponse r = TokenResponse.bearer(access).withExpiresIn(expiresIn)
        .withRefreshToken(refresh);
    return config.serverDate ? r.withServerDate(Instant.ofEpochMilli(world.now() / 1000 * 1000)) : r;
  }

  // ---------------------------------------------------------------------------------- chaos

  private void tick() {
    if (world.now() >= endAt) {
      return;
    }
    Incarnation inc = randomLive();
    double x = world.random.nextDouble();
    if (inc == null) {
      // every process is down: restarts are scheduled
    } else if (x < config.pCrash) {
      crash(inc);
    } else if ((x -= config.pCrash) < config.pOutage) {
      long d = 20 + world.random.nextLong(1_000);
      simStore.unavailableUntil(world.now() + d);
      world.trace("store", () -> "unavailable for " + d + " ms");
    } else if ((x -= config.pOutage) < config.pJump) {
      Process p = inc.process;
      long jump = world.random.nextInt(10) == 0
          ? world.random.nextLong(-3_600_000, 3_600_001) : world.random.nextLong(-30_000, 30_001);
      p.offset += jump;
      world.trace("k" + p.index, () -> "clock jumps " + jump + " ms");
    } else if ((x -= config.pJump) < config.pInvalidate) {
      AccessToken t = inc.lastToken;
      if (t != null) {
        boolean current = inc.keeper.invalidate(t);
        world.trace(inc.name, () -> "a server rejected " + t.value() + (current ? " (current)" : " (late)"));
      }
    } else if (simStore.peek().sessionEnded() != null && world.random.nextInt(8) == 0) {
      signIn(inc);
    } else {
      int burst = world.random.nextInt(5) == 0 ? 1 + world.random.nextInt(20) : 1;
      for (int i = 0; i < burst; i++) {
        Incarnation who = i == 0 ? inc : randomLive();
        ask(who, 1 + world.random.nextLong(world.random.nextBoolean() ? 1_000 : 10_000));
      }
    }
    long next = 1 + (long) (-Math.log(1 - world.random.nextDouble()) * config.meanTick);
    world.after(next, "tick", this::tick);
  }

  private @Nullable Incarnation randomLive() {
    List<Incarnation> live = new ArrayList<>();
    for (Process p : processes) {
      if (p.current != null && !p.current.dead) {
        live.add(p.current);
      }
    }
    return live.isEmpty() ? null : live.get(world.random.nextInt(live.size()));
  }

  private void signIn(Incarnation inc) {
    String[] tokens = server.signIn();
    world.trace(inc.name, () -> "the user signs in again: " + tokens[1]);
    try {
      inc.keeper.signIn(response(tokens[0], tokens[1]));
    } catch (TokenStoreException e) {
      world.trace(inc.name, () -> "sign-in could not write the store");
    }
  }

  private void crash(Incarnation inc) {
    inc.dead = true;
    inc.handle.kill();
    result.crashes++;
    boolean window = false;
    for (Request r : rotationOf.values()) {
      if (r.from == inc && !r.saved && !r.lostByCrash) {
        r.lostByCrash = true;
        window = true;
      }
    }
    if (window) {
      lostRotation(inc);
    }
    boolean inWindow = window;
    world.trace(inc.name, () -> "CRASH" + (inWindow ? " in the rotation window" : ""));
    Process p = inc.process;
    p.current = null;
    world.after(50 + world.random.nextLong(3_000), "restart", () -> restart(p));
  }

  /** A new keeper for a crashed process, from the store; retried while the store is down. */
  private void restart(Process p) {
    if (world.stopped()) {
      return;
    }
    try {
      p.current = start(p);
    } catch (TokenStoreException e) {
      world.trace("k" + p.index, () -> "restart failed: the store is unavailable; retrying");
      world.after(100 + world.random.nextLong(500), "restart", () -> restart(p));
    }
  }

  private void lostRotation(Incarnation inc) {
    if (!inc.lostARotation) {
      inc.lostARotation = true;
      result.crashesInRotationWindow++;
    }
  }

  // -------------------------------------------------------------------------------- callers

  private void ask(@Nullable Incarnation inc, long timeout) {
    if (inc == null) {
      return;
    }
    Caller c = new Caller(inc, world.now() + timeout);
    result.callers++;
    pending.add(c);
    world.trace(inc.name, () -> "caller asks, deadline in " + timeout + " ms");
    inc.keeper.tokenAsync(Duration.ofMillis(timeout)).whenComplete((token, failure) -> answered(c, token, failure));
  }

  private void answered(Caller c, @Nullable AccessToken token, @Nullable Throwable failure) {
    c.done = true;
    if (c.from.dead || world.stopped()) {
      return;
    }
    long late = world.now() - c.deadline;
    if (late > SLACK_MILLIS) {
      violation("caller of " + c.from.name + " answered " + late + " ms after its deadline");
    }
    if (token != null) {
      result.tokensServed++;
      c.from.lastToken = token;
      if (!server.issued(token.value())) {
        violation("caller of " + c.from.name + " got a token the server never issued");
      }
      world.trace(c.from.name, () -> "caller gets " + token.value());
      return;
    }
    Throwable f = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (!(f instanceof TokenException)) {
      violation("caller of " + c.from.name + " got an untyped failure: " + f);
      return;
    }
    result.typedErrors++;
    if (f instanceof ReauthenticationRequiredException && server.refusals == 0) {
      violation("caller of " + c.from.name + " told to sign in again, but the server never refused anything");
    }
    world.trace(c.from.name, () -> "caller gets " + f.getClass().getSimpleName());
  }

  /** After every step: no caller may still wait past its deadline plus the slack. */
  private void checkCallers() {
    while (!pending.isEmpty()) {
      Caller c = pending.peek();
      if (c.done || c.from.dead) {
        pending.poll();
        continue;
      }
      if (world.now() > c.deadline + SLACK_MILLIS) {
        pending.poll();
        violation("caller of " + c.from.name + " still waiting " + (world.now() - c.deadline)
            + " ms after its deadline");
      }
      return;
    }
  }

  // ------------------------------------------------------------------------- token server

  /** Each process's token source: the network to the simulated server and back. */
  private final class Source implements TokenSource {
    private final Incarnation inc;

    Source(Incarnation inc) {
      this.inc = inc;
    }

    @Override
    public TokenResponse fetch(TokenRequest request) throws IOException {
      String rt = request.refreshToken() == null ? null : request.refreshToken().value();
      Request r = new Request(++nextRequest, inc, rt);
      long localSent = inc.process.localMillis();
      SimStore.Lease lease = null;
      if (config.shared) {
        lease = inc.handle.heldLease();
        if (lease == null) {
          violation(inc.name + " calls the endpoint without holding the refresh lease");
        } else {
          r.leaseFencing = lease.fencing;
          r.leaseExpiresAt = lease.expiresAt;
          if (!epochs.add(lease.fencing)) {
            violation(inc.name + " makes a second endpoint call in lease epoch " + lease.fencing);
          }
        }
      }
      if (world.random.nextDouble() < config.pStall) {
        long d = 1 + world.random.nextLong(2 * config.attemptTimeout);
        world.trace(inc.name, () -> "pauses (GC) " + d + " ms before the request leaves");
        world.runUntil(() -> inc.dead, world.now() + d);
      }
      if (inc.dead || world.stopped()) {
        throw new SimCrash(inc.name);
      }
      r.sentAt = world.now();
      if (lastSent != Long.MIN_VALUE) {
        result.minGapBetweenRequests = Math.min(result.minGapBetweenRequests, r.sentAt - lastSent);
      }
      lastSent = r.sentAt;
      r.sentAfterLeaseLapsed = lease != null && !lease.isHeld();
      result.requests++;
      inFlight++;
      result.maxConcurrentRequests = Math.max(result.maxConcurrentRequests, inFlight);
      if (rt != null && !presented.add(rt)) {
        result.presentedTwice++;
      }
      world.trace(inc.name, () -> "request " + r.id + " sends " + rt + " (lease "
          + (r.leaseFencing < 0 ? "none" : "f" + r.leaseFencing) + (r.sentAfterLeaseLapsed ? ", LAPSED" : "") + ")");
      if (world.random.nextDouble() < config.pLostRequest) {
        world.trace("net", () -> "request " + r.id + " lost");
      } else {
        world.after(netDelay(), "deliver request " + r.id, () -> serve(r));
      }
      try {
        world.runUntil(() -> r.delivered || inc.dead, world.now() + config.requestTimeout);
      } finally {
        inFlight--;
      }
      if (inc.dead || world.stopped()) {
        throw new SimCrash(inc.name);
      }
      if (!r.delivered) {
        r.timedOut = true;
        world.trace(inc.name, () -> "request " + r.id + " timed out");
        throw new HttpTimeoutException("simulated request timed out");
      }
      if (world.random.nextDouble() < config.pStall) {
        long d = 1 + world.random.nextLong(2 * config.attemptTimeout);
        r.pausedWithAnswer = true;
        world.trace(inc.name, () -> "pauses (GC) " + d + " ms with the answer of request " + r.id);
        world.runUntil(() -> inc.dead, world.now() + d);
        if (inc.dead || world.stopped()) {
          throw new SimCrash(inc.name);
        }
      }
      SimServer.Outcome o = r.outcome;
      r.returnedAt = world.now();
      if (r.unavailable || o == null) {
        throw TokenEndpointException.unavailable(503, "temporarily_unavailable", null, "simulated 503");
      }
      if (o.refused()) {
        throw TokenEndpointException.rejected(400, "invalid_grant", "simulated refusal");
      }
      inc.lastReturned = r;
      world.trace(inc.name, () -> "request " + r.id + " returns " + o.refreshToken() + " after "
          + (inc.process.localMillis() - localSent) + " ms on its clock");
      return response(o.accessToken(), o.refreshToken());
    }
  }

  private long netDelay() {
    if (world.random.nextDouble() < config.pSlowNet) {
      return world.random.nextLong(2 * config.requestTimeout + 1);
    }
    return world.random.nextLong(config.netDelay + 1);
  }

  private void serve(Request r) {
    if (world.random.nextDouble() < config.p503) {
      r.unavailable = true;
      world.trace("server", () -> "request " + r.id + ": 503");
    } else {
      SimServer.Issued entry = server.lookup(r.presented);
      if (entry != null && entry.retired) {
        presentedRetired(r, entry);
      } else if (entry != null) {
        checkNotOlderSession(r, entry);
      }
      SimServer.Outcome o = server.redeem(r.presented, world.now(), r);
      r.outcome = o;
      if (o.reuseDetected()) {
        result.sessionsLost.merge(r.excuse != null ? r.excuse : "violation", 1, Integer::sum);
      }
      if (!o.refused() && !o.graceReuse()) {
        r.rotated = true;
        rotationOf.put(o.refreshToken(), r);
        if (r.from.dead) {
          r.lostByCrash = true;
          lostRotation(r.from);
        }
      }
      world.trace("server", () -> "request " + r.id + ": " + (o.refused()
          ? (o.reuseDetected() ? "REUSE DETECTED, family revoked" : "refused") : (o.graceReuse()
              ? "grace reuse, gives " + o.refreshToken() : "rotates to " + o.refreshToken())));
    }
    if (world.random.nextDouble() < config.pLostAnswer) {
      r.answerLost = true;
      world.trace("net", () -> "answer of request " + r.id + " lost");
      return;
    }
    world.after(netDelay(), "deliver answer " + r.id, () -> {
      if (r.timedOut || r.from.dead) {
        return;
      }
      r.delivered = true;
      r.deliveredAfterLease = config.shared && world.now() >= r.leaseExpiresAt;
    });
  }

  /**
   * Invariant 1: a refresh token is never presented after its successor was issued, unless what
   * made it happen is something no client can prevent (each counted by its cause).
   */
  private void presentedRetired(Request r, SimServer.Issued entry) {
    Request rho = entry.retiredBy;
    String excuse = world.now() >= r.leaseExpiresAt && r.leaseFencing >= 0
        ? "request slower than its lease (arrived after it lapsed)"
        : r.timedOut ? "request arrived after its client gave up on it" : excuse(r, rho);
    if (excuse == null) {
      violation(r.from.name + " presented " + r.presented + " (request " + r.id + ") after the server"
          + " had rotated it" + (rho == null ? "" : " for " + rho.from.name + " (request " + rho.id
              + (rho.saved ? ", saved to the store " + (r.sentAt - rho.savedAt) + " ms before this request left"
                  : ", never saved") + ", its lease " + (rho.leaseFencing < 0 ? "none" : "f" + rho.leaseFencing
                  + " until " + (rho.leaseExpiresAt - EPOCH)) + "; this one sent at " + (r.sentAt - EPOCH)
                  + " with lease f" + r.leaseFencing + ")"));
      return;
    }
    result.excused.merge(excuse, 1, Integer::sum);
    r.excuse = excuse;
    world.trace("check", () -> "retired " + r.presented + " presented; excused: " + excuse);
  }

  private static @Nullable String excuse(Request r, @Nullable Request rho) {
    if (rho == null) {
      return null;
    }
    if (r.sentAfterLeaseLapsed || rho.sentAfterLeaseLapsed) {
      return "a pause past the lease before the request left";
    }
    if (rho.saved && rho.savedAt <= r.sentAt) {
      return null;
    }
    if (rho.lostByCrash) {
      return "crash in the rotation window";
    }
    if (rho.answerLost) {
      return "answer lost in the network";
    }
    if (rho.timedOut || rho.deliveredAfterLease || (!rho.delivered && r.sentAt >= rho.leaseExpiresAt)) {
      return "answer slower than the lease";
    }
    if (rho.returnedAt >= rho.leaseExpiresAt) {
      // The answer reached the keeper's thread only after its lease lapsed: a GC pause there, or
      // (in this simulation) a thread resumed late because a later-blocked call nested above it.
      return rho.pausedWithAnswer ? "a pause past the lease with the answer in hand"
          : "the rotating thread resumed past its lease (nesting)";
    }
    if (!rho.saved && rho.from.handle.writesInFlight > 0) {
      return "the write was slower than the lease (store latency or a thread resumed late)";
    }
    if (rho.writeFailed) {
      return "store unavailable for the write";
    }
    // An answer already expired on arrival is no excuse any more: the engine keeps its rotated
    // refresh token (KnownEngineBugsTest.answerAlreadyExpired_rotatedRefreshTokenIsKept).
    return null;
  }

  /** A refresh token of an older session, presented after a sign-in was stored. */
  private void checkNotOlderSession(Request r, SimServer.Issued entry) {
    if (r.sentAfterLeaseLapsed) {
      return;
    }
    for (Map.Entry<Integer, Long> saved : familySavedAt.entrySet()) {
      if (saved.getKey() > entry.family && saved.getValue() <= r.sentAt && !server.revoked(entry.family)) {
        violation(r.from.name + " presented " + r.presented + " of an older session after the sign-in"
            + " of family " + saved.getKey() + " was stored");
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------- the store

  /** One way of a store call: sometimes it takes a few ms, during which the world goes on. */
  private void storeTrip(SimStore.Handle handle) {
    if (config.pStoreLatency == 0 || world.random.nextDouble() >= config.pStoreLatency) {
      return;
    }
    long d = 1 + world.random.nextLong(config.storeLatency);
    world.runUntil(handle::dead, world.now() + d);
    if (handle.dead() || world.stopped()) {
      throw new SimCrash(handle.owner);
    }
  }

  private void awaitChange(SimStore.Handle handle, long knownVersion, long timeoutMillis) {
    Waiter w = new Waiter(handle);
    waiters.add(w);
    try {
      world.runUntil(() -> w.woken || handle.dead(), world.now() + timeoutMillis);
    } finally {
      waiters.remove(w);
    }
    if (world.stopped()) {
      throw new SimCrash("the world stopped:"); // unwind: nothing may run after a violation
    }
  }

  private final class StoreObserver implements SimStore.Observer {
    @Override
    public void written(SimStore.Handle by, StoredTokens before, StoredTokens after) {
      if (after.version() <= before.version()) {
        violation(by.owner + " moved the store back from v" + before.version() + " to v" + after.version());
      }
      String rt = after.refreshToken() == null ? null : after.refreshToken().value();
      SimServer.Issued now = server.lookup(rt);
      SimServer.Issued was = server.lookup(before.refreshToken() == null ? null : before.refreshToken().value());
      if (now != null && was != null && now.family == was.family && now.generation < was.generation) {
        violation(by.owner + " wrote " + rt + " over the newer " + was.value);
      }
      if (now != null) {
        Request rotation = rotationOf.get(rt);
        if (rotation != null && !rotation.saved) {
          rotation.saved = true;
          rotation.savedAt = world.now();
        }
        if (now.generation == 0) {
          familySavedAt.putIfAbsent(now.family, world.now());
        }
      }
      if (after.sessionEnded() == ReauthenticationRequiredException.Reason.CREDENTIALS_REJECTED
          && server.refusals == 0) {
        violation(by.owner + " stored the end of the session, but the server never refused anything");
      }
      world.trace(by.owner, () -> "writes v" + after.version() + " " + (rt == null ? "" : rt)
          + (after.sessionEnded() != null ? " session ended: " + after.sessionEnded() : ""));
      for (Waiter w : List.copyOf(waiters)) {
        if (world.random.nextDouble() < config.pNotifyLost) {
          world.trace("store", () -> "change notification to " + w.handle.owner + " lost");
        } else {
          world.after(world.random.nextLong(config.notifyDelay + 1), "notify " + w.handle.owner,
              () -> w.woken = true);
        }
      }
    }

    @Override
    public void writeFailed(SimStore.Handle by, StoredTokens replacement) {
      String rt = replacement.refreshToken() == null ? null : replacement.refreshToken().value();
      Request rotation = rt == null ? null : rotationOf.get(rt);
      if (rotation != null && !rotation.saved) {
        rotation.writeFailed = true;
      }
      world.trace(by.owner, () -> "write of v" + replacement.version() + " failed: store unavailable");
    }

    @Override
    public void leased(SimStore.Handle by, SimStore.Lease lease) {
      world.trace(by.owner, () -> "takes the lease f" + lease.fencing);
    }
  }

  /** Each incarnation's listener: session ends must follow a real refusal. */
  private final class Listener implements TokenListener {
    private final Incarnation inc;

    Listener(Incarnation inc) {
      this.inc = inc;
    }

    @Override
    public void onSessionExpired(SessionExpired event) {
      if (!inc.dead && server.refusals == 0) {
        violation(inc.name + " ended its session, but the server never refused anything");
      }
      world.trace(inc.name, () -> "session expired");
    }

    @Override
    public void onRefreshFailed(RefreshFailed event) {
      if (event.failure().contains("already expired") && inc.lastReturned != null) {
        Request r = inc.lastReturned;
        if (!r.saved) {
          r.expiredOnArrival = true;
        }
      }
      world.trace(inc.name, () -> "refresh failed: " + event.failure());
    }
  }

  // --------------------------------------------------------------------------------- helpers

  private void violation(String what) {
    if (world.stopped()) {
      return;
    }
    result.violations.add("t=" + (world.now() - EPOCH) + " ms, step " + world.steps() + ": " + what);
    world.trace("VIOLATION", () -> what);
    world.stop();
  }

  private String describeState() {
    StoredTokens t = simStore.peek();
    SimStore.Lease h = simStore.holder();
    return "v" + t.version() + (t.sessionEnded() != null ? "(ended)" : "") + " lease "
        + (h == null ? "-" : h.handle.owner + "/f" + h.fencing);
  }
}
