#!/usr/bin/env bash
# Issue 8's benchmark, all in one run on this machine: pod to pod a-n1 -> b-n1 through both NATs of issue 4's
# topology with a WAN on the internet segment (20 ms each way, 40 ms RTT; 0 % and 1 % random loss per crossing),
# iperf3 with 1 and 4 parallel TCP streams, 20 s per run, 2 rounds: our direct path, our relayed path (the same pods
# with the direct path between the sites cut on a-rtr), nebula peer to peer and wireguard-go peer to peer,
# interleaved per configuration. Each run says whether it carried traffic to its end (the receiver got bytes in every
# second of its second half) and what the WAN dropped meanwhile; our agents' drops and path changes during a run, and
# their memory after all runs (GET /status, /metrics), are printed too.
# Prints the section and writes it into docs/benchmarks.md, section "Over a WAN (issue 8)" (other sections are kept).
# Everything it builds (namespaces, the WAN, daemons, agents, pods) is removed at the end, also on failure or Ctrl-C.
# Needs root. Installs Debian's nebula, wireguard-go and wireguard-tools when missing. Takes about 15-20 minutes.
# --offline builds with Maven's -o (everything already in the local repository).
# Env: EDGELINK_WAN_SECONDS (per run, default 20), EDGELINK_WAN_ROUNDS (default 2), e.g. for a quick try.
# Usage: bash scripts/bench-wan.sh [--no-setup] [--offline]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mvn_flags=(-q -B -pl chaos-tests -am -DskipTests)
for a in "$@"; do
  case "$a" in
    --no-setup) ;;
    --offline) mvn_flags+=(-o) ;;
    *) echo "usage: bash scripts/bench-wan.sh [--no-setup] [--offline]" >&2; exit 2 ;;
  esac
done
. "$ROOT/scripts/lib-bench.sh"
bench_prepare bench-wan "$@"
(cd "$ROOT" && mvn "${mvn_flags[@]}" package) >&2
commit=$(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo unknown)
if [ "$commit" != unknown ] && ! git -C "$ROOT" diff --quiet HEAD -- . ':!docs'; then
  commit+=" with uncommitted changes"
fi

bench_exec dev.edgelink.lab.e2e.WanBench -Dedgelink.bench.commit="$commit" \
  -Dedgelink.bench.seconds="${EDGELINK_WAN_SECONDS:-20}" -Dedgelink.bench.rounds="${EDGELINK_WAN_ROUNDS:-2}"
