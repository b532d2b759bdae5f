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
if [ "$(id -u)" != 0 ]; then
  echo "bench-sites: needs root (network namespaces, podman); run it as root" >&2
  exit 2
fi
if [ "${1:-}" != "--no-setup" ]; then
  bash "$ROOT/scripts/setup.sh" >&2
fi
missing=()
for p in nebula wireguard-go wireguard-tools; do
  dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench-sites: installing with apt: ${missing[*]}" >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
(cd "$ROOT" && mvn -q -B -DskipTests package) >&2

exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dedgelink.root="$ROOT" \
  -Dedgelink.bench.cloudConfig="${EDGELINK_CLOUD_CONFIG:-}" -Dedgelink.bench.siteConfig="${EDGELINK_SITE_CONFIG:-}" \
  -cp "$ROOT/chaos-tests/target/edgelink-chaos-tests.jar:$ROOT/chaos-tests/target/lib/*" \
  dev.edgelink.lab.e2e.SitesBench "$ROOT/docs/benchmarks.md"
