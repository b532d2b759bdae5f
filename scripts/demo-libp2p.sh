#!/usr/bin/env bash
# edgelink demo: what works today, end to end on this machine (loopback only).
# Builds the jars, starts one edgelink node and one js-libp2p node, and has each
# dial the other: handshake (noise + yamux), identify, ping, and a byte-exact echo.
# Every process it starts is stopped by PID on exit, also on failure or Ctrl-C.
# Usage: bash scripts/demo-libp2p.sh [--json]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JSON=0
[ "${1:-}" = "--json" ] && JSON=1

bash "$ROOT/scripts/setup.sh" >&2
(cd "$ROOT" && mvn -q -B -DskipTests package) >&2

# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
WORK=$(mktemp -d)
trap cleanup EXIT INT TERM

EDGELINK="$ROOT/bin/edgelink"
"$EDGELINK" p2p listen --key "$WORK/java.key" --listen /ip4/127.0.0.1/tcp/0 --echo \
  > "$WORK/java.log" 2> "$WORK/java.err" &
PIDS+=($!)
JAVA_ADDR=$(first_line "$WORK/java.log" | jq -r '.listen[0]')
(cd "$ROOT/interop/js-peer" && exec node peer.mjs --print-json --listen /ip4/127.0.0.1/tcp/0 --echo \
  > "$WORK/js.log" 2> "$WORK/js.err") &
PIDS+=($!)
JS_ADDR=$(first_line "$WORK/js.log" | jq -r '.multiaddrs[0]')

results=()
record () { # record FROM TO CHECK OK DETAIL
  results+=("$(jq -nc --arg from "$1" --arg to "$2" --arg check "$3" --argjson ok "$4" --arg detail "$5" \
    '{from:$from,to:$to,check:$check,ok:$ok,detail:$detail}')")
}

# edgelink -> js
out=$("$EDGELINK" p2p ping "$JS_ADDR" --count 3 || true)
rtt=$(echo "$out" | jq -r 'select(.event=="ping") | .rttMs' | sort -g | head -n 1)
agent=$(echo "$out" | jq -r 'select(.event=="identify") | .agentVersion')
record edgelink js "ping x3 + identify" "$([ -n "$rtt" ] && [ -n "$agent" ] && echo true || echo false)" \
  "min rtt ${rtt:-?} ms, remote agent ${agent:-?}"
out=$("$EDGELINK" p2p echo "$JS_ADDR" --bytes 8388608 --streams 4 || true)
mbps=$(echo "$out" | jq -r 'select(.event=="echo" and .ok) | .mbps')
record edgelink js "echo 4 x 8 MiB" "$([ -n "$mbps" ] && echo true || echo false)" "${mbps:-failed} MB/s"

# js -> edgelink
out=$(cd "$ROOT/interop/js-peer" && node peer.mjs --print-json --listen /ip4/127.0.0.1/tcp/0 --dial "$JAVA_ADDR" \
  --ping-count 3 --echo-dial "$JAVA_ADDR" --echo-bytes 8388608 --echo-streams 4 --exit-after-actions 2>/dev/null || true)
pings=$(echo "$out" | jq -r 'select(.event=="ping" and .ok) | .rttMs' | wc -l)
agent=$(echo "$out" | jq -r 'select(.event=="identify") | .agentVersion' | head -n 1)
record js edgelink "ping x3 + identify" "$([ "$pings" = 3 ] && [ -n "$agent" ] && echo true || echo false)" \
  "$pings pings ok, remote agent ${agent:-?}"
mbps=$(echo "$out" | jq -r 'select(.event=="echo" and .ok) | .mbps')
record js edgelink "echo 4 x 8 MiB" "$([ -n "$mbps" ] && echo true || echo false)" "${mbps:-failed} MB/s"

failed=0
if [ "$JSON" = 1 ]; then
  printf '%s\n' "${results[@]}"
else
  printf '%-9s %-9s %-20s %-4s %s\n' FROM TO CHECK OK DETAIL
  for r in "${results[@]}"; do
    echo "$r" | jq -r '[.from, .to, .check, (if .ok then "ok" else "FAIL" end), .detail] | @tsv' |
      awk -F'\t' '{ printf "%-9s %-9s %-20s %-4s %s\n", $1, $2, $3, $4, $5 }'
  done
fi
for r in "${results[@]}"; do [ "$(echo "$r" | jq -r .ok)" = true ] || failed=1; done
exit "$failed"
