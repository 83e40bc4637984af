package dev.tokenkeeper.smoke.internal;

// Reaches into Tokenkeeper's implementation, which no other module may do.
import dev.tokenkeeper.internal.*;

/** Must not compile. */
public final class UsesInternal {
  private UsesInternal() {}
}
