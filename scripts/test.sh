#!/usr/bin/env bash
# The project's test command: set up the machine (scripts/setup.sh), then
# `mvn -B verify` at the repository root. Extra arguments go to Maven, e.g.
#   bash scripts/test.sh -pl libp2p -Dtest=JsPeerHarnessTest
# Exits with Maven's exit code.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
echo "test: mvn -B verify $*"
set +e
mvn -B verify "$@"
rc=$?
set -e
echo "test: maven exited with $rc"
exit "$rc"
