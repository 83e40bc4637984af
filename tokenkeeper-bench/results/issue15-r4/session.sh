#!/bin/sh
# Issue 15, round 4 (session 6): every figure of BENCHMARKS.md's summary table, in one session, in this order.
# From the repository root, with nothing else running, after:
#   mvn -B -ntp -pl tokenkeeper-bench -am package -DskipTests
# The cluster row runs the redis-long storm of tokenkeeper-redis (redis-server on the PATH).
set -eu
JAR=${JAR:-tokenkeeper-bench/target/benchmarks.jar}
J17=${J17:-java}
J25=${J25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
R=${R:-tokenkeeper-bench/results/issue15-r4}
ALL=harness,tokenkeeper,google,aws,azure,spring,naive
log() { echo "$(date -u +%T) $(cat /proc/loadavg) $*" >> "$R/load.txt"; }
: > "$R/load.txt"
log start b1 jdk17;      "$J17" -jar "$JAR" b1 --threads 1 --passes 3 --results "$R" > "$R/b1-jdk17.out" 2>&1
log start b1 jdk25;      "$J25" -jar "$JAR" b1 --threads 1 --passes 3 --results "$R" > "$R/b1-jdk25.out" 2>&1
log start b2 jdk25;      "$J25" -jar "$JAR" b2 --sizes 100,1000,10000 --reps 5 --contenders "$ALL" --results "$R" > "$R/b2-jdk25.out" 2>&1
log start b2 jdk17 platform; "$J17" -jar "$JAR" b2 --platform --sizes 1000 --reps 5 --contenders "$ALL" --results "$R" > "$R/b2-platform-jdk17.out" 2>&1
log start b2 jdk25 platform; "$J25" -jar "$JAR" b2 --platform --sizes 1000 --reps 5 --contenders "$ALL" --results "$R" > "$R/b2-platform-jdk25.out" 2>&1
log start b2rot jdk25;   "$J25" -jar "$JAR" b2rot --sizes 100,1000 --reps 3 --results "$R" > "$R/b2rot-jdk25.out" 2>&1
log start b3 jdk17;      "$J17" -jar "$JAR" b3 --adapters-only --results "$R" > "$R/b3-jdk17.out" 2>&1
log start memory jdk17;  "$J17" -jar "$JAR" memory --keepers 2000 --identities 10000 --results "$R" > "$R/memory-jdk17.out" 2>&1
log start cluster jdk17
mvn -B -ntp -o -pl tokenkeeper-redis -am test -Djacoco.skip=true -Dsurefire.excludedGroups= -Dgroups=redis-long \
  -Dtest='RedisClusterProcessTest#clusterStorm*7Runs' -Dsurefire.failIfNoSpecifiedTests=false > "$R/cluster-jdk17.out" 2>&1
cp tokenkeeper-redis/target/redis-cluster-2-storm-7.txt "$R/cluster-jdk17.txt"
log end
