#!/usr/bin/env bash
# e2e.gateway_exhaustion: limits hold when an attacker fills the controller's tables (issue 13).
# /limited allows 3 per hour per client; max_clients_per_limit 100, max_flows 50.
#   - client table: a client spends its 3, 400 other addresses send one request each, it asks
#     again: still refused, nginx served it 3 in all (its bucket is live, so it is never forgotten;
#     the newcomers share the overflow bucket once the table is full, logged once);
#   - IPv6: addresses of one /64 are one client (an attacker owns 2^64 of them); another /64 is not;
#   - flow table: full of idle keep-alive connections, the spent client's new connections are still
#     inspected (idle ones are forgotten first); full of half-sent heads (nothing can be forgotten),
#     new connections are refused with a reset — never bridged uninspected. Counted in nginx's log.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_exhaustion nginx curl

gw_lab_up
nginx_start
gw_attach

# Source addresses: .16-.254 of the client's /24 and a second /24 beside it (the server reaches it
# on-link); IPv6: more of the client's own /64, and a second /64.
prefix=${C4%.*}
o3=${prefix##*.}
extra="${prefix%.*}.$((o3 ^ 1))"
net6=${C6%::1}
{
  for i in $(seq 16 254); do echo "addr add $prefix.$i/24 dev $IF_C"; done
  for i in $(seq 1 254); do echo "addr add $extra.$i/24 dev $IF_C"; done
  for i in $(seq 16 80); do printf 'addr add %s::%x/64 dev %s nodad\n' "$net6" "$i" "$IF_C"; done
  for i in $(seq 1 20); do printf 'addr add %s:1::%x/64 dev %s nodad\n' "$net6" "$i" "$IF_C"; done
} | ip -n "$NS_C" -batch - || fail "adding the client's source addresses"
ip -n "$NS_S" route add "$extra.0/24" dev "$IF_S" || fail "route to $extra.0/24 in $NS_S"
ip -n "$NS_S" -6 route add "$net6:1::/64" dev "$IF_S" || fail "route to $net6:1::/64 in $NS_S"

cat >"$XT_TMP/gateway.json" <<EOF
{"version": 3,
 "extra_config": {"xdp-throttle": {"http_ports": [80],
   "flows": {"max_clients_per_limit": 100, "max_flows": 50}}},
 "endpoints": [
   {"backend": [{"url_pattern": "/"}], "endpoint": "/limited",
    "extra_config": {"qos/ratelimit/router": {"client_max_rate": 1, "client_capacity": 3, "every": "1h", "strategy": "ip"}}},
   {"backend": [{"url_pattern": "/"}], "endpoint": "/api/{key}",
    "extra_config": {"qos/ratelimit/router": {"client_max_rate": 1, "client_capacity": 3, "every": "1h", "strategy": "ip"}}},
   {"backend": [{"url_pattern": "/"}], "endpoint": "/free"}]}
EOF
DAEMON_STATS_INTERVAL=500ms daemon_start "$XT_TMP/gateway.json"

served_to() { # ADDRESS PATH: 2xx nginx sent to ADDRESS for PATH
  grep -cE "^$1 .*\"[A-Z]+ $2 HTTP/[0-9.]+\" 2[0-9][0-9] " "$XT_TMP/nginx/access.log" || true
}

step "client table: a spent client waits while 400 other addresses ask once each"
assert_eq "the client's 3" "200 200 200" "$(code_of 4 /limited --interface "$C4") $(code_of 4 /limited --interface "$C4") $(code_of 4 /limited --interface "$C4")"
out=$(gc spread "$S4" /limited --sources "$prefix.16-$prefix.254,$extra.1-$extra.161")
log "400 others: $out"
assert_eq "connection errors" 0 "$(jq .errors <<<"$out")"
assert_eq "the spent client asks again" "429" "$(code_of 4 /limited)"
assert_eq "nginx served the spent client" 3 "$(served_to "$C4" /limited)"
sleep 1.2  # the daemon's sweep logs the episode
assert_eq "overflow episodes logged" 1 "$(grep -c 'client table full' "$XT_TMP/daemon.log")"

step "IPv6: one /64 is one client"
assert_eq "3 from the client's address" "200 200 200" "$(for _ in 1 2 3; do printf "%s " "$(code_of 6 /api/v6 --interface "$C6")"; done | xargs)"
out=$(gc spread "$S6" /api/v6 --sources "$net6::10-$net6::50")
log "65 more addresses of the same /64: $out"
assert_eq "all refused" '{"429":65}' "$(jq -c .statuses <<<"$out")"
out=$(gc spread "$S6" /api/v6 --sources "$net6:1::1-$net6:1::14")
log "20 addresses of another /64: $out"
assert_eq "another /64: its own 3" '{"200":3,"429":17}' "$(jq -c -S .statuses <<<"$out")"

step "flow table full of idle keep-alive connections: the spent client is still inspected"
bg "$NS_C" "$PY" "$GATEWAY_CLIENT" hold "$S4" /free --sources "$extra.170-$extra.219" --seconds 20 >"$XT_TMP/hold-idle.json"
HOLD=$BG_PID
for _ in $(seq 100); do [[ -s "$XT_TMP/hold-idle.json" ]] && break; sleep 0.1; done
log "held: $(cat "$XT_TMP/hold-idle.json")"
assert_eq "idle connections held" 50 "$(jq .held "$XT_TMP/hold-idle.json")"
sleep 1.5  # idle for a second at least: they may be forgotten now
codes=$(for _ in 1 2 3 4 5; do printf "%s " "$(code_of 4 /limited --interface "$C4")"; done | xargs)
assert_eq "the spent client, 5 new connections" "429 429 429 429 429" "$codes"
assert_eq "nginx served the spent client" 3 "$(served_to "$C4" /limited)"
kill "$HOLD" 2>/dev/null; wait "$HOLD" 2>/dev/null || true

step "flow table full of half-sent heads: new connections are refused, never uninspected"
sleep 1
bg "$NS_C" "$PY" "$GATEWAY_CLIENT" hold "$S4" /free --sources "$extra.220-$extra.254,$prefix.200-$prefix.214" --partial --seconds 20 >"$XT_TMP/hold-partial.json"
HOLD=$BG_PID
for _ in $(seq 100); do [[ -s "$XT_TMP/hold-partial.json" ]] && break; sleep 0.1; done
log "held: $(cat "$XT_TMP/hold-partial.json")"
sleep 1.5
codes=$(for _ in 1 2 3; do printf "%s " "$(code_of 4 /limited --interface "$C4")"; done | xargs)
log "the spent client: $codes (000: reset)"
assert_eq "nginx served the spent client" 3 "$(served_to "$C4" /limited)"
bystander=$(code_of 4 /free --interface "$C4B")
log "a bystander's new connection: $bystander"
[[ $bystander == 200 || $bystander == 000 ]] || fail "bystander got $bystander"
kill "$HOLD" 2>/dev/null; wait "$HOLD" 2>/dev/null || true
sleep 0.6
counters=$(daemon_counters)
log "daemon: $counters"
refused=$(sed -n 's/.* \([0-9]*\) refused (table full).*/\1/p' <<<"$counters")
assert_ge "connections refused with a reset" "${refused:-0}" 1
daemon_stop
