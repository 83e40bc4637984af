package dev.tokenkeeper.bench;

import java.lang.reflect.Method;
import java.util.concurrent.ThreadFactory;
import org.jspecify.annotations.Nullable;

/**
 * Virtual threads when the running JDK has them (21+), found by reflection because this module is
 * compiled for Java 17; platform threads otherwise.
 */
final class Threads {
  private static final @Nullable ThreadFactory VIRTUAL = virtualFactory();

  private Threads() {}

  /** Returns {@code true} on a JDK with virtual threads. */
  static boolean virtualAvailable() {
    return VIRTUAL != null;
  }

  /** Virtual threads if {@code virtual} and available, else daemon platform threads. */
  static ThreadFactory factory(boolean virtual) {
    if (virtual) {
      if (VIRTUAL == null) {
        throw new IllegalStateException("virtual threads need JDK 21+; this is " + Runtime.version());
      }
      return VIRTUAL;
    }
    return task -> {
      Thread t = new Thread(task);
      t.setDaemon(true);
      return t;
    };
  }

  private static @Nullable ThreadFactory virtualFactory() {
    try {
      Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
      // Call through the public interface: the builder's class itself is internal to java.base.
      Method factory = Class.forName("java.lang.Thread$Builder").getMethod("factory");
      return (ThreadFactory) factory.invoke(builder);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }
}
