#!/usr/bin/env bash
# e2e.gateway_passthrough: with no rules, clients get through the gateway exactly what they get from
# nginx directly (measured in the server namespace over loopback): a 1 MB download checksums
# equal over IPv4 and IPv6, keep-alive and pipelined requests are answered in order, a chunked
# upload arrives whole; a connection that is not HTTP is answered 400 and closed by the controller;
# wrk keep-alive load without a socket error or a non-2xx answer, first through the kernel bridge
# alone, then with the controller inspecting every request (req/s of both in the log). Then
# SIGTERM: the daemon exits 0 and the bridge keeps forwarding.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_passthrough nginx wrk curl nc bpftool

gw_lab_up
nginx_start
gw_attach
cat >"$XT_TMP/gateway.json" <<'EOF'
{"version": 3, "extra_config": {"xdp-throttle": {"http_ports": [80]}}, "endpoints": []}
EOF

step "wrk through the kernel bridge alone (no controller)"
wrk_run "$XT_TMP/wrk-bridge.txt" -t2 -c16 -d3s "http://$S4/free"
BRIDGE_RPS=$WRK_RPS
assert_eq "wrk socket errors (kernel bridge)" 0 "$WRK_ERRORS"
assert_eq "wrk non-2xx (kernel bridge)" 0 "$WRK_NON2XX"
wrk_run "$XT_TMP/wrk-bridge-close.txt" -t2 -c8 -d3s -H 'Connection: close' "http://$S4/free"
BRIDGE_CLOSE_RPS=$WRK_RPS
assert_eq "wrk socket errors (kernel bridge, new connections)" 0 "$WRK_ERRORS"
log "kernel bridge: $BRIDGE_RPS req/s keep-alive, $BRIDGE_CLOSE_RPS req/s with a new connection per request"

daemon_start "$XT_TMP/gateway.json"

step "1 MB download, IPv4 and IPv6, through the controller"
direct=$(ip netns exec "$NS_S" curl -sS --max-time 10 "http://127.0.0.1/download" | sha256sum | cut -d' ' -f1)
assert_eq "direct download checksum" "$BLOB_SHA" "$direct"
for host in "$S4" "[$S6]"; do
  got=$(ip netns exec "$NS_C" curl -sS --max-time 30 "http://$host/download" | sha256sum | cut -d' ' -f1)
  assert_eq "download via gateway from $host" "$BLOB_SHA" "$got"
done

step "keep-alive: three requests on one connection, answered in order"
out=$(ip netns exec "$NS_C" curl -sS --max-time 10 -w '[%{num_connects}]' \
  "http://$S4/api/one" "http://$S4/free" "http://$S4/api/two")
assert_eq "bodies in order, one connection" "api /api/one
[1]free
[0]api /api/two
[0]" "$out"

step "pipelining: four requests written at once, four answers in order"
out=$(gc pipeline "$S4" /api/a /free /api/b /limited | tr '\n' '|')
assert_eq "pipelined answers" "200 api /api/a|200 free|200 api /api/b|200 limited|" "$out"
out=$(gc pipeline "$S6" /api/v6 /free | tr '\n' '|')
assert_eq "pipelined answers over IPv6" "200 api /api/v6|200 free|" "$out"

step "bytes that are not HTTP on port 80: answered 400 and closed, as nginx would (on_uninspectable close)"
hits_before=$(nginx_log_lines)
out=$(printf 'NOT-HTTP \001\002\r\n\r\n' | ip netns exec "$NS_C" timeout 5 nc -N -w 3 "$S4" 80 | head -n 1 | tr -d '\r')
assert_eq "the controller's answer to garbage" "HTTP/1.1 400 Bad Request" "$out"
assert_eq "requests nginx saw meanwhile" "$hits_before" "$(nginx_log_lines)"

step "chunked upload (1 MB) arrives whole"
code=$(ip netns exec "$NS_C" curl -sS --max-time 30 -o /dev/null -w '%{http_code}' \
  -H 'Transfer-Encoding: chunked' -T "$XT_TMP/www/download" "http://$S4/upload/chunked.bin")
[[ $code == 201 || $code == 204 ]] || fail "chunked PUT answered $code"
assert_eq "uploaded file checksum" "$BLOB_SHA" "$(sha256sum <"$XT_TMP/www/upload/chunked.bin" | cut -d' ' -f1)"

step "wrk keep-alive load through the controller"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat"; }  # utime + stime
ticks0=$(cpu_ticks)
wrk_run "$XT_TMP/wrk-gw.txt" -t2 -c16 -d4s "http://$S4/free"
GW_RPS=$WRK_RPS
# The daemon's CPU per request (its own time and its syscalls; the RX copy in softirq is not in it).
GW_US_PER_REQ=$(awk -v t=$(($(cpu_ticks) - ticks0)) -v hz="$(getconf CLK_TCK)" -v n="$WRK_REQS" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
assert_eq "wrk socket errors (controller)" 0 "$WRK_ERRORS"
assert_eq "wrk non-2xx (controller)" 0 "$WRK_NON2XX"
sleep 2.2  # one stats interval: the daemon's counters must show it saw the requests
counters=$(daemon_counters)
log "daemon: $counters"
seen=$(sed -n 's/.*requests \([0-9]*\) .*/\1/p' <<<"$counters")
assert_ge "requests the controller judged" "${seen:-0}" "$WRK_REQS"
wrk_run "$XT_TMP/wrk-gw-close.txt" -t2 -c8 -d3s -H 'Connection: close' "http://$S4/free"
GW_CLOSE_RPS=$WRK_RPS
assert_eq "wrk socket errors (new connection per request)" 0 "$WRK_ERRORS"
log "FIGURES: keep-alive req/s: kernel bridge $BRIDGE_RPS, through the controller $GW_RPS; new connection per request: kernel bridge $BRIDGE_CLOSE_RPS, through the controller $GW_CLOSE_RPS; daemon CPU ${GW_US_PER_REQ} us per keep-alive request"

step "SIGTERM: exit 0, heartbeat cleared, the bridge keeps forwarding"
daemon_stop
grep -q "heartbeat cleared" "$XT_TMP/daemon.log" || fail "no shutdown line in the daemon log"
assert_eq "status after the daemon left" 200 "$(code_of 4 /free)"
got=$(ip netns exec "$NS_C" curl -sS --max-time 30 "http://[$S6]/download" | sha256sum | cut -d' ' -f1)
assert_eq "IPv6 download after the daemon left" "$BLOB_SHA" "$got"
