#!/usr/bin/env bash
# Counters end to end: what the client's veth transmitted is exactly what xdp-throttle saw (packets
# and bytes), every packet seen has exactly one verdict, drops are counted per reason and per source
# (`top`), and bpftool prints the pinned counters with their field names.
source "$(dirname "$0")/lib.sh"
e2e_init counters bpftool

lab_up
lab_second_client_address
lab_static_neighbours
# MLD reports for the addresses just added are repeated for about a second: let them pass before the
# first snapshot, so nothing is in flight between the reads at the two ends.
sleep 2
xt_attach

verdicts='["passed","malformed","ip_deny","not_allowed","banned","spike","syn_source","syn_global"]'
# sum_verdicts JSON FIELD: the sum of FIELD over every verdict counter of a `stats --json` document
sum_verdicts() { jq --argjson v "$verdicts" --arg f "$2" '[.counters[$v[]][$f]] | add' <<<"$1"; }

step "a known number of packets: seen == transmitted, passed + dropped == seen"
s0=$(xt_ok stats --json)
tx0=$(link_stat "$NS_C" "$IF_C" tx_packets) txb0=$(link_stat "$NS_C" "$IF_C" tx_bytes)
u40=$(udp_received 4) u60=$(udp_received 6)
send "$NS_C" udp --dst "$S4" --src "$C4" --count 1000 --rate 2000 --size 100
sent4=$SENT
send "$NS_C" udp --dst "$S6" --src "$C6" --count 1000 --rate 2000 --size 200
sent6=$SENT
sleep 0.3
s1=$(xt_ok stats --json)
tx=$(($(link_stat "$NS_C" "$IF_C" tx_packets) - tx0)) txb=$(($(link_stat "$NS_C" "$IF_C" tx_bytes) - txb0))
seen=$(($(jq .counters.seen.packets <<<"$s1") - $(jq .counters.seen.packets <<<"$s0")))
seen_bytes=$(($(jq .counters.seen.bytes <<<"$s1") - $(jq .counters.seen.bytes <<<"$s0")))
log "sender: $sent4 + $sent6 datagrams; client veth tx: $tx packets, $txb bytes; xdp-throttle seen: $seen, $seen_bytes bytes"
# Static neighbours: the client's veth sends the datagrams and, rarely, an MLD report.
assert_ge "client veth tx packets" "$tx" $((sent4 + sent6))
assert_le "client veth tx packets (datagrams + a late MLD report or two)" "$tx" $((sent4 + sent6 + 3))
assert_eq "seen packets == client veth tx packets" "$tx" "$seen"
assert_eq "seen bytes == client veth tx bytes" "$txb" "$seen_bytes"
# Frames of 14 + 20 + 8 + 100 bytes (IPv4) and 14 + 40 + 8 + 200 (IPv6), plus those reports.
assert_ge "seen bytes >= frame sizes" "$seen_bytes" $((sent4 * 142 + sent6 * 262))
assert_le "seen bytes <= frame sizes + 3 MLD reports" "$seen_bytes" $((sent4 * 142 + sent6 * 262 + 3 * 200))
assert_eq "datagrams received by the server's UDP stack" $((sent4 + sent6)) \
  $(($(udp_received 4) - u40 + $(udp_received 6) - u60))
for f in packets bytes; do
  assert_eq "sum of all verdicts ($f) == seen ($f)" "$(jq .counters.seen.$f <<<"$s1")" "$(sum_verdicts "$s1" $f)"
done

step "drops per reason and per source: deny $C4, ban $C4B"
xt_ok ip deny add "$C4/32"
xt_ok ban add "$C4B" --for 10m --reason counters
s0=$(xt_ok stats --json)
u40=$(udp_received 4)
send "$NS_C" udp --dst "$S4" --count 500 --rate 2000 --src "$C4"
denied=$SENT
send "$NS_C" udp --dst "$S4" --count 50 --rate 2000 --src "$C4B"
banned=$SENT
sleep 0.3
s1=$(xt_ok stats --json)
assert_eq "datagrams received by the server" 0 $(($(udp_received 4) - u40))
assert_eq "ip_deny packets delta" "$denied" $(($(jq .counters.ip_deny.packets <<<"$s1") - $(jq .counters.ip_deny.packets <<<"$s0")))
assert_eq "ip_deny bytes delta" $((denied * 106)) $(($(jq .counters.ip_deny.bytes <<<"$s1") - $(jq .counters.ip_deny.bytes <<<"$s0")))
assert_eq "banned packets delta" "$banned" $(($(jq .counters.banned.packets <<<"$s1") - $(jq .counters.banned.packets <<<"$s0")))
for f in packets bytes; do
  assert_eq "sum of all verdicts ($f) == seen ($f)" "$(jq .counters.seen.$f <<<"$s1")" "$(sum_verdicts "$s1" $f)"
done

top=$(xt_ok top --json)
log "top --json: $(jq -c . <<<"$top")"
assert_eq "top[0].source" "$C4" "$(jq -r '.[0].source' <<<"$top")"
assert_eq "top[0].packets" "$denied" "$(jq '.[0].packets' <<<"$top")"
assert_eq "top[0].last_reason" ip_deny "$(jq -r '.[0].last_reason' <<<"$top")"
assert_eq "top[1].source" "$C4B" "$(jq -r '.[1].source' <<<"$top")"
assert_eq "top[1].last_reason" banned "$(jq -r '.[1].last_reason' <<<"$top")"
assert_eq "top -n 1 entries" 1 "$(xt_ok top -n 1 --json | jq length)"
text=$(xt_ok top)
log "top:"$'\n'"$text"
assert_contains "top (text)" "$text" "$C4"
text=$(xt_ok stats)
log "stats:"$'\n'"$text"
assert_contains "stats (text)" "$text" "ip_deny"

step "bpftool shows the pinned counters with named fields"
pin="$XDP_THROTTLE_BPFFS/xdp-throttle/$IF_S/xt_stats"
dump=$(bpftool map dump pinned "$pin" 2>&1) || fail "bpftool map dump pinned $pin: $dump"
for field in seen passed ip_deny banned spike syn_global; do
  assert_contains "bpftool map dump pinned .../xt_stats" "$dump" "\"$field\""
done
# The same numbers as the CLI: sum ip_deny over the CPUs in bpftool's JSON.
json=$(bpftool -j map dump pinned "$pin")
bpftool_denied=$(jq '[.. | objects | select(has("ip_deny")) | .ip_deny.packets] | add' <<<"$json")
assert_eq "ip_deny packets (bpftool, summed over CPUs) == CLI" "$(xt_ok stats --json | jq .counters.ip_deny.packets)" "$bpftool_denied"
