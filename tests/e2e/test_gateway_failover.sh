#!/usr/bin/env bash
# e2e.gateway_failover: the controller dies under load and nobody notices.
#   wrk keep-alive load on an unmatched path through the controller; `kill -9` of the daemon 2 s in;
#   a new daemon 2 s later. The load must continue (the kernel bridges while no heartbeat is fresh)
#   with no failed connection beyond those in flight (wrk's socket errors <= its connections) and
#   no non-2xx answer; the restarted daemon takes over: it judges requests again and its limits
#   answer 429. A second kill -9 with a long-lived download in flight: the download completes intact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_failover nginx wrk curl

CONNECTIONS=16
gw_lab_up
nginx_start
gw_attach
cat >"$XT_TMP/gateway.json" <<'EOF'
{"version": 3,
 "extra_config": {"xdp-throttle": {"http_ports": [80]}},
 "endpoints": [
   {"backend": [{"url_pattern": "/"}], "endpoint": "/limited",
    "extra_config": {"qos/ratelimit/router": {"client_max_rate": 1, "client_capacity": 2, "every": "1m", "strategy": "ip"}}}]}
EOF
daemon_start "$XT_TMP/gateway.json"
FIRST_PID=$DAEMON_PID
assert_eq "limited endpoint before the crash" "200 200 429" "$(code_of 4 /limited) $(code_of 4 /limited) $(code_of 4 /limited)"

step "kill -9 under wrk load ($CONNECTIONS connections, 8 s), restart 2 s later"
ip netns exec "$NS_C" timeout 30 wrk -t2 -c$CONNECTIONS -d8s --timeout 4s "http://$S4/free" >"$XT_TMP/wrk.txt" 2>&1 &
WRK=$!
XT_BG_PIDS+=("$WRK")
sleep 2
kill -9 "$FIRST_PID"
{ wait "$FIRST_PID"; } 2>/dev/null || true
log "daemon $FIRST_PID killed"
sleep 1
assert_eq "status with no controller (kernel bridge)" 200 "$(code_of 4 /limited)"
sleep 1
daemon_start "$XT_TMP/gateway.json"
log "daemon restarted as $DAEMON_PID"
wait "$WRK" || fail "wrk failed: $(cat "$XT_TMP/wrk.txt")"
wrk_parse "$XT_TMP/wrk.txt"
log "wrk: $WRK_REQS requests, $WRK_RPS req/s, socket errors $WRK_ERRORS, non-2xx $WRK_NON2XX"
assert_ge "requests completed across the crash" "$WRK_REQS" 1000
assert_le "wrk socket errors (at most the connections in flight)" "$WRK_ERRORS" "$CONNECTIONS"
assert_eq "wrk non-2xx answers" 0 "$WRK_NON2XX"

step "the restarted daemon took over"
sleep 2.2
counters=$(grep -E "\[$DAEMON_PID\]: flows " "$XT_TMP/daemon.log" | tail -n 1)
log "restarted daemon: ${counters#*]: }"
seen=$(sed -n 's/.*requests \([0-9]*\) .*/\1/p' <<<"$counters")
assert_ge "requests the restarted daemon judged" "${seen:-0}" 100
assert_eq "limited endpoint after the restart (fresh buckets)" "200 200 429" \
  "$(code_of 4 /limited) $(code_of 4 /limited) $(code_of 4 /limited)"

step "kill -9 during a download: the download completes intact"
ip netns exec "$NS_C" curl -sS --max-time 60 --limit-rate 2M -o "$XT_TMP/dl.bin" "http://$S4/download" &
CURL=$!
XT_BG_PIDS+=("$CURL")
sleep 0.2
kill -9 "$DAEMON_PID"
{ wait "$DAEMON_PID"; } 2>/dev/null || true
wait "$CURL" || fail "download failed after kill -9"
assert_eq "download checksum across kill -9" "$BLOB_SHA" "$(sha256sum <"$XT_TMP/dl.bin" | cut -d' ' -f1)"
DAEMON_PID=""
