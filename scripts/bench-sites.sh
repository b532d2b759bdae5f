#!/usr/bin/env bash
# Issue 4's benchmarks, all in one run on this machine, on issue 4's lab topology (two NAT'd sites and a public
# cloud node): iperf3 across the sites over nebula peer to peer (lighthouse on the cloud node), wireguard-go peer
# to peer and wireguard-go through a hub on the cloud node, and pod to pod over edgelink's direct and relayed
# paths (rows the agent cannot do yet are printed "not available" with the reason); the time from agent start
# to the first cross-site pod ping, failover from a cut direct path, and the upgrade back to direct.
# Prints the numbers and writes them into docs/benchmarks.md, section "Across NAT (issue 4)" (other sections are
# kept). Everything it builds (namespaces, daemons, agents, pods) is removed at the end, also on failure or Ctrl-C.
# Needs root. Installs Debian's nebula, wireguard-go and wireguard-tools when missing (only this benchmark uses
# them). Takes about 3-5 minutes.
# The agents: the cloud node is the bootstrap peer and relay server, the site nodes carry their site label; all run
# with the JVM options bin/edgelink ships (bin/agent.jvm-options).
# Env: EDGELINK_CLOUD_CONFIG / EDGELINK_SITE_CONFIG: agent config lines ("key: value", one per line) added to (or
# replacing the same key in) the cloud node's / the four site nodes' configs.
# Usage: bash scripts/bench-sites.sh [--no-setup]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib-bench.sh"
bench_prepare bench-sites "$@"
(cd "$ROOT" && mvn -q -B -DskipTests package) >&2

bench_exec dev.edgelink.lab.e2e.SitesBench -Dedgelink.bench.cloudConfig="${EDGELINK_CLOUD_CONFIG:-}" \
  -Dedgelink.bench.siteConfig="${EDGELINK_SITE_CONFIG:-}"
