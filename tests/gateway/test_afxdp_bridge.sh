#!/usr/bin/env bash
# e2e.afxdp_bridge: xt::afxdp::Engine forwarding between two veths, the only path between a client
# and a server namespace (the edge namespace has no addresses and no Linux bridge, so every frame
# that arrives went through the AF_XDP sockets):
#
#   $NS_C [c0 10.201.x.1, fd00:201:x::1] == [ea  $NS_E  eb] == [s0 10.201.x.2, fd00:201:x::2] $NS_S
#                                            xt_afxdp_bridge
#
# Checks: ping (v4, v6), a 1 MB HTTP download over each family with equal checksums; then, with
# --config (the flow table and policy engine in the loop), a limited endpoint answers 429 from the
# bridge itself while an unlimited one is served. Bounded in time; cleanup on every exit path.
set -euo pipefail

[[ $EUID -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
BRIDGE=${XT_AFXDP_BRIDGE:-${XT_BUILD_DIR:-build}/tests/gateway/xt_afxdp_bridge}
[[ -x $BRIDGE ]] || { echo "FAIL: $BRIDGE not built"; exit 1; }
PY=/usr/bin/python3

ID=$(( $$ % 200 + 20 ))
SUF=$$$RANDOM
NS_C=xgc$SUF NS_E=xge$SUF NS_S=xgs$SUF
C4=10.201.$ID.1 S4=10.201.$ID.2 C6=fd00:201:$ID::1 S6=fd00:201:$ID::2
TMP=$(mktemp -d)
PIDS=()
log() { printf '[afxdp_bridge %s] %s\n' "$(date +%T.%3N)" "$*"; }
fail() { log "FAIL: $*"; exit 1; }

cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for ns in "$NS_C" "$NS_E" "$NS_S"; do ip netns del "$ns" 2>/dev/null || true; done
  if ((rc != 0)) && [[ -f $TMP/bridge.log ]]; then log "bridge log:"; cat "$TMP/bridge.log"; fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT INT TERM

in_c() { ip netns exec "$NS_C" "$@"; }
in_e() { ip netns exec "$NS_E" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

log "lab $NS_C / $NS_E / $NS_S"
for ns in "$NS_C" "$NS_E" "$NS_S"; do ip netns add "$ns"; done
# Two queues per veth: the engine binds a socket to every RX queue of both ports.
ip link add c0 netns "$NS_C" numtxqueues 2 numrxqueues 2 type veth peer name ea netns "$NS_E" \
  numtxqueues 2 numrxqueues 2
ip link add s0 netns "$NS_S" numtxqueues 2 numrxqueues 2 type veth peer name eb netns "$NS_E" \
  numtxqueues 2 numrxqueues 2
in_c ip addr add $C4/24 dev c0
in_c ip -6 addr add $C6/64 dev c0 nodad
in_s ip addr add $S4/24 dev s0
in_s ip -6 addr add $S6/64 dev s0 nodad
for pair in "$NS_C c0" "$NS_S s0" "$NS_E ea" "$NS_E eb"; do
  set -- $pair
  ip -n "$1" link set "$2" up
  ip -n "$1" link set lo up
done
# Endpoints: no TX checksum offload (AF_XDP copies raw frames: a CHECKSUM_PARTIAL frame would
# arrive with a bad checksum), GRO on so the veth peers accept frames sent by XDP paths.
in_c ethtool -K c0 tx off gro on >/dev/null
in_s ethtool -K s0 tx off gro on >/dev/null

start_bridge() { # [extra args...]
  ip netns exec "$NS_E" timeout 150 "$BRIDGE" --a ea --b eb "$@" >"$TMP/bridge.log" 2>&1 &
  BRIDGE_PID=$!
  PIDS+=("$BRIDGE_PID")
  for _ in $(seq 50); do
    grep -q bridging "$TMP/bridge.log" 2>/dev/null && return 0
    kill -0 "$BRIDGE_PID" 2>/dev/null || fail "bridge exited: $(cat "$TMP/bridge.log")"
    sleep 0.1
  done
  fail "bridge did not start"
}
stop_bridge() {
  kill -TERM "$BRIDGE_PID"
  wait "$BRIDGE_PID" || fail "bridge exited with an error"
  log "bridge: $(grep -E '^(rx|flows)' "$TMP/bridge.log" | tr '\n' ' ')"
  # No frame leaked: every UMEM frame is back in the pool except those in the fill rings.
  local sockets frames ring free
  read -r sockets frames ring < <(sed -n 's/.*sockets \([0-9]*\) frames \([0-9]*\) ring \([0-9]*\).*/\1 \2 \3/p' "$TMP/bridge.log")
  free=$(sed -n 's/.*free_frames \([0-9]*\).*/\1/p' "$TMP/bridge.log")
  ((free == frames - sockets * ring)) || fail "UMEM frames leaked: free $free, want $((frames - sockets * ring))"
  ((sockets == 4)) || fail "expected a socket per queue (4), saw $sockets"
}

# Without the bridge there is no path at all: the lab must not work by accident.
if in_c ping -c 1 -W 1 $S4 >/dev/null 2>&1; then fail "client reaches server without the bridge"; fi

start_bridge
log "bridge up"
in_c ping -c 3 -i 0.2 -W 2 $S4 >/dev/null || fail "IPv4 ping through the bridge"
log "ok: IPv4 ping"
in_c ping -6 -c 3 -i 0.2 -W 2 $S6 >/dev/null || fail "IPv6 ping through the bridge"
log "ok: IPv6 ping"

mkdir -p "$TMP/www/api"
head -c 1048576 /dev/urandom >"$TMP/www/blob"
echo '{"free":true}' >"$TMP/www/free"
echo '{"limited":true}' >"$TMP/www/limited"
(cd "$TMP/www" && exec ip netns exec "$NS_S" timeout 120 $PY -m http.server 8080 --bind :: -p HTTP/1.1 \
  >"$TMP/http.log" 2>&1) &
PIDS+=($!)
for i in $(seq 51); do
  in_s ss -ltn | grep -q ':8080' && break
  ((i < 51)) || fail "http.server did not start: $(cat "$TMP/http.log")"
  sleep 0.1
done
want=$(sha256sum <"$TMP/www/blob" | cut -d' ' -f1)
for url in "http://$S4:8080/blob" "http://[$S6]:8080/blob"; do
  got=$(in_c curl -sS --max-time 30 "$url" | sha256sum | cut -d' ' -f1)
  [[ $got == "$want" ]] || fail "1 MB download $url: checksum $got, want $want"
  log "ok: 1 MB download $url"
done
# Load: a bounded ping flood plus four parallel downloads; afterwards the bridge still forwards
# and stop_bridge checks that no UMEM frame was lost on the way.
in_c timeout 30 ping -f -c 20000 -s 1000 -W 1 $S4 >"$TMP/flood.log" 2>&1 &
FLOOD=$!
for i in 1 2 3 4; do
  in_c curl -sS --max-time 30 -o "$TMP/par$i" "http://$S4:8080/blob" &
  PAR[$i]=$!
done
for i in 1 2 3 4; do wait "${PAR[$i]}" || fail "parallel download $i failed"; done
wait "$FLOOD" || true
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/flood.log")
((received >= 15000)) || fail "ping flood: $received of 20000 answered"
for i in 1 2 3 4; do
  [[ $(sha256sum <"$TMP/par$i" | cut -d' ' -f1) == "$want" ]] || fail "parallel download $i corrupted"
done
in_c ping -c 1 -W 2 $S4 >/dev/null || fail "no forwarding after the flood"
log "ok: ping flood ($received/20000 answered) with 4 parallel downloads"
stop_bridge
grep -q "rx A" "$TMP/bridge.log" || fail "no counters printed"

# ---- tiny rings: TX rings overflow and fill rings run short; nothing may leak or stall ----------
start_bridge --ring 32
in_c timeout 30 ping -f -c 5000 -s 1400 -W 1 $S4 >"$TMP/flood.log" 2>&1 &
FLOOD=$!
got=$(in_c curl -sS --max-time 60 "http://$S4:8080/blob" | sha256sum | cut -d' ' -f1)
wait "$FLOOD" || true
[[ $got == "$want" ]] || fail "1 MB download with 32-entry rings: checksum $got"
in_c ping -c 1 -W 2 $S4 >/dev/null || fail "no forwarding after the flood with 32-entry rings"
log "ok: 32-entry rings under a flood: download intact"
stop_bridge

# ---- the flow table and the policy engine in the loop --------------------------------------------
if [[ -z ${XT_AFXDP_SKIP_POLICY:-} ]]; then
  cat >"$TMP/krakend.json" <<JSON
{"version": 3,
 "extra_config": {"xdp-throttle": {"http_ports": [8080]}},
 "endpoints": [
   {"backend": [{"url_pattern": "/"}], "endpoint": "/limited", "extra_config": {"qos/ratelimit/router": {"max_rate": 1, "capacity": 2, "every": "1m"}}},
   {"backend": [{"url_pattern": "/"}], "endpoint": "/free"}]}
JSON
  start_bridge --config "$TMP/krakend.json" --trace "${XT_BRIDGE_TRACE:-0}"
  codes=""
  for _ in 1 2 3 4; do
    codes+="$(in_c curl -s -o /dev/null --max-time 5 -w '%{http_code}' "http://$S4:8080/limited") "
  done
  [[ $codes == "200 200 503 503 " ]] || fail "endpoint limit capacity 2: got codes '$codes'"
  log "ok: endpoint limit: $codes"
  hdrs=$(in_c curl -s -D - -o /dev/null --max-time 5 "http://[$S6]:8080/limited")
  grep -qi '^HTTP/1.1 503' <<<"$hdrs" || fail "IPv6 rejection: $hdrs"
  grep -qi '^Retry-After: [0-9]' <<<"$hdrs" || fail "no Retry-After: $hdrs"
  log "ok: IPv6 503 with Retry-After"
  for _ in 1 2 3 4 5; do
    c=$(in_c curl -s -o /dev/null --max-time 5 -w '%{http_code}' "http://$S4:8080/free")
    [[ $c == 200 ]] || fail "unlimited endpoint answered $c"
  done
  # keep-alive: two requests on one connection, the second rejected by the bridge
  out=$(in_c curl -s --max-time 5 -o /dev/null -o /dev/null -w '%{http_code} ' "http://$S4:8080/free" "http://$S4:8080/limited")
  [[ $out == "200 503 " ]] || fail "keep-alive then rejection: '$out'"
  log "ok: unlimited endpoint served, keep-alive rejection"
  # pipelining: the rejection waits for the first response, then answers on the same connection
  out=$(in_c timeout 10 $PY - "$S4" <<'PYEOF'
import re, socket, sys
s = socket.create_connection((sys.argv[1], 8080), timeout=5)
s.sendall(b"GET /free HTTP/1.1\r\nHost: x\r\n\r\nGET /limited HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(" ".join(m.decode() for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", data)))
PYEOF
)
  [[ $out == "200 503" ]] || fail "pipelined allowed + rejected: statuses '$out'"
  log "ok: pipelined request rejected after the allowed one's response"
  n=$(grep -c '"GET /limited' "$TMP/http.log" || true)
  [[ $n == 2 ]] || fail "the backend saw $n requests for /limited, want 2 (capacity)"
  log "ok: rejected requests never reached the backend"
  got=$(in_c curl -sS --max-time 30 "http://$S4:8080/blob" | sha256sum | cut -d' ' -f1)
  [[ $got == "$want" ]] || fail "1 MB download with the flow table: checksum $got"
  log "ok: 1 MB download through the flow table"
  stop_bridge
fi
log "PASS"
