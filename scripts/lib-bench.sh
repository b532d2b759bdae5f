# The common start of the lab benchmarks that compare with nebula and wireguard-go (bench-sites.sh, bench-wan.sh);
# sourced, not run.

# bench_prepare NAME ARGS...: fails (exit 2) unless root; runs scripts/setup.sh unless ARGS hold --no-setup; installs
# Debian's nebula, wireguard-go and wireguard-tools with apt when missing (only these benchmarks use them). Setup and
# apt print on stderr, so that stdout carries the benchmark's results only.
bench_prepare () {
  local name=$1 p
  shift
  if [ "$(id -u)" != 0 ]; then
    echo "$name: needs root (network namespaces, podman); run it as root" >&2
    exit 2
  fi
  case " $* " in
    *" --no-setup "*) ;;
    *) bash "$ROOT/scripts/setup.sh" >&2 ;;
  esac
  local missing=()
  for p in nebula wireguard-go wireguard-tools; do
    dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "$name: installing with apt: ${missing[*]}" >&2
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  fi
}

# bench_exec CLASS [JVM FLAGS...]: replaces the shell with the benchmark's JVM (so Ctrl-C reaches it and its teardown
# runs), main class CLASS of the chaos-tests jar, which writes its section into docs/benchmarks.md.
bench_exec () {
  local class=$1
  shift
  exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dedgelink.root="$ROOT" "$@" \
    -cp "$ROOT/chaos-tests/target/edgelink-chaos-tests.jar:$ROOT/chaos-tests/target/lib/*" \
    "$class" "$ROOT/docs/benchmarks.md"
}
