#!/usr/bin/env bash
# The README's demo: a network-namespace lab where an attacker floods a web server and xdp-throttle,
# attached to the server's interface, drops the flood at the NIC while a legitimate client keeps
# being served. Then a deny rule and a ban. Second scene: gateway mode, nginx behind the
# xdp-throttle bridge with the controller xdp-throttled enforcing HTTP rate limits (429 with
# Retry-After to a client hammering a limited endpoint, another client served normally), then the
# controller killed mid-run without that other client noticing. Everything happens inside namespaces it creates (no
# default route anywhere) and is removed on exit, however it exits.
#
#   sudo scripts/demo.sh           # installs packages, builds the CLI, runs the demo (~1 minute)
#   SKIP_BUILD=1 sudo -E scripts/demo.sh   # reuse an existing build (XT_CLI or build/tools/xdp-throttle)
#
#          client (10.N.M.10) ──┐
#                               ├── switch (bridge) ── eth0 (10.N.M.1) server: web server on :8080
#        attacker (10.N.M.66) ──┘                       └─ xdp-throttle attached here
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: run as root (installs packages, loads XDP, creates namespaces): sudo $0" >&2
  exit 1
fi

if [[ -z ${SKIP_BUILD:-} ]]; then
  echo "== installing dependencies and building the CLI (quiet; a first build takes a few minutes)"
  bash "$ROOT/scripts/install-deps.sh"
  cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$ROOT/build" -j2 --target xdp-throttle xdp-throttled >/dev/null
fi
export XT_CLI=${XT_CLI:-$ROOT/build/tools/xdp-throttle}

# The lab primitives and cleanup trap are the e2e tests' own.
source "$ROOT/tests/e2e/lib.sh"
e2e_init demo hping3 curl ping
XT_DONE_MESSAGE="lab removed"

bold="" dim="" off=""
if [[ -t 1 ]]; then bold=$(tput bold 2>/dev/null || true) dim=$(tput dim 2>/dev/null || true) off=$(tput sgr0 2>/dev/null || true); fi
say() { printf '\n%s▶ %s%s\n' "$bold" "$*" "$off"; }
# op ARGS...: show and run an xdp-throttle command as the operator would type it on the server.
op() {
  printf '%s  server# xdp-throttle %s%s\n' "$dim" "$*" "$off"
  xt "$@" | sed 's/^/    /'
}
# legit_curls N: N requests from the client, one line each (status and time).
legit_curls() {
  local line
  for _ in $(seq "$1"); do
    line=$(ip netns exec "$NS_C" curl -s -o /dev/null --max-time 2 -w '%{http_code} in %{time_total}s' \
      "http://$S4:$HTTP_PORT/" 2>/dev/null) || line="no answer (timeout)"
    printf '    client  GET http://%s:%s/ -> %s\n' "$S4" "$HTTP_PORT" "$line"
    sleep 0.3
  done
}

say "Building the lab: client, attacker and server namespaces on one switch"
id=$(lab_id)
NS_C="xt-demo-$id-client" NS_A="xt-demo-$id-attacker" NS_S="xt-demo-$id-server" NS_W="xt-demo-$id-switch"
o2=$((RANDOM % 200 + 20)) o3=$((RANDOM % 250 + 1))
S4="10.$o2.$o3.1" C4="10.$o2.$o3.10" A4="10.$o2.$o3.66"
for ns in "$NS_W" "$NS_S" "$NS_C" "$NS_A"; do lab_ns "$ns"; done
ip -n "$NS_W" link add br0 type bridge
ip -n "$NS_W" link set br0 up
for side in server:"$NS_S":"$S4" client:"$NS_C":"$C4" attacker:"$NS_A":"$A4"; do
  IFS=: read -r name ns addr <<<"$side"
  lab_veth "$ns" eth0 "$NS_W" "to-$name"
  ip -n "$NS_W" link set "to-$name" master br0 up
  lab_if_up "$ns" eth0 "$addr/24"
done
IF_S=eth0 IF_C=eth0
lab_wait_link "$NS_S" eth0
lab_bpffs
printf '    server %s (%s)   client %s   attacker %s   (no default route anywhere)\n' "$S4" "$NS_S" "$C4" "$A4"

say "A web server on the server, and the client can reach it"
HTTP_PORT=8080
http_start
legit_curls 2

say "Attach xdp-throttle to the server's eth0 and set limits"
op attach eth0 --mode native
op limit spike --rate 2000 --burst 4000
op limit syn --rate 20 --burst 40
op limit show
op stats

say "The attacker floods the web server with SYNs (hping3, 150,000 packets, at most 6 s) while the client keeps browsing"
# Bounded twice: by count and by time.
tx0=$(link_stat "$NS_A" eth0 tx_packets)
ip netns exec "$NS_A" timeout 6 hping3 -q -S -p "$HTTP_PORT" -c 150000 -i u10 "$S4" >/dev/null 2>&1 &
flood=$!
XT_BG_PIDS+=("$flood")
sleep 0.5
legit_curls 5
wait "$flood" 2>/dev/null || true
printf '    the attacker sent %s packets\n' $(($(link_stat "$NS_A" eth0 tx_packets) - tx0))

say "What xdp-throttle saw: the flood dropped at the NIC (spike arrest, then the SYN limit), the client untouched"
op stats
op top -n 5

say "A deny rule for the attacker's address: even its ping is dropped now"
op ip deny add "$A4/32"
if ip netns exec "$NS_A" ping -c 2 -i 0.2 -W 1 "$S4" >/dev/null 2>&1; then echo "    attacker ping: answered (unexpected)"; else echo "    attacker ping -> no answer"; fi
op ip list

say "Ban the client for 3 seconds: blocked, listed, and back once the ban expires"
op ban add "$C4" --for 3s --reason "demo ban"
op ban list
legit_curls 1
sleep 3
legit_curls 1

say "Detach; the lab is removed on exit"
op detach eth0 --purge

# ---- scene 2: gateway mode ------------------------------------------------------------------------
say "Scene 2: gateway mode. nginx behind a transparent xdp-throttle bridge, HTTP limits from a KrakenD config"
if ! command -v nginx >/dev/null || [[ ! -x ${XT_DAEMON:-$XT_BUILD_DIR/userspace/daemon/xdp-throttled} ]]; then
  echo "    skipped: needs nginx and the daemon (build target xdp-throttled)"
else
  source "$ROOT/tests/e2e/gateway_lib.sh"
  gw_lab_up
  nginx_start
  printf '    clients %s and %s (%s) ── [%s  edge  %s] ── nginx %s (%s)\n' "$C4" "$C4B" "$NS_C" "$IF_A" "$IF_B" "$S4" "$NS_S"
  printf '    the edge has no address and no Linux bridge: xdp-throttle is the only path\n'
  gop() {
    printf '%s  edge# xdp-throttle %s%s\n' "$dim" "$*" "$off"
    xte "$@" | sed 's/^/    /'
  }
  gop attach "$IF_A" --peer "$IF_B"
  for _ in $(seq 50); do ip netns exec "$NS_C" ping -c 1 -W 1 "$S4" >/dev/null 2>&1 && break; sleep 0.1; done

  say "Start the controller with examples/xdp-throttle.json: /api/limited allows 5 req/s per client address, bursts of 10"
  printf '%s  edge# xdp-throttled --config examples/xdp-throttle.json --iface %s --peer %s%s\n' "$dim" "$IF_A" "$IF_B" "$off"
  daemon_start "$ROOT/examples/xdp-throttle.json"
  grep -E "serving|ignored" "$XT_TMP/daemon.log" | sed 's/^[^]]*\]: /    xdp-throttled: /'

  # client2 SECONDS: one GET of /api/limited every 0.25 s from the second address, a line each.
  client2() {
    local line end=$((SECONDS + $1))
    while ((SECONDS < end)); do
      line=$(ip netns exec "$NS_C" curl -s -o /dev/null --max-time 2 --interface "$C4B" \
        -w '%{http_code} in %{time_total}s' "http://$S4/api/limited" 2>/dev/null) || line="FAILED"
      printf '    client 2  GET /api/limited -> %s\n' "$line"
      sleep 0.25
    done
  }
  say "Client 1 hammers /api/limited (50 req/s, 4 s) while client 2 asks for it 4 times a second"
  gc hammer "$S4" /api/limited --seconds 4 --max-rps 50 >"$XT_TMP/client1.json" &
  XT_BG_PIDS+=("$!")
  client2 4 | awk 'NR % 3 == 1'
  wait "${XT_BG_PIDS[-1]}" || true
  jq -r '"    client 1  \(.statuses["200"] // 0) x 200, \(.statuses["429"] // 0) x 429 (Retry-After: \(.retry_after_values | map(tostring) | join(",")) s) in \(.window_s) s"' "$XT_TMP/client1.json"
  printf '    nginx saw %s requests for /api/limited from client 1: the 429s were answered by xdp-throttled\n' \
    "$(grep -c "^$C4 .*GET /api/limited" "$XT_TMP/nginx/access.log" || true)"
  say "One of client 1's rejections, as it arrives (its bucket refills a token every 200 ms: a quick burst finds one)"
  for _ in $(seq 20); do
    ip netns exec "$NS_C" curl -s -i --max-time 2 "http://$S4/api/limited" | tr -d '\r' >"$XT_TMP/answer"
    grep -q '^HTTP/1.1 429' "$XT_TMP/answer" && break
  done
  sed 's/^/    /' "$XT_TMP/answer"
  echo

  say "kill -9 the controller while client 2 keeps going: the kernel bridge takes over at once"
  client2 3 &
  client2_pid=$!
  sleep 1.2
  kill -9 "$DAEMON_PID"
  { wait "$DAEMON_PID"; } 2>/dev/null || true  # reaped here, quietly (no "Killed" job line)
  printf '    %s*** xdp-throttled (pid %s) killed ***%s\n' "$bold" "$DAEMON_PID" "$off"
  wait "$client2_pid"
  printf '    client 1 now (no controller, fail-open): %s\n' "$(code_of 4 /api/limited)"
  say "Restart the controller: limits are back"
  daemon_start "$ROOT/examples/xdp-throttle.json"
  gc hammer "$S4" /api/limited --seconds 1 --max-rps 50 >"$XT_TMP/client1.json"
  jq -r '"    client 1  \(.statuses["200"] // 0) x 200, \(.statuses["429"] // 0) x 429"' "$XT_TMP/client1.json"
  daemon_stop
  printf '    xdp-throttled: %s\n' "$(daemon_counters)"
  gop detach "$IF_A" --purge
fi

echo
echo "${bold}Demo done.${off} Try the CLI reference in README.md; 'sudo scripts/test.sh' runs the test suite."
