#!/usr/bin/env bash
# How fast one thread verifies and admits node records (issue 9): a full sync of a NODES-node cluster into an empty
# membership store, with a CA (cold and warm certificate cache) and without, next to raw Ed25519 verifications of the
# same library. One JVM on this machine, no network. Prints one line per pass and round, then the medians.
# Usage: bash scripts/bench-verify.sh [NODES] [ROUNDS] [WARMUP]      (default 1000 nodes, 10 rounds, 3 of them warm-up)
# Extra JVM flags through VERIFY_BENCH_JAVA_OPTS, e.g. a flight recording:
#   VERIFY_BENCH_JAVA_OPTS='-XX:StartFlightRecording=filename=/tmp/verify.jfr' bash scripts/bench-verify.sh 1000 30
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for t in java mvn; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/bench-verify.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && mvn -o -q -pl p2p-discovery -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test) >&2
CP="$ROOT/p2p-discovery/target/classes:$ROOT/p2p-discovery/target/test-classes:$(cat "$WORK/cp.txt")"
# shellcheck disable=SC2086
java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn ${VERIFY_BENCH_JAVA_OPTS:-} -cp "$CP" \
  dev.edgelink.discovery.bench.VerifyBench "$@"
