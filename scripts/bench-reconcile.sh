#!/usr/bin/env bash
# The data plane's planning cost at 100, 1000 and 5000 peers against a real kernel (ReconcileBench): the CPU time
# of the first reconcile (installs every route, neighbour and FDB entry), of a reconcile that finds everything in
# place, and of one data plane round with every peer verified. The lab lives in namespaces named elrb-<random>-*,
# removed at the end (the Java lab closes them, also on failure).
# Needs root. Usage: bash scripts/bench-reconcile.sh [N...]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench-reconcile: needs root (network namespaces, vxlan)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/bench-reconcile.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "bench-reconcile: $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$ROOT" && mvn -o -q -pl tunnel-dataplane -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test) >&2
CP="$ROOT/tunnel-dataplane/target/classes:$ROOT/tunnel-dataplane/target/test-classes:$(cat "$WORK/cp.txt")"
java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.edgelink.dataplane.lab.ReconcileBench "$@"
