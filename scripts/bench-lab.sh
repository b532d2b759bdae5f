#!/usr/bin/env bash
# Issue 3's benchmarks, all in one run on this machine: iperf3 pod to pod over edgelink's hostgw and vxlan paths
# against the same paths made by hand with iproute2 (as ratios), CNI ADD latency under podman (edgelink vs
# Debian's bridge plugin, median and p95), and the agent's resident memory idle and with 3 peers.
# Prints the numbers and writes them into docs/benchmarks.md, section "Kernel paths and CNI (issue 3)" (other
# sections are kept). Everything it builds (namespaces, agents, pods, CNI binaries and conflists) is removed at
# the end, also on failure or Ctrl-C. Needs root. Takes about 2-3 minutes.
# Usage: bash scripts/bench-lab.sh [--no-setup]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-lab: needs root (network namespaces, podman); run it as root" >&2
  exit 2
fi
if [ "${1:-}" != "--no-setup" ]; then
  bash "$ROOT/scripts/setup.sh" >&2
fi
(cd "$ROOT" && mvn -q -B -DskipTests package) >&2

# The agents run with the JVM options bin/edgelink ships (bin/agent.jvm-options, read through edgelink.root) and,
# as bin/edgelink sets for the agent, two glibc malloc arenas (inherited by the processes the bench starts).
export MALLOC_ARENA_MAX=2
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dedgelink.root="$ROOT" \
  -cp "$ROOT/chaos-tests/target/edgelink-chaos-tests.jar:$ROOT/chaos-tests/target/lib/*" \
  dev.edgelink.lab.e2e.Bench "$ROOT/docs/benchmarks.md"
