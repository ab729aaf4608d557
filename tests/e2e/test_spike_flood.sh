#!/usr/bin/env bash
# Debt floors under a spoofed flood (issue 13; the bound: bpf/abi.h, "debt floors"). A source spends
# its burst and is being limited; it pauses while spoofed sources flood the same interface; then it
# resumes. Over the whole window, its first packet to its last, the server must receive
# burst + rate * t (±10%): had its bucket been evicted and created afresh, it would have had a
# second burst. Spike arrest (IPv4 UDP) and the per-source SYN limit (IPv6 SYNs), each counted by
# an nftables counter of its source in the server namespace (the floods reach the server too).
#
# Two floods in the pause, each bounded in time (and so in count) and counted where they leave:
#  1. hping3 --flood --rand-source, one per CPU (TCP SYNs to a closed port; `timeout` bounds it,
#     --flood ignores -c). Every packet comes from a new source and takes an entry, but that alone
#     does not evict the paused source: the kernel's LRU hash keeps keys that were looked up again
#     on an active list, and takes victims from the inactive list while that list is the longer
#     (bpf_lru_list.c), which one-packet keys keep it. The test logs whether it did.
#  2. xt_flood_gen --spoof-pool (bench/xdp_tx.bpf.c): every spoofed source twice in a row, so the
#     flood's keys join the active list too; a million frames evict the paused source's entry.
# The test checks with bpftool that the entry is gone before the source resumes, so it never
# passes vacuously. The lab has no default route: answers to spoofed sources go nowhere. Spoofed
# sources landing in the paused source's floor slot share its refill (the collateral abi.h states):
# each of their packets in the pause may take one of its tokens, about flood / 65536 in all (≈ 20,
# 3% of the bound here), so the count comes out a little under the bound, never over it.
source "$(dirname "$0")/lib.sh"
e2e_init spike_flood hping3 bpftool nft timeout taskset
FLOOD_GEN=${XT_FLOOD_GEN:-$XT_BUILD_DIR/bench/xt_flood_gen}
[[ -x $FLOOD_GEN ]] || skip "flood generator not built: $FLOOD_GEN (cmake --build build --target xt_flood_gen)"

RATE=40 BURST=400 # burst / rate = 10 s: the pause stays inside it, so the bucket never fills up
PPS=400 COUNT=800 # each phase: 2 s at 10x the rate (the burst is spent in phase 1)
HPING_SECONDS=2
PAIRS_FRAMES=1000000 PAIRS_POOL=1048576 # 2 frames per source: 500,000 sources, twice xt_spike's size

lab_up
xt_attach
SPIKE_PIN="$XT_BPFFS/xdp-throttle/$IF_S/xt_spike"
# Frames an XDP_TX generator puts on a veth reach the peer through its NAPI: GRO on provides one.
ip netns exec "$NS_S" ethtool -K "$IF_S" gro on >/dev/null
MAC_S=$(ip -n "$NS_S" -j link show dev "$IF_S" | jq -r '.[0].address')
ip netns exec "$NS_S" nft -f - <<EOF
table inet xt_e2e {
  counter spike_src {}
  counter syn_src {}
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr $C4 udp dport 9 counter name spike_src
    ip6 saddr $C6 tcp flags & (syn | ack) == syn counter name syn_src
  }
}
EOF
received() { # spike_src|syn_src: packets the server's stack got from the limited source
  ip netns exec "$NS_S" nft -j list counter inet xt_e2e "$1" | jq '.nftables[] | .counter? // empty | .packets'
}

key_hex() { # ADDR: the xt_spike key of an address (IPv4-mapped, abi.h) as bpftool's hex bytes
  "$PY" -c 'import ipaddress, sys
a = ipaddress.ip_address(sys.argv[1])
b = ipaddress.IPv6Address("::ffff:" + str(a)).packed if a.version == 4 else a.packed
print(" ".join(f"{x:02x}" for x in b))' "$1"
}
tracked() { # ADDR: true while xt_spike holds the address's buckets
  # shellcheck disable=SC2046 # one word per key byte
  bpftool map lookup pinned "$SPIKE_PIN" key hex $(key_hex "$1") >/dev/null 2>&1
}

# One hping3 per CPU, as a NIC's RSS spreads a flood: a veth delivers on the sender's CPU, and the
# kernel's LRU keeps each CPU's newest entries on that CPU's own list until that CPU inserts again.
flood_hping() { # bounded hping3 --rand-source floods, one per CPU
  local tx0 cpu pids=()
  tx0=$(link_stat "$NS_C" "$IF_C" tx_packets)
  for ((cpu = 0; cpu < $(nproc); cpu++)); do
    ip netns exec "$NS_C" taskset -c "$cpu" timeout "$HPING_SECONDS" \
      hping3 -q -S -p 81 --flood --rand-source "$S4" >/dev/null 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  log "hping3 --rand-source: $(($(link_stat "$NS_C" "$IF_C" tx_packets) - tx0)) packets from random sources in ${HPING_SECONDS}s on $(nproc) CPUs"
}
flood_pairs() { # every spoofed source twice in a row (see the top)
  local cpu out
  for ((cpu = 0; cpu < $(nproc); cpu++)); do
    out=$(ip netns exec "$NS_C" taskset -c "$cpu" "$FLOOD_GEN" --iface "$IF_C" --src "$C4" --dst "$S4" \
      --dst-mac "$MAC_S" --count $((PAIRS_FRAMES / $(nproc))) --seconds 5 \
      --spoof-pool $PAIRS_POOL --spoof-repeat 2 --spoof-base "100.$((64 + cpu * 16)).0.0") ||
      fail "xt_flood_gen failed: $out"
    log "spoofed pairs from CPU $cpu: $out"
  done
}

# paused_source WHAT ADDR COUNTER traffic.py-ARGS...: phase 1, the floods (ADDR's bucket must be
# evicted), phase 2; checks the nftables COUNTER's delta against burst + rate * t over the window.
paused_source() {
  local what=$1 addr=$2 counter=$3 r0 first end1 start2 last sent t1 t2 total pause got
  local expected fresh
  shift 3
  r0=$(received "$counter")
  send "$NS_C" "$@"
  first=$SEND_FIRST_AT end1=$SEND_LAST_AT t1=$SECONDS_TAKEN sent=$SENT
  tracked "$addr" || fail "$what: no bucket for $addr after phase 1"
  flood_hping
  if tracked "$addr"; then
    log "$what: $addr's bucket survived hping3's one-packet sources (the LRU's active list)"
    flood_pairs
  else
    log "$what: hping3's flood alone evicted $addr's bucket"
  fi
  tracked "$addr" && fail "$what: the floods did not evict $addr's bucket"
  pass "$what: $addr's bucket was evicted during the pause"
  send "$NS_C" "$@"
  start2=$SEND_FIRST_AT last=$SEND_LAST_AT t2=$SECONDS_TAKEN sent=$((sent + SENT))
  sleep 0.3
  got=$(($(received "$counter") - r0))
  total=$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.3f", b - a }')
  pause=$(awk -v a="$end1" -v b="$start2" 'BEGIN { printf "%.3f", b - a }')
  expected=$(bucket_bound $BURST $RATE "$total")
  # What the source would get if its new bucket started full: a second burst, minus the refill
  # the pause would have earned anyway.
  fresh=$(($(bucket_bound $BURST $RATE "$t1") + $(bucket_bound $BURST $RATE "$t2")))
  log "$what: $addr sent $sent in ${total}s (phases ${t1}s and ${t2}s, paused ${pause}s); received $got; burst + rate*t = $expected; a fresh burst after the eviction would give $fresh"
  awk -v p="$pause" -v b=$BURST -v r=$RATE 'BEGIN { exit !(p < b / r) }' ||
    fail "$what: the pause (${pause}s) outlasted burst/rate: the bucket would have refilled anyway"
  awk -v e="$expected" -v f="$fresh" 'BEGIN { exit !(f > e * 1.1) }' ||
    fail "$what: inconclusive: a fresh burst ($fresh) would be within 10% of the bound ($expected)"
  assert_within "$what: received from $addr over the window (burst + rate*t)" "$expected" "$got" 10
}

step "spike arrest: a limited source paused through a --rand-source flood (IPv4 UDP)"
xt_ok limit spike --rate $RATE --burst $BURST
paused_source "spike" "$C4" spike_src udp --dst "$S4" --count $COUNT --rate $PPS

step "status shows the fill levels the floods left"
t0=$(date +%s%N)
tables=$(xt_ok status --json | jq -c --arg i "$IF_S" '.interfaces[] | select(.iface == $i) | .tables')
log "status --json took $((($(date +%s%N) - t0) / 1000000)) ms: $(jq -c 'with_entries(.value |= "\(.entries)/\(.max_entries)")' <<<"$tables")"
assert_ge "status: xt_spike entries after the floods (the LRU is full)" "$(jq .spike.entries <<<"$tables")" \
  $(($(jq .spike.max_entries <<<"$tables") * 9 / 10))
assert_ge "status: floor slots in debt ($C4's at least)" "$(jq .floors.entries <<<"$tables")" 1

step "per-source SYN limit: the same with IPv6 SYNs from $C6"
# Spike arrest stays on at a rate no source here reaches: the floods' UDP frames (no SYN) then take
# entries too, which they would not with every stage off.
xt_ok limit spike --rate 100000 --burst 100000
xt_ok limit syn --rate $RATE --burst $BURST
paused_source "SYN" "$C6" syn_src syn --dst "$S6" --src "$C6" --port 82 --count $COUNT --rate $PPS
