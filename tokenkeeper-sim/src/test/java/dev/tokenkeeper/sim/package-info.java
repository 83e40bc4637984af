/**
 * Deterministic simulation of keepers sharing a token store (issue 18).
 *
 * <h2>The world</h2>
 *
 * One seed drives everything ({@link dev.tokenkeeper.sim.Simulation.Config#random}): 2 to 8 keeper
 * processes, each a real {@code TokenKeeper} (the real engine and shared-state protocol, unchanged)
 * built with the simulation's clock, scheduler, executor and random numbers, on its own handle of
 * a {@link dev.tokenkeeper.sim.SimStore} (versioned compare-and-set, a refresh lease with a fencing
 * counter and a ttl on the store's clock, change notifications that are delayed or lost, store
 * calls that take a few ms, outages that throw {@code TokenStoreException}), against a
 * {@link dev.tokenkeeper.sim.SimServer} (rotation, reuse detection, an optional reuse grace
 * window). A chaos generator asks for tokens ({@code tokenAsync}, never the blocking
 * {@code token()}), in bursts; reports 401s ({@code invalidate}); signs the user in again after a
 * session ended; crashes processes (memory lost, the store survives, a new keeper starts from the
 * store) at any step, including between the server's rotation and the store write; makes the
 * store unavailable; jumps and drifts each process's clock. The network loses, delays and
 * reorders requests and answers; a refresh thread pauses (GC) before its request leaves or with
 * the answer in hand. There is no real thread (one thread runs the whole world) and no socket.
 *
 * <h2>Blocking calls nest the event loop</h2>
 *
 * The code under test makes two kinds of blocking call on its executor threads: {@code
 * TokenSource.fetch} (the simulated endpoint) and the store's calls ({@code awaitChange}, and a
 * store round trip when the seed gives the store latency). Each runs the world's event loop
 * forward, nested ({@link dev.tokenkeeper.sim.SimWorld#runUntil}), until its condition holds (the
 * answer arrived, a change notification, the trip's time passed) or its timeout passes on the
 * virtual clock. Timers, other keepers' tasks and callers' deadlines all run inside that loop at
 * their due time, so:
 *
 * <ul>
 *   <li><b>What it produces faithfully:</b> everything that can happen while one thread blocks:
 *       other keepers reading, leasing, refreshing and writing; timers (attempt deadlines, caller
 *       deadlines, backoff); crashes; outages; notifications. Every blocking call returns at or
 *       after its condition, never before; the virtual clock never goes back.
 *   <li><b>What it cannot produce:</b> blocked threads resume in LIFO order. A thread whose
 *       condition came true while a thread that blocked after it is still blocked resumes only when
 *       that one returns: late. A late resumption is a pause of that thread, which a real process
 *       can also suffer (GC, CPU starvation), so it is not an impossible interleaving, but it is
 *       over-represented, and orders that need the earlier-blocked thread to resume first while
 *       the later one still waits are never produced. The checker therefore classifies the harm a
 *       late thread does exactly like that of a pause (below), and reports such cases under their
 *       own name ("resumed past its lease (nesting)") so the figures show how often it happens.
 *       Between two blocking calls the engine's code runs atomically: races inside the engine's
 *       own lock-free code (two threads of one keeper at the same instant) are not explored here;
 *       {@code TokenKeeperConcurrencyTest} and friends cover those with real threads.
 * </ul>
 *
 * <h2>Determinism</h2>
 *
 * Everything random comes from the seed (the world's {@code SplittableRandom}, split for each
 * keeper's jitter); time is the virtual clock. One thing is outside the seed: the engine releases a
 * flight's waiters in the iteration order of a {@code ConcurrentHashMap} keyed by identity, which
 * follows identity hash codes, and the order decides, for example, which waiter starts the next
 * flight. The module's tests therefore run with {@code -XX:+UnlockExperimentalVMOptions
 * -XX:hashCode=2} (a constant identity hash: insertion order), set in its POM; {@code
 * SimulationTest.sameSeed_sameRun} runs 200 seeds twice in one JVM and compares them (without the
 * flag it failed at seed 172). Run {@code SimMain} with the same flag to replay a seed exactly.
 *
 * <h2>Invariants, checked after every step</h2>
 *
 * <ol>
 *   <li>No refresh token reaches the server after its successor was issued, except when
 *       something no client can prevent made it happen; each such cause is counted on its own:
 *       a crash in the rotation window; the answer lost; a request or answer slower than the lease
 *       (or the request timeout: the client gave up on a request that still arrived); a pause (or
 *       a late resumption) of the refreshing thread past its lease, before the request left or with
 *       the answer in hand; a store write slower than the lease; the store unavailable for the
 *       write. If the successor was in the store before the request left, or its keeper had the
 *       answer back while its lease still held and wrote nothing, it is a violation.
 *   <li>At most one endpoint call per lease epoch (fencing number), and none without the lease.
 *   <li>Every caller gets a token the server issued, or a {@code TokenException}, by its deadline
 *       plus {@link dev.tokenkeeper.sim.Simulation#SLACK_MILLIS} (the executor hand-off of 0 to 2
 *       ms, plus rounding). Callers of a process that crashed are not counted.
 *   <li>A session ends (a listener hears it, a caller is told to sign in again, the store records
 *       it) only after the server really refused something.
 *   <li>The store never goes back: every write raises the version, and never replaces a refresh
 *       token by an older one of the same family.
 *   <li>No step livelocks (200,000 steps without the clock moving).
 * </ol>
 *
 * <h2>Replaying a seed</h2>
 *
 * A failing seed prints its violation, the end of its trace (the whole trace is written to {@code
 * target/sim-traces/seed-N.txt}: time, step, who, store version, lease owner, event) and the command
 * that replays it: {@code mvn -B -pl tokenkeeper-sim -am test -Dtest=SimulationTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dsim.seed=N}. Found seeds go to {@code
 * regression-seeds.txt} (test resources), replayed in every build.
 */
@NullMarked
package dev.tokenkeeper.sim;

import org.jspecify.annotations.NullMarked;
