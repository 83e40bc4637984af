package dev.tokenkeeper.sim;

/**
 * Unwinds what a crashed process was still running (a blocking call nested in the event loop):
 * the process is dead, so nothing it does after this point may reach the store or the server.
 * An {@link Error}, so that the engine's handlers for exceptions let it through.
 */
final class SimCrash extends Error {
  private static final long serialVersionUID = 1L;

  SimCrash(String process) {
    super(process + " crashed", null, false, false);
  }
}
