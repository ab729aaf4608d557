#!/usr/bin/env bash
# e2e.gateway_bots: KrakenD's bot detector (security/bot-detector) enforced by xdp-throttled.
#   - root (service-level) detector with krakend-botdetector's own vectors, on paths no endpoint
#     matches: bots get a synthesized 403 (no Retry-After, Connection: close) and nginx never sees
#     them; the others pass;
#   - an endpoint detector holding the 1,500 patterns of tests/data/crawler-user-agents.json, with
#     empty_user_agent_is_bot: sampled crawler UAs get 403 and never reach nginx, browsers 200, an
#     empty UA is a bot there and only there;
#   - a bot spends no endpoint token (KrakenD's order);
#   - `xdp-throttle bot-check` on the same config gives the verdicts the gateway gave;
#   - the daemon's stats line counts bots by cause, equal to what the clients saw, and nginx logged
#     exactly the requests it let through;
#   - IPv6 the same.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_bots nginx curl jq

DATA="$XT_SOURCE_DIR/tests/data/crawler-user-agents.json"
[[ -r "$DATA" ]] || fail "missing $DATA"
gw_lab_up
nginx_start
gw_attach
# krakend-botdetector's test patterns, and the crawler list's, written by jq (JSON escaping).
jq -n --slurpfile list "$DATA" '{
  version: 3,
  extra_config: {
    "xdp-throttle": {http_ports: [80]},
    "security/bot-detector": {
      deny: ["a", "b"], allow: ["c", "Pingdom.com_bot_version_1.1"],
      patterns: ["(Pingdom.com_bot_version_)(\\d+)\\.(\\d+)", "(facebookexternalhit)/(\\d+)\\.(\\d+)"],
      cache_size: 100}},
  endpoints: [
    {endpoint: "/shared", backend: [{url_pattern: "/"}],
     extra_config: {
       "security/bot-detector": {patterns: [$list[0][].pattern], empty_user_agent_is_bot: true},
       "qos/ratelimit/router": {max_rate: 1, capacity: 1, every: "1h"}}}]}' >"$XT_TMP/gateway.json"
DAEMON_STATS_INTERVAL=200ms daemon_start "$XT_TMP/gateway.json"

status_of() { # 4|6 PATH UA: the status of one GET with that User-Agent ("" sends none)
  code_of "$1" "$2" -A "$3"
}
BOTS=0 EMPTY=0 DENY=0 PATTERN=0

step "service level: krakend-botdetector's vectors on unmatched paths"
i=0
while IFS='|' read -r expect cause ua; do
  i=$((i + 1))
  assert_eq "UA \"$ua\"" "$expect" "$(status_of 4 "/api/vector-$i" "$ua")"
  if [[ $expect == 403 ]]; then
    assert_eq "bot UA \"$ua\" reached nginx" 0 "$(nginx_hits "/api/vector-$i")"
    BOTS=$((BOTS + 1))
    case $cause in deny) DENY=$((DENY + 1)) ;; pattern) PATTERN=$((PATTERN + 1)) ;; esac
  else
    assert_eq "UA \"$ua\" served by nginx" 1 "$(nginx_served "/api/vector-$i")"
  fi
done <<'VECTORS'
200|none|abcd
200|empty|
200|allow|c
200|allow|Pingdom.com_bot_version_1.1
403|deny|a
403|deny|b
403|pattern|facebookexternalhit/1.1
403|pattern|Pingdom.com_bot_version_1.2
VECTORS
# A second "a" is answered by the root detector's cache.
assert_eq "cached deny" 403 "$(status_of 4 /api/vector-again a)"
BOTS=$((BOTS + 1)) DENY=$((DENY + 1))
hdrs=$(ip netns exec "$NS_C" curl -s -i --max-time 5 -A b "http://$S4/api/head")
BOTS=$((BOTS + 1)) DENY=$((DENY + 1))
assert_contains "403 status line" "$hdrs" "HTTP/1.1 403 Forbidden"
assert_contains "403 body" "$hdrs" '"status":403'
assert_contains "403 names the limit" "$hdrs" '"limit":"bot"'
grep -qi '^Connection: close' <<<"$hdrs" || fail "no Connection: close in: $hdrs"
! grep -qi '^Retry-After:' <<<"$hdrs" || fail "a 403 with Retry-After: $hdrs"
! grep -qi '^RateLimit' <<<"$hdrs" || fail "a 403 with RateLimit fields: $hdrs"
pass "403 without Retry-After/RateLimit, with Connection: close"

step "endpoint level: 1,500 crawler patterns; sampled crawler UAs 403, browsers 200"
# Every 25th entry's first instance, without the ones the root detector decides first.
jq -r '[.[] | select(.instances | length > 0) | .instances[0]] | to_entries[]
       | select(.key % 25 == 0) | .value' "$DATA" | grep -v facebookexternalhit >"$XT_TMP/sample.txt"
n=$(wc -l <"$XT_TMP/sample.txt")
assert_ge "sampled crawler UAs" "$n" 40
before=$(nginx_hits /shared)
while IFS= read -r ua; do
  got=$(status_of 4 /shared "$ua")
  [[ $got == 403 ]] || fail "crawler UA \"$ua\": $got"
done <"$XT_TMP/sample.txt"
pass "$n crawler UAs refused with 403"
assert_eq "empty UA on the endpoint" 403 "$(status_of 4 /shared "")"
assert_eq "crawler requests that reached nginx" 0 "$(($(nginx_hits /shared) - before))"
BOTS=$((BOTS + n + 1)) PATTERN=$((PATTERN + n)) EMPTY=$((EMPTY + 1))
# The endpoint's single token (capacity 1 an hour) is still there: the bots spent none.
browser="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
assert_eq "browser after the bots" 200 "$(status_of 4 /shared "$browser")"
assert_eq "browser again: the endpoint limit" 503 "$(status_of 4 /shared "$browser")"
assert_eq "requests nginx served on /shared" 1 "$(nginx_served /shared)"

step "bot-check judges like the gateway (same config, no daemon involved)"
mapfile -t sample <"$XT_TMP/sample.txt"
verdicts=$("$XT_CLI" bot-check --config "$XT_TMP/gateway.json" --endpoint /shared --json "${sample[@]}" "" "$browser")
assert_eq "bot-check: crawler UAs judged bots" "$n" "$(jq "[.[:$n][] | select(.bot and .by == \"pattern\")] | length" <<<"$verdicts")"
assert_eq "bot-check: empty UA on /shared" '"empty"' "$(jq -c ".[$n] | select(.bot) | .by" <<<"$verdicts")"
assert_eq "bot-check: browser" false "$(jq ".[$((n + 1))].bot" <<<"$verdicts")"
assert_eq "bot-check: a vector" '{"bot":true,"by":"deny","scope":"service"}' \
  "$("$XT_CLI" bot-check --config "$XT_TMP/gateway.json" --json a | jq -c '.[0] | {bot, by, scope}')"

step "IPv6: the same detectors"
assert_eq "IPv6 crawler" 403 "$(status_of 6 /shared "$(head -n 1 "$XT_TMP/sample.txt")")"
assert_eq "IPv6 deny" 403 "$(status_of 6 /api/v6 a)"
assert_eq "IPv6 browser on an unmatched path" 200 "$(status_of 6 /api/v6 "$browser")"
BOTS=$((BOTS + 2)) PATTERN=$((PATTERN + 1)) DENY=$((DENY + 1))

step "the daemon's stats line counts what the clients saw"
sleep 0.6
line=$(daemon_counters)
log "daemon: $line"
re='\| bots ([0-9]+) \(empty ([0-9]+), deny ([0-9]+), pattern ([0-9]+), cache hits ([0-9]+)\)'
[[ $line =~ $re ]] || fail "no bots section in: $line"
assert_eq "bots" "$BOTS" "${BASH_REMATCH[1]}"
assert_eq "bots: empty" "$EMPTY" "${BASH_REMATCH[2]}"
assert_eq "bots: deny" "$DENY" "${BASH_REMATCH[3]}"
assert_eq "bots: pattern" "$PATTERN" "${BASH_REMATCH[4]}"
assert_ge "bots: cache hits" "${BASH_REMATCH[5]}" 3
# Differential: nginx logged exactly the requests the controller let through.
re='requests ([0-9]+) \([0-9]+/s\), rejected ([0-9]+)'
[[ $line =~ $re ]] || fail "no requests/rejected in: $line"
assert_eq "requests nginx logged = requests - rejected" \
  "$((BASH_REMATCH[1] - BASH_REMATCH[2]))" "$(nginx_hits '/(api|shared)[^ ]*')"
daemon_stop
