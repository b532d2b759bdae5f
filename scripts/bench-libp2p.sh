#!/usr/bin/env bash
# Benchmark of the libp2p stack on loopback, all in one run so the numbers compare:
#   - one yamux stream over noise over TCP, Java -> Java and Java -> js (/edgelink/bench/1.0.0)
#   - handshake time: TCP connect to the first negotiated stream
# Usage: bash scripts/bench-libp2p.sh [BYTES] [RUNS]   (defaults: 1 GiB Java->Java, 256 MiB Java->js, 3 runs)
# Prints one line per run and a median table; needs `mvn -DskipTests package` and scripts/setup.sh done.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BYTES=${1:-1073741824}
JS_BYTES=$((BYTES / 4))
RUNS=${2:-3}
EDGELINK="$ROOT/bin/edgelink"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
WORK=$(mktemp -d)
trap cleanup EXIT

"$EDGELINK" p2p listen --key "$WORK/java.key" --listen /ip4/127.0.0.1/tcp/0 --echo > "$WORK/java.log" 2>"$WORK/java.err" &
PIDS+=($!)
JAVA_ADDR=$(first_line "$WORK/java.log" 200 | jq -r '.listen[0]')
(cd "$ROOT/interop/js-peer" && exec node peer.mjs --print-json --listen /ip4/127.0.0.1/tcp/0 --bench \
  > "$WORK/js.log" 2>"$WORK/js.err") &
PIDS+=($!)
JS_ADDR=$(first_line "$WORK/js.log" 200 | jq -r '.multiaddrs[] | select(contains("/tcp/"))' | head -n 1)

run () { # run NAME ADDR BYTES
  local out
  out=$("$EDGELINK" p2p bench "$2" --bytes "$3" --timeout-ms 600000 | jq -c 'select(.event=="bench")')
  echo "$1 $(echo "$out" | jq -r '[.gbitps, .mbps, .handshakeMs, .warmHandshakeMs] | @tsv')"
}

echo "# path gbit/s MB/s first_handshake_ms warm_handshake_median_ms"
for i in $(seq 1 "$RUNS"); do
  run java-java "$JAVA_ADDR" "$BYTES"
  run java-js "$JS_ADDR" "$JS_BYTES"
done | tee "$WORK/runs.txt"
echo "# medians over $RUNS runs (bytes: java-java $BYTES, java-js $JS_BYTES)"
for path in java-java java-js; do
  grep "^$path " "$WORK/runs.txt" | sort -k2 -g | awk -v n="$RUNS" -v p="$path" \
    'NR == int((n + 1) / 2) { printf "%-10s %6.2f Gbit/s  %8.1f MB/s  handshake: first %6.1f ms, warm %5.2f ms\n", p, $2, $3, $4, $5 }'
done
