#!/usr/bin/env bash
# Issue 9's join benchmark: how long a new node takes to become reachable in the sites suite's cluster
# (SitesClusterE2eTest's topology: two NAT'd sites of two nodes, the cloud node and relay2 as relay servers). All but
# b-n2 are started and converge; then, 5 times, b-n2's agent is spawned and timed: spawn -> its "agent started" log
# line, and spawn -> b-n2's GET /status shows the other five ACTIVE and theirs show b-n2 ACTIVE (each polled every
# 100 ms). Between rounds b-n2 stops with SIGTERM (a leave) and the run waits until no node holds a record of it.
# Prints one line per round and the medians (a markdown table). Everything it builds (namespaces, agents) is removed
# at the end, also on failure or Ctrl-C. Needs root. Takes about 3-5 minutes.
# The comparison with the code before the cluster CA: check that code out in a worktree, copy
# chaos-tests/src/main/java/dev/edgelink/lab/e2e/JoinBench.java into it (it uses only what both harnesses have) and
# run this script with --checkout DIR; alternate the two when running several times (docs/benchmarks.md, issue 9).
# --offline builds with Maven's -o; --no-build runs the jar already built in the checkout.
# Env: EDGELINK_JOIN_ROUNDS (default 5); EDGELINK_JOIN_JVM=defaults runs the agents with the JVM's defaults (as the
# e2e suites do) instead of the options bin/edgelink agent ships.
# Usage: bash scripts/bench-join.sh [--no-setup] [--offline] [--no-build] [--checkout DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHECKOUT=$ROOT
mvn_flags=(-q -B -DskipTests)
setup=1
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-setup) setup=0 ;;
    --offline) mvn_flags+=(-o) ;;
    --no-build) build=0 ;;
    --checkout) CHECKOUT=$(cd "${2:?--checkout needs a directory}" && pwd); shift ;;
    *) echo "usage: bash scripts/bench-join.sh [--no-setup] [--offline] [--no-build] [--checkout DIR]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$(id -u)" != 0 ]; then
  echo "bench-join: needs root (network namespaces); run it as root" >&2
  exit 2
fi
if [ ! -f "$CHECKOUT/chaos-tests/src/main/java/dev/edgelink/lab/e2e/JoinBench.java" ]; then
  echo "bench-join: $CHECKOUT has no JoinBench.java: copy it there from $ROOT first" >&2
  exit 2
fi
if [ $setup = 1 ]; then
  bash "$ROOT/scripts/setup.sh" >&2
fi
if [ $build = 1 ]; then
  (cd "$CHECKOUT" && mvn "${mvn_flags[@]}" package) >&2
fi
commit=$(git -C "$CHECKOUT" rev-parse --short HEAD 2> /dev/null || echo unknown)
# (a JoinBench.java copied into an older checkout is untracked there and does not count)
if [ "$commit" != unknown ] && ! git -C "$CHECKOUT" diff --quiet HEAD -- . ':!docs'; then
  commit+=" with uncommitted changes"
fi

# as bin/edgelink sets for the agent: two glibc malloc arenas (inherited by the agents the bench starts)
export MALLOC_ARENA_MAX=2
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dedgelink.root="$CHECKOUT" \
  -Dedgelink.bench.commit="$commit" -Dedgelink.bench.rounds="${EDGELINK_JOIN_ROUNDS:-5}" \
  -Dedgelink.bench.jvm="${EDGELINK_JOIN_JVM:-shipped}" \
  -cp "$CHECKOUT/chaos-tests/target/edgelink-chaos-tests.jar:$CHECKOUT/chaos-tests/target/lib/*" \
  dev.edgelink.lab.e2e.JoinBench
