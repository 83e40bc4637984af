package dev.tokenkeeper.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** What the figures were measured on: CPU, load, JDK. The load matters: the machine may be shared. */
final class Machine {
  private Machine() {}

  static String describe() {
    return "machine: " + Runtime.getRuntime().availableProcessors() + " CPUs (" + cpuModel() + "), "
        + System.getProperty("os.name") + " " + System.getProperty("os.version") + "\n"
        + "JDK: " + System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name")
        + " " + System.getProperty("java.runtime.version") + "\n"
        + "at " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ", load average " + loadAverage();
  }

  /** The 1-, 5- and 15-minute load averages, or "unknown" off Linux. */
  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  /** The running JDK's feature version, e.g. 17 or 25. */
  static int jdk() {
    return Runtime.version().feature();
  }
}
