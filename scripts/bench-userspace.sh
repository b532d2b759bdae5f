#!/usr/bin/env bash
# The userspace path against nebula and wireguard-go, side by side in one run: iperf3 (one TCP stream) between two
# network namespaces joined by a plain veth.
#   edgelink-gso    pod -> node a -> edgelink0 -> /edgelink/tunnel/1.0.0 on a direct libp2p connection -> node b
#                   -> pod, with IFF_VNET_HDR + TSO (64 KiB segments carried whole)
#   edgelink-plain  the same with offloads off (MTU-sized packets, the fallback)
#   wireguard-go    wireguard-go <-> wireguard-go over the veth (when installed)
#   nebula          nebula <-> nebula over the veth, one of them the lighthouse (when installed)
# Prints one line per run (Gbit/s, retransmits, RTT, the 1-minute load average before -> after) and the medians.
# Absolute numbers drift on shared machines: read them as ratios within one run. Everything made here lives in
# namespaces named elbu-<random>-* and is removed at the end, also on failure; processes are stopped by PID.
# Needs root. Usage: bash scripts/bench-userspace.sh [RUNS] [SECONDS]     (default 3 runs of 10 s)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${1:-3}; DUR=${2:-10}
[ "$(id -u)" = 0 ] || { echo "bench-userspace: needs root (network namespaces, TUN)" >&2; exit 2; }
for t in iperf3 ip ping java mvn; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }; done
TAG="elbu-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
WORK=$(mktemp -d /tmp/bench-userspace.XXXXXX)
PIDS=(); NSS=()
cleanup() {
  local p ns
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for ns in "${NSS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
mkns() { ip netns add "$1"; NSS+=("$1"); ip -n "$1" link set lo up; }
pair() { # ns1 ns2 net: two namespaces joined by a veth, .1 and .2 of net/24
  mkns "$1"; mkns "$2"
  ip link add eth0 netns "$1" type veth peer name eth0 netns "$2"
  ip -n "$1" addr add "$3.1/24" dev eth0; ip -n "$2" addr add "$3.2/24" dev eth0
  ip -n "$1" link set eth0 up; ip -n "$2" link set eth0 up
}
load1() { cut -d' ' -f1 /proc/loadavg; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
iperf() { # name client-ns server-ns server-ip
  local name=$1 cli=$2 srv=$3 ip=$4 i l0 out g rtt all=()
  ip netns exec "$srv" iperf3 -s -B "$ip" >/dev/null 2>&1 & PIDS+=($!)
  sleep 0.5
  ip netns exec "$cli" iperf3 -c "$ip" -t 2 >/dev/null 2>&1 || true
  for i in $(seq "$RUNS"); do
    l0=$(load1)
    out=$(ip netns exec "$cli" iperf3 -c "$ip" -t "$DUR" -J)
    rtt=$(ip netns exec "$cli" ping -c 5 -i 0.2 -q "$ip" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
    g=$(python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]; print("%.3f %d" % (e["sum_received"]["bits_per_second"]/1e9, e["sum_sent"]["retransmits"]))' <<<"$out")
    echo "$name run $i: ${g% *} Gbit/s, retransmits ${g#* }, rtt $rtt ms, load $l0->$(load1)"
    all+=("${g% *}")
  done
  echo "$name median $(printf '%s\n' "${all[@]}" | median) Gbit/s"
}

echo "bench-userspace: $RUNS runs of $DUR s; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$ROOT" && mvn -o -q -pl tunnel-dataplane -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test) >&2
CP="$ROOT/tunnel-dataplane/target/classes:$ROOT/tunnel-dataplane/target/test-classes:$(cat "$WORK/cp.txt")"
java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.edgelink.dataplane.lab.UserspaceBench \
  "$RUNS" "$DUR" gso plain & PIDS+=($!)
wait "${PIDS[-1]}"

if command -v wireguard-go >/dev/null && command -v wg >/dev/null; then
  pair "$TAG-w1" "$TAG-w2" 10.92.0
  for n in 1 2; do
    (umask 077; wg genkey > "$WORK/wg$n.key"); wg pubkey < "$WORK/wg$n.key" > "$WORK/wg$n.pub"
    ip netns exec "$TAG-w$n" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "wgb$n" > "$WORK/wg$n.log" 2>&1 &
    PIDS+=($!)
  done
  for n in 1 2; do
    for _ in $(seq 50); do [ -S "/var/run/wireguard/wgb$n.sock" ] && break; sleep 0.1; done
    o=$((3 - n))
    ip netns exec "$TAG-w$n" wg set "wgb$n" listen-port 51820 private-key "$WORK/wg$n.key" \
      peer "$(cat "$WORK/wg$o.pub")" allowed-ips "10.43.0.$o/32" endpoint "10.92.0.$o:51820"
    ip -n "$TAG-w$n" addr add "10.43.0.$n/24" dev "wgb$n"; ip -n "$TAG-w$n" link set "wgb$n" up
  done
  iperf wireguard-go "$TAG-w1" "$TAG-w2" 10.43.0.2
else
  echo "wireguard-go: not installed (apt-get install -y wireguard-go wireguard-tools), skipped"
fi

if command -v nebula >/dev/null && command -v nebula-cert >/dev/null; then
  pair "$TAG-n1" "$TAG-n2" 10.94.0
  nebula-cert ca -name bench-ca -duration 24h -out-crt "$WORK/ca.crt" -out-key "$WORK/ca.key"
  for n in 1 2; do
    nebula-cert sign -ca-crt "$WORK/ca.crt" -ca-key "$WORK/ca.key" -name "nb$n" -ip "10.42.0.$n/24" \
      -out-crt "$WORK/nb$n.crt" -out-key "$WORK/nb$n.key"
    if [ $n = 1 ]; then lh=true; hosts='[]'; else lh=false; hosts='["10.42.0.1"]'; fi
    cat > "$WORK/nb$n.yml" <<YML
pki: {ca: $WORK/ca.crt, cert: $WORK/nb$n.crt, key: $WORK/nb$n.key}
static_host_map: {"10.42.0.1": ["10.94.0.1:4242"]}
lighthouse: {am_lighthouse: $lh, interval: 10, hosts: $hosts}
listen: {host: 0.0.0.0, port: 4242}
tun: {disabled: false, dev: nbb$n, drop_local_broadcast: false, drop_multicast: false, tx_queue: 500, mtu: 1300}
logging: {level: warning, format: text}
firewall:
  outbound: [{port: any, proto: any, host: any}]
  inbound: [{port: any, proto: any, host: any}]
YML
    ip netns exec "$TAG-n$n" nebula -config "$WORK/nb$n.yml" > "$WORK/nb$n.log" 2>&1 & PIDS+=($!)
  done
  sleep 2
  ip netns exec "$TAG-n2" ping -c 3 -W 2 10.42.0.1 >/dev/null || true
  iperf nebula "$TAG-n2" "$TAG-n1" 10.42.0.1
else
  echo "nebula: not installed (apt-get install -y nebula), skipped"
fi
echo "bench-userspace: done; load $(cut -d' ' -f1-3 /proc/loadavg)"
