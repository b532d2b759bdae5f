#!/usr/bin/env bash
# edgelink lab demo (issue 3): pods on three nodes talk over native kernel paths.
#
# Sets up the machine (scripts/setup.sh), builds the jars, then builds the namespace lab: n1 and n2 on one L2
# segment, n3 on another subnet behind a router; starts a real edgelink agent on each node (n2 and n3 join
# through n1), pods under podman through the edgelink CNI plugin (two on n1, one on n2 and n3), and prints the
# connectivity matrix: every node (its tunnel address) and pod pings every other, with the path the source
# node's agent chose (hostgw on the shared segment, vxlan across the router; ipip is missing on this kernel)
# and the RTT. Everything is torn down at the end (namespaces, processes by PID, pods, conflists, the CNI
# launcher, state), also on failure or Ctrl-C.
#
# With --sites (issue 4): two sites, each two nodes behind an nft-masquerade NAT router, and the cloud node with a
# public address (bootstrap and relay server); site B's router maps b-n2 fully at random (a symmetric NAT for that
# host only), so the matrix shows the kernel path within a site (hostgw), cross-site pairs with b-n1 on `direct`
# (hole punched) and with b-n2 on `relayed` (through the cloud).
#
# Usage: bash scripts/demo.sh [--sites] [--json] [--keep]
#   --sites  the NAT'd sites topology instead of issue 3's
#   --json   the matrix as JSON lines: {"from","to","path","rttMs","ok"}
#   --keep   keep the lab until Enter is pressed (the agents answer `ip netns exec <ns> bin/edgelink status`)
# Needs root (network namespaces, podman). Exit 0 when every pair answered; otherwise exit 1 and a "demo: FAILED"
# line on stderr naming the pairs that did not answer. EDGELINK_DEMO_CLASSPATH (for the test suite) runs the demo
# with that Java classpath, skipping setup.sh and the build. The libp2p interop demo that was
# here before is scripts/demo-libp2p.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for a in "$@"; do
  case $a in --json|--keep|--sites) ;; *) echo "usage: bash scripts/demo.sh [--sites] [--json] [--keep]" >&2; exit 2 ;; esac
done
if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (network namespaces, podman); run it as root" >&2
  exit 2
fi

if [ -n "${EDGELINK_DEMO_CLASSPATH:-}" ]; then
  # the chaos-tests suite runs this script from inside the build, with the classpath it already has
  CP=$EDGELINK_DEMO_CLASSPATH
  echo "demo: using EDGELINK_DEMO_CLASSPATH (no setup, no build)" >&2
else
  bash "$ROOT/scripts/setup.sh" >&2
  (cd "$ROOT" && mvn -q -B -DskipTests package) >&2
  CP="$ROOT/chaos-tests/target/edgelink-chaos-tests.jar:$ROOT/chaos-tests/target/lib/*"
fi

rc=0
java -Dedgelink.repo="$ROOT" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
  dev.edgelink.lab.e2e.Demo "$@" || rc=$?
if [ "$rc" != 0 ]; then
  echo "demo: FAILED (exit $rc): not every pair answered or the lab did not come up; see the lines above" >&2
fi
exit "$rc"
