#!/usr/bin/env bash
# SYN limits end to end. Per source: hping3 (IPv4) and a raw-socket sender (IPv6) flood SYNs from one
# address; the server gets burst + rate * t (±10%). Global: hping3 --rand-source (IPv4) and random
# 2001:db8::/32 sources (IPv6), every SYN from a new source with a full per-source bucket; the
# global bucket still holds the total to global_burst + global_rate * t (±10%).
#
# SYNs go to a closed port: the server answers RST, which the client drops without a word, so the
# server receives nothing but the admitted SYNs (and neighbour discovery). They are counted by the
# server's IPv4 stack (Ip InReceives: hping3's random sources include martians that IP drops
# before TCP sees them) and by its TCP stack for IPv6 (Tcp InSegs: Ip6InReceives counts NDP too).
# The lab has no default route, so the RSTs to spoofed sources die in the server namespace.
source "$(dirname "$0")/lib.sh"
e2e_init syn hping3 ping

RATE=100 BURST=50 GRATE=300 GBURST=100
PORT=80

lab_up
xt_attach

# check FAM BURST RATE DROP_COUNTER: after a flood (SENT, SECONDS_TAKEN set), compares the server's
# IP receive count since R0 with BURST + RATE * t and the counters since P0/D0.
check() {
  local fam=$1 burst=$2 rate=$3 reason=$4 received passed dropped expected
  sleep 0.3
  received=$(($(syn_received "$fam") - R0))
  passed=$(($(counter passed) - P0))
  dropped=$(($(counter "$reason") - D0))
  expected=$(bucket_bound "$burst" "$rate" "$SECONDS_TAKEN")
  log "IPv$fam: sent $SENT SYNs in ${SECONDS_TAKEN}s, server received $received, $reason drops $dropped"
  assert_within "SYNs received at the server (IPv$fam, $burst + $rate/s * t)" "$expected" "$received" 10
  assert_ge "stats passed delta" "$passed" "$received"
  assert_le "stats passed delta" "$passed" $((received + 4))
  assert_eq "$reason drops + received" "$SENT" $((dropped + received))
}
# hping_result JSON: SENT and SECONDS_TAKEN from `traffic.py time` around hping3
hping_result() {
  log "hping3: $1"
  SENT=$(jq '.reported // .sent' <<<"$1") SECONDS_TAKEN=$(jq .seconds <<<"$1")
}
syn_received() { if [[ $1 == 4 ]]; then ip_received 4; else tcp_received; fi; }
mark() { sleep 0.6; R0=$(syn_received "$1") P0=$(counter passed) D0=$(counter "$2"); }

step "per-source SYN limit: --rate $RATE --burst $BURST"
xt_ok limit syn --rate $RATE --burst $BURST
assert_limits syn.rate=$RATE syn.burst=$BURST syn_global=null

mark 4 syn_source
out=$(ip netns exec "$NS_C" "$PY" "$TRAFFIC" time --dev "$IF_C" --expect 2500 -- \
  hping3 -q -S -p $PORT -c 2500 -i u400 "$S4") || fail "hping3 flood failed: $out"
hping_result "$out"
check 4 $BURST $RATE syn_source

mark 6 syn_source
send "$NS_C" syn --dst "$S6" --src "$C6" --port $PORT --count 2500 --rate 2500
check 6 $BURST $RATE syn_source

step "only SYNs spend SYN tokens: the flooding source still pings"
expect_ping pass 4

step "global SYN limit: --global-rate $GRATE --global-burst $GBURST against random sources"
xt_ok limit syn --rate $RATE --burst $BURST --global-rate $GRATE --global-burst $GBURST
assert_limits syn_global.rate=$GRATE syn_global.burst=$GBURST

mark 4 syn_global
source_drops=$(counter syn_source)
out=$(ip netns exec "$NS_C" "$PY" "$TRAFFIC" time --dev "$IF_C" --expect 3000 -- \
  hping3 -q -S -p $PORT -c 3000 -i u400 --rand-source "$S4") || fail "hping3 --rand-source flood failed: $out"
hping_result "$out"
check 4 $GBURST $GRATE syn_global
# hping3 draws sources at random: a repeat now and then may meet a per-source bucket, never many.
assert_le "syn_source drops during the random-source flood" $(($(counter syn_source) - source_drops)) 5

mark 6 syn_global
send "$NS_C" syn --dst "$S6" --rand-source --port $PORT --count 3000 --rate 2500
check 6 $GBURST $GRATE syn_global

step "limit off syn"
xt_ok limit off syn
assert_eq "limit show syn" null "$(xt_ok limit show --json | jq -c .syn)"
mark 4 syn_source
send "$NS_C" syn --dst "$S4" --src "$C4" --port $PORT --count 500 --rate 2500
sleep 0.3
assert_eq "SYNs received with the SYN limit off" "$SENT" $(($(syn_received 4) - R0))
