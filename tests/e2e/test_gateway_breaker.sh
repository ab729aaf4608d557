#!/usr/bin/env bash
# e2e.gateway_breaker: qos/circuit-breaker enforced by xdp-throttled, failures seen on the wire.
#   - /flaky (max_errors 2, timeout 3): nginx answers 500; the breaker opens after exactly 3
#     failures counted in nginx's access log; then 503 + Retry-After and nginx sees nothing more;
#     /other on the same host and port is untouched; KrakenD's [CB] log line;
#   - half-open: the backend recovered (a slow 200 through a python backend); of two requests sent
#     together exactly one (the probe) reaches nginx, the other gets 503; then closed again;
#   - /reset: nginx `return 444` (closes without answering) opens its breaker (max_errors 0), for
#     both of the backend's hosts (IPv4 and IPv6);
#   - /slow: no response head within the endpoint's `timeout` (1s; the backend takes 2.5s) opens
#     its breaker; the late 200 is not counted again;
#   - /hang: a half-open breaker's probe whose client hangs up (curl --max-time) frees the probe
#     slot: the next request probes (and closes the breaker) instead of waiting for 503s forever;
#   - the daemon's stats line and its state file (--state-file, JSON) show every breaker.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_breaker nginx curl jq

gw_lab_up

# A backend that answers after DELAY seconds (query ?d=SECONDS) with STATUS (?s=, 200), behind nginx.
cat >"$XT_TMP/slow.py" <<'EOF'
import http.server, sys, time, urllib.parse
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        time.sleep(float(query.get("d", ["0"])[0]))
        body = b"slow\n"
        self.send_response(int(query.get("s", ["200"])[0]))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
EOF
bg "$NS_S" "$PY" "$XT_TMP/slow.py" 9002
for _ in $(seq 50); do
  ip netns exec "$NS_S" bash -c ': </dev/tcp/127.0.0.1/9002' 2>/dev/null && break
  sleep 0.1
done

nginx_start '
    location = /other { return 200 "other\n"; }
    location = /flaky {
      if (!-f '"$XT_TMP"'/www/healthy) { return 500 "down\n"; }
      proxy_pass http://127.0.0.1:9002;
    }
    location = /reset { return 444; }
    location = /slow { proxy_pass http://127.0.0.1:9002; }
    location = /hang { proxy_pass http://127.0.0.1:9002; }'
gw_attach

cat >"$XT_TMP/gateway.json" <<EOF
{
  "version": 3,
  "extra_config": {"xdp-throttle": {"http_ports": [80]}},
  "endpoints": [
    {"endpoint": "/flaky", "backend": [{"host": ["http://$S4:80"], "extra_config": {"qos/circuit-breaker":
      {"interval": 60, "timeout": 3, "max_errors": 2, "name": "flaky", "log_status_change": true}}}]},
    {"endpoint": "/other", "backend": [{"host": ["http://$S4:80"]}]},
    {"endpoint": "/reset", "backend": [{"host": ["http://$S4:80", "http://[$S6]:80"], "extra_config": {"qos/circuit-breaker":
      {"interval": 0, "timeout": 60, "max_errors": 0, "name": "reset"}}}]},
    {"endpoint": "/hang", "timeout": "10s", "backend": [{"host": ["http://$S4:80"], "extra_config": {"qos/circuit-breaker":
      {"interval": 0, "timeout": 2, "max_errors": 0, "name": "hang"}}}]},
    {"endpoint": "/slow", "timeout": "1s", "backend": [{"host": ["http://$S4:80"], "extra_config": {"qos/circuit-breaker":
      {"interval": 0, "timeout": 60, "max_errors": 0, "name": "slow"}}}]}
  ]
}
EOF
STATE_FILE=$XT_TMP/state.json
DAEMON_STATS_INTERVAL=1s DAEMON_STATE_FILE=$STATE_FILE daemon_start "$XT_TMP/gateway.json"

step "/flaky: 500s open the breaker after exactly max_errors+1 = 3 failures"
codes=""
for _ in 1 2 3 4 5; do codes+="$(code_of 4 /flaky) "; done
assert_eq "statuses" "500 500 500 503 503" "${codes% }"
assert_eq "failures nginx answered" 3 "$(nginx_hits /flaky)"
hdrs=$(ip netns exec "$NS_C" curl -s -D - -o /dev/null --max-time 5 "http://$S4/flaky")
assert_contains "open breaker's answer" "$hdrs" "HTTP/1.1 503"
retry=$(grep -i '^Retry-After:' <<<"$hdrs" | tr -dc '0-9')
[[ -n "$retry" ]] && ((retry >= 1 && retry <= 3)) || fail "Retry-After 1..3 expected in: $hdrs"
pass "503 with Retry-After: $retry"
assert_eq "nginx still saw only the failures" 3 "$(nginx_hits /flaky)"
assert_eq "/other on the same host:port" 200 "$(code_of 4 /other)"
assert_contains "KrakenD's log line" "$(cat "$XT_TMP/daemon.log")" \
  "[CB] Circuit breaker named 'flaky' went from 'closed' to 'open'"

step "half-open: exactly one probe, then closed"
touch "$XT_TMP/www/healthy"
sleep $((retry + 1))
ip netns exec "$NS_C" curl -s -o "$XT_TMP/probe.out" -w '%{http_code}' --max-time 10 \
  "http://$S4/flaky?d=1.5" >"$XT_TMP/probe.code" &
PROBE=$!
XT_BG_PIDS+=("$PROBE")
sleep 0.5
assert_eq "a second request while the probe is out" 503 "$(code_of 4 /flaky)"
wait "$PROBE"
assert_eq "the probe" 200 "$(cat "$XT_TMP/probe.code")"
assert_eq "requests nginx saw for /flaky (3 failures + the probe)" 4 "$(nginx_hits '/flaky(\?[^ ]*)?')"
assert_eq "closed again" "200 200" "$(code_of 4 /flaky) $(code_of 4 /flaky)"
log_text=$(cat "$XT_TMP/daemon.log")
assert_contains "to half-open" "$log_text" "went from 'open' to 'half-open'"
assert_contains "to closed" "$log_text" "went from 'half-open' to 'closed'"

step "/reset: a backend that closes without answering opens its breaker"
assert_eq "first (nginx 444: no response)" "000" "$(code_of 4 /reset)"
assert_eq "then" 503 "$(code_of 4 /reset)"
assert_eq "nginx logged one" 1 "$(nginx_hits /reset)"
assert_eq "over IPv6: the same backend definition, the same breaker" 503 "$(code_of 6 /reset)"
assert_eq "nginx still logged one" 1 "$(nginx_hits /reset)"

step "/slow: no response head within the endpoint timeout (1s) opens its breaker"
assert_eq "late but answered" 200 "$(code_of 4 '/slow?d=2.5')"
assert_eq "then" 503 "$(code_of 4 /slow)"
assert_eq "nginx saw one" 1 "$(nginx_hits '/slow(\?[^ ]*)?')"

step "/hang: a probe whose client hangs up frees the probe slot"
assert_eq "a 500 opens it (max_errors 0)" 500 "$(code_of 4 '/hang?s=500')"
assert_eq "open" 503 "$(code_of 4 /hang)"
sleep 2.5
assert_eq "the probe, abandoned by its client after 0.5s" 000 "$(code_of 4 '/hang?d=3' --max-time 0.5)"
sleep 0.5
assert_eq "the next request is the new probe" 200 "$(code_of 4 /hang)"
assert_eq "closed" 200 "$(code_of 4 /hang)"

step "stats line and state file"
sleep 1.5
line=$(daemon_counters)
log "counters: $line"
assert_contains "stats: flaky" "$line" "flaky:closed failures 3 opens 1"
assert_contains "stats: reset" "$line" "reset:open failures 1 opens 1"
assert_contains "stats: slow (the late 200 not counted)" "$line" "slow:open failures 1 opens 1"
assert_contains "stats: hang (the hang-up not counted)" "$line" "hang:closed failures 1 opens 1"
[[ -s "$STATE_FILE" ]] || fail "no state file $STATE_FILE"
log "state file: $(cat "$STATE_FILE")"
assert_eq "state file: slow" "open 1" "$(jq -r '.breakers[] | select(.name == "slow") | "\(.state) \(.failures)"' "$STATE_FILE")"
assert_eq "state file: flaky opens" 1 "$(jq -r '.breakers[] | select(.name == "flaky") | .opens' "$STATE_FILE")"
daemon_stop
