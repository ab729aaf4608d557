#!/usr/bin/env bash
# Spike arrest end to end: a bounded UDP flood from one source gets burst + rate * t through
# (±10%), counted at the receiver's UDP stack and cross-checked with the CLI's counters; keying per
# prefix makes two addresses of one /24 (/64) share one bucket, keying per address does not.
source "$(dirname "$0")/lib.sh"
e2e_init spike ping

RATE=200 BURST=100
FLOOD_COUNT=4000 FLOOD_PPS=3000 # about 1.3 s at 15x the allowed rate

lab_up
lab_second_client_address
xt_attach

# flood FAM SOURCES EXPECTED_BUCKETS: floods, then checks receiver count == buckets * (B + R t) ± 10%
flood() {
  local fam=$1 sources=$2 buckets=$3 dst p0 d0 r0 received passed dropped expected
  [[ $fam == 4 ]] && dst=$S4 || dst=$S6
  sleep 0.6 # let every bucket refill (B / R = 0.5 s) whatever the previous step did
  p0=$(counter passed) d0=$(counter spike) r0=$(udp_received "$fam")
  send "$NS_C" udp --dst "$dst" --count $FLOOD_COUNT --rate $FLOOD_PPS --src "$sources"
  sleep 0.3
  received=$(($(udp_received "$fam") - r0))
  passed=$(($(counter passed) - p0))
  dropped=$(($(counter spike) - d0))
  expected=$((buckets * $(bucket_bound $BURST $RATE "$SECONDS_TAKEN")))
  log "IPv$fam from $sources: sent $SENT in ${SECONDS_TAKEN}s, received $received, spike drops $dropped"
  assert_within "received at the server (IPv$fam, $buckets bucket(s) of $BURST + $RATE/s * t)" "$expected" "$received" 10
  # XDP passed the UDP packets plus whatever neighbour traffic happened meanwhile (a packet or two).
  assert_ge "stats passed delta" "$passed" "$received"
  assert_le "stats passed delta" "$passed" $((received + 4))
  assert_eq "spike drops + received" "$SENT" $((dropped + received))
}

step "per-address spike arrest: --rate $RATE --burst $BURST"
xt_ok limit spike --rate $RATE --burst $BURST
assert_limits spike.rate=$RATE spike.burst=$BURST spike.every_ns=1000000000 spike.per=address
flood 4 "$C4" 1
flood 6 "$C6" 1

step "per address, two addresses of one /24 and /64: two buckets"
flood 4 "$C4,$C4B" 2
flood 6 "$C6,$C6B" 2

step "per prefix (/24, /64), same two addresses: one shared bucket; --every 100ms"
xt_ok limit spike --rate $((RATE / 10)) --every 100ms --burst $BURST --per prefix --prefix-v4 24 --prefix-v6 64
assert_limits spike.every_ns=100000000 spike.per=prefix spike.prefix_v4=24 spike.prefix_v6=64
flood 4 "$C4,$C4B" 1
flood 6 "$C6,$C6B" 1

step "limit clock coarse (XT_CFG_COARSE_CLOCK): still burst + rate*t (±10%), per address"
# The coarse clock lags by at most one tick (4 ms at HZ=250): rate * tick = 0.8 packets more at most.
xt_ok limit spike --rate $RATE --burst $BURST
assert_eq "limit show clock (default)" exact "$(xt_ok limit show --json | jq -r .clock)"
xt_ok limit clock coarse
assert_limits clock=coarse spike.rate=$RATE
assert_contains "limit show (text)" "$(xt_ok limit show)" "clock       coarse"
flood 4 "$C4" 1
flood 6 "$C6" 1
xt_ok limit clock exact
assert_eq "limit show clock after 'limit clock exact'" exact "$(xt_ok limit show --json | jq -r .clock)"
rc=0
xt limit clock fast >/dev/null 2>&1 || rc=$?
assert_eq "exit status of 'limit clock fast'" 1 "$rc"

step "limit off spike: the same flood passes whole"
xt_ok limit off spike
assert_eq "limit show spike" null "$(xt_ok limit show --json | jq -c .spike)"
r0=$(udp_received 4)
send "$NS_C" udp --dst "$S4" --count 2000 --rate $FLOOD_PPS
sleep 0.3
assert_eq "received at the server with spike arrest off" "$SENT" $(($(udp_received 4) - r0))
