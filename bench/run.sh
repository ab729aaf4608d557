#!/usr/bin/env bash
# Builds and runs every benchmark of issue 2 and prints the goals as ratios (root).
#
#   bench/run.sh [BUILD_DIR]        (default: build/; also: cmake --build BUILD --target bench-run)
#
# 1. xt_bench_progrun: ns/packet with BPF_PROG_TEST_RUN (bare XDP_DROP, xdp-throttle pass/deny/ban
#    paths, xdp-filter), side by side, plus a stage-by-stage breakdown of the costs. The pass path
#    twice (source in a /16 without deny rules; in a /16 with deny prefixes, which walks the LPM
#    trie), each with the exact and the opt-in coarse clock.
# 2. live_flood.sh: Mpps dropped by xdp-throttle vs an nftables netdev-ingress rule, same flood.
# 3. gateway.sh (issue 3): HTTP through the gateway vs a Linux bridge, an nginx proxy with
#    limit_req and our kernel bridge without the controller (wrk keep-alive and new connections,
#    a 100 MB download, the controller's CPU per request). Skipped when the daemon does not build.
# Exit status: 0 when every goal is met, 3 when one is missed, anything else on a failure.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[[ $(id -u) -eq 0 ]] || { echo "bench/run.sh: must run as root (BPF_PROG_TEST_RUN, namespaces)" >&2; exit 1; }

cmake -S "$src" -B "$build" >/dev/null
cmake --build "$build" -j2 --target xt_bench_progrun xt_flood_gen >/dev/null
# The live flood attaches with the CLI when it builds, else with bpftool (see live_flood.sh).
cmake --build "$build" -j2 --target xdp-throttle >/dev/null 2>&1 ||
  echo "bench/run.sh: the xdp-throttle CLI does not build; the live flood will attach with bpftool" >&2

gateway_built=1
cmake --build "$build" -j2 --target xdp-throttle xdp-throttled >/dev/null 2>&1 || gateway_built=0

log=$(mktemp /tmp/xt-bench.XXXXXX)
trap 'rm -f "$log"' EXIT

echo "== machine: $(nproc) vCPU, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
echo
echo "== 1. BPF_PROG_TEST_RUN"
progrun_rc=0
"$build/bench/xt_bench_progrun" | tee -a "$log" | grep -v '^#' || progrun_rc=$?
echo
echo "== 2. live flood"
live_rc=0
bash "$src/bench/live_flood.sh" "$build" | tee -a "$log" | grep -v '^#' || live_rc=$?
((progrun_rc == 0 || progrun_rc == 3)) || { echo "bench/run.sh: xt_bench_progrun failed ($progrun_rc)" >&2; exit 1; }
((live_rc == 0)) || { echo "bench/run.sh: live_flood.sh failed ($live_rc)" >&2; exit 1; }
echo
echo "== 3. gateway"
if ((gateway_built)); then
  gateway_rc=0
  bash "$src/bench/gateway.sh" "$build" | tee -a "$log" | grep -v '^#' || gateway_rc=$?
  ((gateway_rc == 0 || gateway_rc == 3)) || { echo "bench/run.sh: gateway.sh failed ($gateway_rc)" >&2; exit 1; }
else
  echo "bench/run.sh: xdp-throttled or the CLI does not build: gateway benchmark skipped" >&2
fi

echo
echo "== summary (goals of issues 2 and 3)"
grep -E '^  (pass path|deny-hit path|deny /32)' "$log" || true  # the opt-in rows say "not counted"
grep -E '^goal: live flood' "$log" | sed 's/^goal: /  /' || true
grep -E '^goal: gw' "$log" | sed 's/^goal: /  /' || true
grep -E '^ceiling ratio' "$log" | sed 's/^/  (/; s/$/)/' || true
if grep -qE 'MISSED' "$log"; then exit 3; fi
