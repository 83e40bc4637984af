#!/bin/sh
# Step 0 of issue 15: the engine before (026c88a) and after the shared-state protocol, on the
# single-JVM memory-store paths. Both jars are built from their commit with
#   mvn -B -ntp -q -pl tokenkeeper-bench -am package -DskipTests
# (old: in a detached worktree at 026c88a; new: at f6809a2, this branch's starting commit), copied
# to $OLD and $NEW. The benchmark code is the same at both commits (no change under
# tokenkeeper-bench between them); tokenkeeper-core differs, and tokenkeeper-testing's scripted
# server gained options B2 does not use. Runs interleave old, new, old, new.
set -eu
OLD=${OLD:-/tmp/i15/bench-old.jar}
NEW=${NEW:-/tmp/i15/bench-new.jar}
J17=${J17:-java}
J25=${J25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
OUT=${OUT:-tokenkeeper-bench/results/shared-protocol}
ROUNDS=${ROUNDS:-5}
mkdir -p "$OUT"
: > "$OUT/load.txt"
round=1
while [ "$round" -le "$ROUNDS" ]; do
  for v in old new; do
    if [ "$v" = old ]; then jar=$OLD; else jar=$NEW; fi
    echo "round $round $v b1 start $(date -u +%T) $(cat /proc/loadavg)" >> "$OUT/load.txt"
    "$J17" -jar "$jar" jmh 'HotPathBenchmark\.tokenkeeper(Header)?$' -f 1 -wi 2 -w 500ms -i 4 -r 500ms -t 1 \
      -prof gc -prof dev.tokenkeeper.bench.CpuTimeProfiler -jvmArgsAppend '-Xms1g -Xmx1g' \
      -rf json -rff "$OUT/b1-$v-r$round.json" > "$OUT/b1-$v-r$round.txt" 2>&1
    echo "round $round $v b2 platform start $(date -u +%T) $(cat /proc/loadavg)" >> "$OUT/load.txt"
    "$J17" -jar "$jar" b2 --platform --sizes 1000 --reps 3 --contenders harness,tokenkeeper \
      --results "$OUT/b2-platform-$v-r$round" > /dev/null 2>&1
    echo "round $round $v b2 virtual start $(date -u +%T) $(cat /proc/loadavg)" >> "$OUT/load.txt"
    "$J25" -jar "$jar" b2 --sizes 10000 --reps 3 --contenders harness,tokenkeeper \
      --results "$OUT/b2-virtual-$v-r$round" > /dev/null 2>&1
  done
  round=$((round + 1))
done
echo "end $(date -u +%T) $(cat /proc/loadavg)" >> "$OUT/load.txt"
