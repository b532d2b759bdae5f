#!/usr/bin/env bash
# Issue 10's fleet-scale benchmarks, in parts:
#   dataplane  one real agent (bin/edgelink agent, the JVM options it ships) in a network namespace with N static
#              peers (N = 100, 1000, 5000), 10 % of them answered by a probe responder so that their hostgw paths
#              verify, the others across a router that drops their packets. Per N: CPU per data plane round (the
#              agent's, its data plane thread's, its nft children's), probes/s, route changes/s, kernel objects,
#              time to the answered peers' routes, VmRSS / VmHWM, and whether the data plane stalled. About 2 min
#              per N. Class dev.edgelink.lab.e2e.DataplaneScaleBench.
#   control    the control plane at fleet scale (not written yet).
#   all        (default) every part, one after the other.
# Prints progress on stderr, and on stdout a table, the goals and one JSON line per N. Everything it builds
# (namespaces with a unique prefix, the agent and its helpers, by PID) is removed at the end, also on failure or
# Ctrl-C. Needs root. Writes nothing into docs/.
# Env: EDGELINK_SCALE_PEERS (default "100 1000 5000"), EDGELINK_SCALE_ANSWERED (percent of the peers answered,
# default 10), EDGELINK_SCALE_WINDOW (seconds measured per N, default 60), EDGELINK_SCALE_SETTLE (seconds between
# the answered peers' routes and the window, default 10).
# --offline builds with Maven's -o; --no-build runs what is built; --no-setup skips scripts/setup.sh.
# Usage: bash scripts/bench-scale.sh [dataplane|control|all] [--no-setup] [--offline] [--no-build]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
part=all
mvn_flags=(-q -B -DskipTests)
setup=1
build=1
usage="usage: bash scripts/bench-scale.sh [dataplane|control|all] [--no-setup] [--offline] [--no-build]"
while [ $# -gt 0 ]; do
  case "$1" in
    dataplane | control | all) part=$1 ;;
    --no-setup) setup=0 ;;
    --offline) mvn_flags+=(-o) ;;
    --no-build) build=0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
if [ "$(id -u)" != 0 ]; then
  echo "bench-scale: needs root (network namespaces); run it as root" >&2
  exit 2
fi
if [ $setup = 1 ]; then
  bash "$ROOT/scripts/setup.sh" >&2
fi
if [ $build = 1 ]; then
  (cd "$ROOT" && mvn "${mvn_flags[@]}" -pl chaos-tests -am package) >&2
fi
commit=$(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo unknown)
if [ "$commit" != unknown ] && ! git -C "$ROOT" diff --quiet HEAD -- . ':!docs'; then
  commit+=" with uncommitted changes"
fi

dataplane () {
  java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dedgelink.root="$ROOT" -Dedgelink.bench.commit="$commit" \
    -Dedgelink.bench.peers="${EDGELINK_SCALE_PEERS:-100 1000 5000}" \
    -Dedgelink.bench.answeredPercent="${EDGELINK_SCALE_ANSWERED:-10}" \
    -Dedgelink.bench.windowSeconds="${EDGELINK_SCALE_WINDOW:-60}" \
    -Dedgelink.bench.settleSeconds="${EDGELINK_SCALE_SETTLE:-10}" \
    -cp "$ROOT/chaos-tests/target/edgelink-chaos-tests.jar:$ROOT/chaos-tests/target/lib/*" \
    dev.edgelink.lab.e2e.DataplaneScaleBench
}

control () {
  echo "bench-scale: the control part is not written yet" >&2
  return 2
}

case "$part" in
  dataplane) dataplane ;;
  control) control ;;
  all)
    rc=0
    dataplane || rc=$?
    echo >&2
    control || echo "bench-scale: control part skipped" >&2
    exit $rc
    ;;
esac
