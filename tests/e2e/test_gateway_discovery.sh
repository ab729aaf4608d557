#!/usr/bin/env bash
# e2e.gateway_discovery: which wire addresses are a backend's follows DNS without a restart.
# A real DNS server (dnsmasq) runs in the edge namespace on 127.0.0.1; `ip netns exec` points the
# daemon at it through /etc/netns/NS/resolv.conf. The server namespace has two addresses ($S4,
# $S4B), nginx on ports 80 and 8080, logging the address and port each request reached.
#   - static:  "host": ["http://api.test:80"] with a proxy limit (capacity 5 per minute): requests
#              to api.test's address are limited (nginx serves 5), the other address is not;
#   - SRV:     "sd": "dns", "host": ["_api._tcp.test"] -> srvtarget.test port 8080: only
#              requests to that address *and* the record's port are limited;
#   - change:  both names move to $S4B (addn-hosts rewritten, SIGHUP): the daemon logs the change
#              and, without a restart, the limits follow (the new address gets the backend's empty
#              bucket: 503, nginx sees nothing; the old address is free);
#   - outage:  dnsmasq stopped: lookups fail, logged, and the last good sets are kept;
#   - start during the outage: a static name refuses the start (JSON path); an SRV-only config
#              starts with the set empty, and the limit applies once dnsmasq answers again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_discovery nginx curl dnsmasq

# /etc/netns/NS is ours (the namespace name is unique to this run); ip netns del leaves it behind.
discovery_cleanup() {
  local rc=$?
  set +e
  [[ -n "$NS_E" && -d "/etc/netns/$NS_E" ]] && rm -rf "/etc/netns/$NS_E"
  (exit "$rc")  # lab_cleanup reports and exits with the test's status
  lab_cleanup
}
trap discovery_cleanup EXIT

N=8 CAPACITY=5
gw_lab_up
S4B="${S4%.*}.4"
ip -n "$NS_S" addr add "$S4B/24" dev "$IF_S"

step "nginx on $S4 and $S4B, ports 80 and 8080, logging the address each request reached"
d=$XT_TMP/nginx
mkdir -p "$d/temp"
{
  nginx_conf_head "$d" 1 off
  cat <<NGINX
  log_format to '\$server_addr:\$server_port "\$request" \$status';
  default_type text/plain;
  server {
    access_log $d/access.log to;
    listen 80 backlog=4096;
    listen 8080 backlog=4096;
    location = /free { return 200 "free\n"; }
    location = /p { return 200 "static backend\n"; }
    location = /s { return 200 "srv backend\n"; }
  }
}
NGINX
} >"$d/nginx.conf"
nginx_serve
gw_attach
ip netns exec "$NS_C" ping -c 1 -W 1 "$S4B" >/dev/null || fail "no path to $S4B"

served() { # ADDR:PORT PATH: 2xx nginx logged for requests that reached ADDR:PORT
  grep -cE "^$1 \"GET $2 HTTP/[0-9.]+\" 2[0-9][0-9]$" "$d/access.log" || true
}
hit() { # ADDR:PORT PATH N: N GETs from the client, one connection each; prints the statuses
  local out="" i
  for i in $(seq "$3"); do
    out+="$(ip netns exec "$NS_C" curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$1$2") "
  done
  echo "${out% }"
}
expect_served() { # ADDR:PORT PATH N EXPECTED-SERVED WHAT
  local before after statuses
  before=$(served "$1" "$2")
  statuses=$(hit "$1" "$2" "$3")
  after=$(served "$1" "$2")
  log "$5: $statuses"
  assert_eq "$5: requests nginx served at $1$2" "$4" "$((after - before))"
  assert_eq "$5: 503 answers" "$(($3 - $4))" "$(grep -o 503 <<<"$statuses" | wc -l)"
}

wait_logged() { # WHAT REGEX...: every REGEX matches a line of the daemon's log within 10s
  local what=$1 re all
  shift
  for _ in $(seq 100); do
    all=1
    for re in "$@"; do grep -q "$re" "$XT_TMP/daemon.log" || all=0; done
    ((all)) && return 0
    sleep 0.1
  done
  fail "the daemon did not log $what within 10s: $(grep -v ']: flows' "$XT_TMP/daemon.log" | tail -8)"
}

step "dnsmasq in $NS_E on 127.0.0.1:53: api.test and srvtarget.test -> $S4, _api._tcp.test SRV port 8080"
mkdir -p "$XT_TMP/dns" "/etc/netns/$NS_E"
echo "nameserver 127.0.0.1" >"/etc/netns/$NS_E/resolv.conf"
write_hosts() { printf '%s api.test\n%s srvtarget.test\n' "$1" "$1" >"$XT_TMP/dns/hosts"; }
write_hosts "$S4"
dnsmasq_start() {
  bg "$NS_E" dnsmasq --keep-in-foreground --no-resolv --no-hosts --user=root \
    --listen-address=127.0.0.1 --bind-interfaces --port=53 --local=/test/ --local-ttl=1 \
    --addn-hosts="$XT_TMP/dns/hosts" --srv-host=_api._tcp.test,srvtarget.test,8080 \
    --pid-file="$XT_TMP/dns/pid" --log-facility="$XT_TMP/dns/log" --log-queries
  DNSMASQ_PID=$BG_PID
  for _ in $(seq 50); do
    ip netns exec "$NS_E" getent hosts api.test >/dev/null 2>&1 && return 0
    kill -0 "$DNSMASQ_PID" 2>/dev/null || fail "dnsmasq exited: $(cat "$XT_TMP/dns/log" 2>/dev/null)"
    sleep 0.1
  done
  fail "dnsmasq does not answer: $(cat "$XT_TMP/dns/log" 2>/dev/null)"
}
dnsmasq_start
assert_eq "api.test through dnsmasq (getaddrinfo)" "$S4" \
  "$(ip netns exec "$NS_E" "$PY" -c 'import socket, sys; print(socket.getaddrinfo(sys.argv[1], 80, socket.AF_INET)[0][4][0])' api.test)"

cat >"$XT_TMP/gateway.json" <<JSON
{
  "version": 3,
  "extra_config": {"xdp-throttle": {"http_ports": [80, 8080], "resolve_interval": "2s"}},
  "endpoints": [
    {"endpoint": "/p", "backend": [{"host": ["http://api.test:80"], "url_pattern": "/p",
      "extra_config": {"qos/ratelimit/proxy": {"max_rate": 1, "capacity": $CAPACITY, "every": "1h"}}}]},
    {"endpoint": "/s", "backend": [{"host": ["_api._tcp.test"], "sd": "dns", "url_pattern": "/s",
      "extra_config": {"qos/ratelimit/proxy": {"max_rate": 1, "capacity": $CAPACITY, "every": "1h"}}}]}
  ]
}
JSON
DAEMON_STATS_INTERVAL=1s daemon_start "$XT_TMP/gateway.json"
grep -q "backend \$.endpoints\[0\].backend\[0\] (api.test): $S4:80$" "$XT_TMP/daemon.log" ||
  fail "no initial set of the static backend: $(cat "$XT_TMP/daemon.log")"
grep -q "backend \$.endpoints\[1\].backend\[0\] (SRV _api._tcp.test): $S4:8080$" "$XT_TMP/daemon.log" ||
  fail "no initial set of the SRV backend: $(cat "$XT_TMP/daemon.log")"
pass "the daemon logged both sets at start"

step "before the change: the limits apply to $S4 only (SRV: only on the record's port 8080)"
expect_served "$S4:80" /p $N $CAPACITY "static, $S4"
expect_served "$S4B:80" /p $N $N "static, $S4B (not the backend)"
expect_served "$S4:8080" /s $N $CAPACITY "SRV, $S4:8080"
expect_served "$S4:80" /s $N $N "SRV, $S4:80 (not the record's port)"
expect_served "$S4B:8080" /s $N $N "SRV, $S4B:8080 (not the backend)"

step "the DNS records change to $S4B (addn-hosts rewritten, SIGHUP); no restart"
write_hosts "$S4B"
kill -HUP "$DNSMASQ_PID"
wait_logged "$S4:80 -> $S4B:80 and $S4:8080 -> $S4B:8080" \
  "backend \$.endpoints\[0\].backend\[0\] api.test: $S4:80 -> $S4B:80$" \
  "backend \$.endpoints\[1\].backend\[0\] _api._tcp.test: $S4:8080 -> $S4B:8080$"
pass "changes logged: $(grep -- ' -> ' "$XT_TMP/daemon.log" | sed 's/.*\]: //' | paste -sd ';')"
kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon is gone"

step "after the change: the limits follow the new address (the backend's bucket, already empty)"
expect_served "$S4B:80" /p $N 0 "static, $S4B (now the backend)"
expect_served "$S4:80" /p $N $N "static, $S4 (no longer the backend)"
expect_served "$S4B:8080" /s $N 0 "SRV, $S4B:8080 (now the backend)"
expect_served "$S4:8080" /s $N $N "SRV, $S4:8080 (no longer the backend)"

step "DNS outage: dnsmasq stopped; lookups fail, the last good sets are kept"
kill "$DNSMASQ_PID"
wait "$DNSMASQ_PID" 2>/dev/null || true
wait_logged "failed lookups keeping the last good sets" \
  "api.test: lookup failed .*keeping $S4B:80$" "_api._tcp.test: lookup failed .*keeping $S4B:8080$"
expect_served "$S4B:80" /p 3 0 "static during the outage"
expect_served "$S4B:8080" /s 3 0 "SRV during the outage"
sleep 1.2  # one more stats line
stats=$(grep -E "\]: discovery: " "$XT_TMP/daemon.log" | tail -n 1 | sed 's/.*\]: //')
log "daemon: $stats"
assert_contains "stats: backends" "$stats" "backends 2,"
assert_contains "stats: set changes" "$stats" "set changes 2"
assert_contains "stats: hosts failing now" "$stats" "hosts failing now 2"
assert_eq "failure episodes logged once per host" 2 "$(grep -c ': lookup failed' "$XT_TMP/daemon.log")"
daemon_stop

step "start during the outage: a static name refuses the start, an SRV name starts empty"
rc=0
out=$(ip netns exec "$NS_E" "$XT_DAEMON" --config "$XT_TMP/gateway.json" --iface "$IF_A" --peer "$IF_B" 2>&1) || rc=$?
assert_eq "exit status with an unresolvable static name" 1 "$rc"
assert_contains "the refusal names the backend" "$out" '$.endpoints[0].backend[0]: backend host "api.test" does not resolve'
jq 'del(.endpoints[0])' "$XT_TMP/gateway.json" >"$XT_TMP/gateway-srv.json"
DAEMON_STATS_INTERVAL=1s daemon_start "$XT_TMP/gateway-srv.json"
wait_logged "the failed SRV lookup at start" "_api._tcp.test: lookup failed at start"
expect_served "$S4B:8080" /s $N $N "SRV, empty set until DNS answers (no limit yet)"
dnsmasq_start
wait_logged "the SRV set once DNS answers" "_api._tcp.test: (none) -> $S4B:8080$"
expect_served "$S4B:8080" /s $N $CAPACITY "SRV, $S4B:8080 once DNS answers"
daemon_stop
