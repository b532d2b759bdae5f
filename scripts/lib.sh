# Helpers for the scripts that start edgelink and js-libp2p peers; sourced, not run.
# The sourcing script sets WORK (a scratch directory) and appends the PID of every process it starts to PIDS,
# then installs the clean-up:  trap cleanup EXIT

PIDS=()

# cleanup: stop every process in PIDS by its PID, wait for each, and remove WORK.
cleanup () {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}

# first_line FILE [TRIES]: print the first line of FILE once it has one, polling every 0.1 s up to TRIES times
# (default 300). On timeout it says so on stderr, with the peer's FILE.err next to FILE.log, and fails.
first_line () {
  for _ in $(seq 1 "${2:-300}"); do [ -s "$1" ] && { head -n 1 "$1"; return 0; }; sleep 0.1; done
  echo "$(basename "$0" .sh): no output in $1" >&2; cat "${1%.log}.err" >&2 || true; return 1
}
