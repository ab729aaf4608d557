#!/usr/bin/env bash
# e2e.gateway_autoban: automatic bans (the `autoban` block of the "xdp-throttle" namespace).
#   - a client in `never` breaking its limit keeps getting 429s and is never banned;
#   - a client breaking its limit `count` times within `within` is banned in the XDP ban box: its new
#     SYNs are dropped at XDP (the `banned` counter grows), `ban list --json` shows it with origin
#     controller and a reason naming the rule and the endpoint, while a bystander is served; nginx
#     served exactly the 200s the clients saw;
#   - restarting the daemon keeps the ban (pinned map) and writes no second one;
#   - the ban expires after `ban_for` and the client is served again;
#   - a bot (the root bot detector's deny list) is banned at its first 403 by an `on: bot` rule,
#     and `ban del` lifts the ban;
#   - the state file shows the fill level of the daemon's tables (flows, client buckets, windows);
#   - in a full ban box (attach --size bans=1024, filled by the operator) the ban is refused and
#     counted (`refused`), and no ban is dropped to make room.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_autoban nginx curl jq

COUNT=5 BAN_FOR_S=20 BANS_MAX=1024
DAEMON_STATS_INTERVAL=1s
gw_lab_up
nginx_start
gw_attach --size bans=$BANS_MAX
cat >"$XT_TMP/gateway.json" <<EOF2
{
  "version": 3,
  "extra_config": {"security/bot-detector": {"deny": ["evilbot/1.0"]},
  "xdp-throttle": {
    "http_ports": [80],
    "autoban": {
      "rules": [{"on": "client_limit", "count": $COUNT, "within": "10s", "ban_for": "${BAN_FOR_S}s"},
                {"on": "bot", "ban_for": "10m"}],
      "never": ["$C4B/32"],
      "max_bans_per_minute": 10
    }
  }},
  "endpoints": [
    {"endpoint": "/limited", "backend": [{"host": ["http://$S4:80"]}],
     "extra_config": {"qos/ratelimit/router": {"client_max_rate": 1, "client_capacity": 2, "every": "10s", "strategy": "ip"}}}
  ]
}
EOF2
xte check-config "$XT_TMP/gateway.json" >/dev/null || fail "check-config: $(xte check-config "$XT_TMP/gateway.json" 2>&1)"
daemon_start "$XT_TMP/gateway.json"

bans_json() { xte ban list --iface "$IF_A" --json || fail "ban list failed"; }
banned_packets() { xte stats --iface "$IF_A" --json | jq -e '.counters.banned.packets' || fail "stats failed"; }
# autoban_field NAME: a number from the autoban section of the daemon's next counters line.
autoban_field() {
  sleep 1.2
  daemon_counters | sed -nE "s/.*\| autoban .*\b$1 ([0-9]+).*/\1/p"
}
# hits FROM N: N GETs of /limited from address FROM (one curl each, new connection, 1 s timeout);
# prints the statuses (000: no answer).
hits() {
  local from=$1 n=$2 out="" i
  for i in $(seq "$n"); do
    out+="$(code_of 4 /limited --interface "$from" --max-time 1) "
  done
  echo "${out% }"
}
served_before=$(nginx_served /limited)
twohundreds=0

step "a client in never (C4B) breaking its limit is never banned"
codes=$(hits "$C4B" 12)
log "C4B: $codes"
assert_eq "C4B answered every time" 0 "$(grep -o '000' <<<"$codes" | wc -l)"
assert_ge "C4B 429s" "$(grep -o '429' <<<"$codes" | wc -l)" 9
twohundreds=$((twohundreds + $(grep -o '200' <<<"$codes" | wc -l)))
assert_eq "bans after C4B" 0 "$(bans_json | jq length)"
assert_ge "autoban 'never' count" "$(autoban_field never)" 9

step "a client (C4) breaking its limit $COUNT times within 10s is banned at XDP"
codes=""
for _ in $(seq 20); do
  c=$(code_of 4 /limited --interface "$C4" --max-time 1)
  codes+="$c "
  [[ $c == 000 ]] && break
done
log "C4: $codes"
assert_eq "429s before the ban" "$COUNT" "$(grep -o '429' <<<"$codes" | wc -l)"
assert_contains "C4 stops getting answers" "$codes" "000"
twohundreds=$((twohundreds + $(grep -o '200' <<<"$codes" | wc -l)))
bans=$(bans_json)
log "ban list --json: $(jq -c . <<<"$bans")"
assert_eq "bans" 1 "$(jq length <<<"$bans")"
assert_eq "banned address" "$C4" "$(jq -r '.[0].address' <<<"$bans")"
assert_eq "origin" controller "$(jq -r '.[0].origin' <<<"$bans")"
assert_eq "reason" "auto#0 client_limit /limited" "$(jq -r '.[0].reason' <<<"$bans")"
assert_le "expires_in_ms" "$(jq '.[0].expires_in_ms' <<<"$bans")" $((BAN_FOR_S * 1000))
assert_contains "daemon log" "$(cat "$XT_TMP/daemon.log")" "autoban: $C4 banned for ${BAN_FOR_S}s"
before=$(banned_packets)
assert_eq "C4 while banned" 000 "$(code_of 4 /free --interface "$C4" --max-time 1)"
assert_ge "banned packets (SYNs dropped at XDP)" "$(( $(banned_packets) - before ))" 1
assert_eq "bystander over IPv6" 200 "$(code_of 6 /limited)"
twohundreds=$((twohundreds + 1))
assert_eq "bystander C4B on /free" 200 "$(code_of 4 /free --interface "$C4B")"
assert_eq "nginx served /limited (200s the clients saw)" "$twohundreds" "$(($(nginx_served /limited) - served_before))"
line=$(sleep 1.2; daemon_counters)
assert_contains "stats line" "$line" "| autoban banned 1, suppressed 0 (rate), refused 0 (ban box full), never "
state=$XT_TMP/daemon-state.json
log "state file tables: $(jq -c .tables "$state")"
assert_eq "state file: flow table bound" 65536 "$(jq '.tables[] | select(.name == "flows") | .max_entries' "$state")"
assert_ge "state file: client buckets in use" "$(jq '[.tables[] | select(.name | startswith("client buckets"))][0].entries' "$state")" 2
assert_eq "state file: autoban window bound" 65536 "$(jq '.tables[] | select(.name == "autoban windows") | .max_entries' "$state")"

step "restarting the daemon keeps the ban and writes no second one"
daemon_stop
log_lines=$(wc -l <"$XT_TMP/daemon.log")
daemon_start "$XT_TMP/gateway.json"
bans=$(bans_json)
assert_eq "bans after the restart" 1 "$(jq length <<<"$bans")"
assert_eq "still $C4, origin controller" "$C4 controller" "$(jq -r '.[0] | "\(.address) \(.origin)"' <<<"$bans")"
assert_eq "C4 after the restart" 000 "$(code_of 4 /free --interface "$C4" --max-time 1)"
sleep 1.2
assert_eq "ban lines after the restart" 0 "$(tail -n +"$((log_lines + 1))" "$XT_TMP/daemon.log" | grep -c 'autoban: .* banned for' || true)"
assert_contains "stats line after the restart" "$(daemon_counters)" "| autoban banned 0,"

step "the ban expires after ${BAN_FOR_S}s and C4 is served again"
for _ in $(seq 300); do
  [[ $(bans_json | jq length) == 0 ]] && break
  sleep 0.1
done
assert_eq "bans after expiry" 0 "$(bans_json | jq length)"
assert_eq "C4 /free after expiry" 200 "$(code_of 4 /free --interface "$C4")"
assert_eq "C4 /limited after expiry (bucket refilled)" 200 "$(code_of 4 /limited --interface "$C4")"

step "a bot is banned at its first 403 (on: bot), and ban del lifts the ban"
free_before=$(nginx_served /free)
assert_eq "C4 as evilbot" 403 "$(code_of 4 /free --interface "$C4" -A evilbot/1.0 --max-time 1)"
bans=$(bans_json)
log "ban list --json: $(jq -c . <<<"$bans")"
assert_eq "bans" 1 "$(jq length <<<"$bans")"
assert_eq "banned bot" "$C4 controller" "$(jq -r '.[0] | "\(.address) \(.origin)"' <<<"$bans")"
assert_contains "reason" "$(jq -r '.[0].reason' <<<"$bans")" "auto#1 bot"
assert_eq "C4 (any user agent) while banned" 000 "$(code_of 4 /free --interface "$C4" --max-time 1)"
assert_eq "nginx never saw the bot (/free served)" "$free_before" "$(nginx_served /free)"
assert_eq "bystander C4B on /free" 200 "$(code_of 4 /free --interface "$C4B")"
xte ban del --iface "$IF_A" "$C4" >/dev/null || fail "ban del $C4"
assert_eq "bans after ban del" 0 "$(bans_json | jq length)"
assert_eq "C4 after ban del" 200 "$(code_of 4 /free --interface "$C4")"

step "a full ban box: the automatic ban is refused and counted, no ban is dropped"
"$PY" -c 'import ipaddress, sys
for i in range(int(sys.argv[1])): print(ipaddress.IPv4Address((100 << 24 | 64 << 16) + i))' "$BANS_MAX" >"$XT_TMP/fill.txt"
xargs -a "$XT_TMP/fill.txt" ip netns exec "$NS_E" "$XT_CLI" ban add --iface "$IF_A" --for 10m --reason fill \
  >/dev/null 2>&1 || true  # the last few may not fit beside entries not yet reaped: full either way
assert_eq "bans (the box is full)" "$BANS_MAX" "$(bans_json | jq length)"
codes=""
for _ in $(seq 20); do
  codes+="$(code_of 4 /limited --interface "$C4" --max-time 1) "
  (($(grep -o '429' <<<"$codes" | wc -l) == COUNT)) && break
done
log "C4: $codes"
assert_eq "429s" "$COUNT" "$(grep -o '429' <<<"$codes" | wc -l)"
assert_eq "C4 still answered (not banned)" 200 "$(code_of 4 /free --interface "$C4")"
bans=$(bans_json)
assert_eq "bans (none dropped, none added)" "$BANS_MAX" "$(jq length <<<"$bans")"
assert_eq "fill bans kept" "$BANS_MAX" "$(jq '[.[] | select(.reason == "fill")] | length' <<<"$bans")"
sleep 1.2
assert_contains "stats line" "$(daemon_counters)" "| autoban banned 1, suppressed 0 (rate), refused 1 (ban box full),"
assert_contains "daemon log" "$(cat "$XT_TMP/daemon.log")" "autoban: the ban box is full: $C4 not banned"
log "daemon: $(daemon_counters)"
daemon_stop
