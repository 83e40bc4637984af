package dev.tokenkeeper.bench;

/**
 * The physical floor of the hot path: one volatile read of a cached token and one clock compare.
 * Any cache that can hand out a token without calling anyone must do at least this much.
 */
final class Floor implements Contender {
  private static final class Entry {
    final String token;
    final long expiresAtMillis;

    Entry(String token, long expiresAtMillis) {
      this.token = token;
      this.expiresAtMillis = expiresAtMillis;
    }
  }

  private volatile Entry entry;

  Floor(String token, long expiresAtMillis) {
    this.entry = new Entry(token, expiresAtMillis);
  }

  @Override
  public String token() {
    Entry e = entry;
    if (System.currentTimeMillis() < e.expiresAtMillis) {
      return e.token;
    }
    throw new IllegalStateException("the floor never refreshes; give it a longer-lived token");
  }

  /**
   * Below the floor, hypothetically: a cache that reads no clock at all because a timer flips the
   * entry to stale when its time comes. One volatile read; what Tokenkeeper's hot path would cost
   * if it dropped its clock read.
   */
  static final class NoClock {
    private static final class Entry {
      final String token;
      final boolean fresh;

      Entry(String token, boolean fresh) {
        this.token = token;
        this.fresh = fresh;
      }
    }

    private volatile Entry entry;

    NoClock(String token) {
      this.entry = new Entry(token, true);
    }

    String token() {
      Entry e = entry;
      if (e.fresh) {
        return e.token;
      }
      throw new IllegalStateException("never marked stale in a benchmark");
    }
  }
}
