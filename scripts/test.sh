#!/usr/bin/env bash
# The one test command: installs the Debian packages, configures and builds, then runs every test
# tier with ctest (unit, progrun = BPF_PROG_TEST_RUN, e2e = network-namespace labs) and exits with
# ctest's status. Needs root (apt-get, BPF, namespaces); e2e tests skip (exit 77) without it.
#
#   sudo scripts/test.sh                 # everything
#   sudo scripts/test.sh -L e2e          # extra arguments go to ctest (here: only the e2e tier)
#   sudo scripts/test.sh -R e2e.spike    # one test
#
# Environment: BUILD_DIR (default: build), JOBS (default: 2).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-2}
cd "$ROOT"

if [[ $(id -u) -ne 0 ]]; then
  echo "test.sh: run as root (installs packages, loads XDP programs, creates namespaces): sudo $0" >&2
  exit 1
fi

echo "== dependencies"
bash scripts/install-deps.sh

echo "== configure and build ($BUILD_DIR, -j$JOBS)"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD_DIR" -j"$JOBS"

echo "== tests"
rc=0
ctest --test-dir "$BUILD_DIR" --output-on-failure "$@" || rc=$?
echo "== ctest exit status: $rc"
exit "$rc"
