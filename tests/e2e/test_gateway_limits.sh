#!/usr/bin/env bash
# e2e.gateway_limits: KrakenD rate limits enforced by xdp-throttled on the wire.
#   - `strategy: ip` client limit: a client hammering /limited (a new connection per request) gets
#     capacity + rate*t 200s (±10%), the rest 429 with Retry-After; the backend never saw the
#     rejected ones; a second client address is limited independently;
#   - two API keys under `strategy: header` are limited independently, a request without the key
#     gets 429;
#   - an endpoint limit (max_rate/capacity) answers 503 with Retry-After;
#   - an unmatched path is untouched (even under wrk load while the others are limited);
#   - the same over IPv6.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_limits nginx wrk curl

RATE=20 CAPACITY=10 SECONDS_HAMMER=3
gw_lab_up
nginx_start
gw_attach
cat >"$XT_TMP/gateway.json" <<EOF
{
  "version": 3,
  "extra_config": {"xdp-throttle": {"http_ports": [80]}},
  "endpoints": [
    {"backend": [{"url_pattern": "/"}], "endpoint": "/limited",
     "extra_config": {"qos/ratelimit/router": {"client_max_rate": $RATE, "client_capacity": $CAPACITY, "every": "1s", "strategy": "ip"}}},
    {"backend": [{"url_pattern": "/"}], "endpoint": "/api/{key}",
     "extra_config": {"qos/ratelimit/router": {"client_max_rate": 1, "client_capacity": 3, "every": "1m", "strategy": "header", "key": "X-Api-Key"}}},
    {"backend": [{"url_pattern": "/"}], "endpoint": "/shared",
     "extra_config": {"qos/ratelimit/router": {"max_rate": 1, "capacity": 2, "every": "1m"}}}
  ]
}
EOF
daemon_start "$XT_TMP/gateway.json"

step "strategy ip: capacity $CAPACITY + $RATE/s for ${SECONDS_HAMMER}s, then 429 with Retry-After"
before=$(nginx_hits /limited)
out=$(gc hammer "$S4" /limited --seconds "$SECONDS_HAMMER")
log "hammer: $out"
ok=$(jq .ok <<<"$out") window=$(jq .window_s <<<"$out")
rejected=$(jq '.statuses["429"] // 0' <<<"$out")
assert_within "admitted requests" "$(bucket_bound "$CAPACITY" "$RATE" "$window")" "$ok" 10
assert_ge "429 answers" "$rejected" 10
assert_eq "other statuses" '["200","429"]' "$(jq -c '.statuses | keys' <<<"$out")"
assert_eq "429s without a numeric Retry-After" 0 "$(jq .retry_after_missing <<<"$out")"
assert_eq "connection errors" 0 "$(jq .errors <<<"$out")"
assert_eq "requests that reached nginx" "$ok" "$(($(nginx_hits /limited) - before))"
# The bucket refills a token every 50 ms, more than one curl start takes on a loaded machine: ask 20
# times from one curl process (one keep-alive connection, reopened after each 429's close) and look
# at every response (heads and bodies, one transfer a line).
urls=()
for _ in $(seq 20); do urls+=("http://$S4/limited"); done
hdrs=$(ip netns exec "$NS_C" curl -s -i -w '\n' --max-time 10 "${urls[@]}")
assert_contains "a rejection's head" "$hdrs" "HTTP/1.1 429"
grep -qiE '^Retry-After: [0-9]+' <<<"$hdrs" || fail "no Retry-After in: $hdrs"
grep -qi '^RateLimit-Policy:' <<<"$hdrs" || fail "no RateLimit-Policy in: $hdrs"
assert_contains "a rejection's body" "$hdrs" '"status":429'
pass "429 carries Retry-After, RateLimit-Policy and a JSON body"
assert_eq "second client address, own bucket" 200 "$(code_of 4 /limited --interface "$C4B")"

step "strategy header: two API keys limited independently (capacity 3 per key)"
codes() { # KEY-HEADER N
  local out="" i
  for i in $(seq "$2"); do out+="$(code_of 4 "/api/item$i" ${1:+-H "$1"}) "; done
  echo "${out% }"
}
assert_eq "key alpha" "200 200 200 429 429" "$(codes 'X-Api-Key: alpha' 5)"
assert_eq "key beta (independent of alpha)" "200 200 200 429" "$(codes 'X-Api-Key: beta' 4)"
assert_eq "no key: 429 as in KrakenD" "429" "$(codes '' 1)"

step "endpoint limit (capacity 2 for everybody): 503 with Retry-After"
assert_eq "/shared" "200 200 503" "$(code_of 4 /shared) $(code_of 4 /shared --interface "$C4B") $(code_of 4 /shared)"
hdrs=$(ip netns exec "$NS_C" curl -s -D - -o /dev/null --max-time 5 "http://$S4/shared")
assert_contains "endpoint rejection" "$hdrs" "HTTP/1.1 503"
grep -qiE '^Retry-After: [0-9]+' <<<"$hdrs" || fail "no Retry-After in: $hdrs"

step "unmatched path untouched, also under load while the limited ones reject"
gc hammer "$S4" /limited --seconds 3 >"$XT_TMP/hammer-bg.json" &
HAMMER=$!
XT_BG_PIDS+=("$HAMMER")
wrk_run "$XT_TMP/wrk-free.txt" -t2 -c8 -d3s "http://$S4/free"
wait "$HAMMER" || fail "background hammer failed"
assert_ge "429s on /limited meanwhile" "$(jq '.statuses["429"] // 0' "$XT_TMP/hammer-bg.json")" 10
assert_eq "wrk on /free: non-2xx" 0 "$WRK_NON2XX"
assert_eq "wrk on /free: socket errors" 0 "$WRK_ERRORS"
log "unmatched path through the controller: $WRK_RPS req/s"
assert_eq "/free after the load" 200 "$(code_of 4 /free)"

step "IPv6: the same limits"
out=$(gc hammer "$S6" /limited --seconds 2)
log "hammer over IPv6: $out"
ok=$(jq .ok <<<"$out") window=$(jq .window_s <<<"$out")
assert_within "admitted over IPv6" "$(bucket_bound "$CAPACITY" "$RATE" "$window")" "$ok" 10
assert_eq "IPv6 429s without Retry-After" 0 "$(jq .retry_after_missing <<<"$out")"
assert_ge "IPv6 429 answers" "$(jq '.statuses["429"] // 0' <<<"$out")" 5
assert_eq "IPv6 key gamma" "200 200 200 429" "$(for i in 1 2 3 4; do printf '%s ' "$(code_of 6 /api/x$i -H 'X-Api-Key: gamma')"; done | sed 's/ $//')"
assert_eq "IPv6 unmatched path" 200 "$(code_of 6 /free)"
log "daemon: $(daemon_counters)"
daemon_stop
