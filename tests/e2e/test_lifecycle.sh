#!/usr/bin/env bash
# Lifecycle end to end: attach in native and skb modes, refuse a second attach, detach leaves no XDP
# program behind, re-attach keeps rules, bans and counters, detach --purge removes the pins; table
# sizes chosen at attach (--size) and kept by the pins; and the operator errors: no such
# interface, not root, bad duration.
source "$(dirname "$0")/lib.sh"
e2e_init lifecycle ping setpriv

lab_up
lab_second_client_address
PIN_DIR="$XDP_THROTTLE_BPFFS/xdp-throttle/$IF_S"

# xdp_mode: what the kernel says is attached to the server's veth: none | native | skb | other
xdp_mode() {
  case $(ip -n "$NS_S" -j -d link show dev "$IF_S" | jq '.[0].xdp.mode // 0') in
    0) echo none ;; 1) echo native ;; 2) echo skb ;; *) echo other ;;
  esac
}
kernel_prog_id() { ip -n "$NS_S" -j -d link show dev "$IF_S" | jq '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id // 0'; }

step "status before anything is attached"
status=$(xt_ok status --json)
log "status --json: $(jq -c . <<<"$status")"
assert_eq "attached interfaces" 0 "$(jq '[.interfaces[] | select(.attached)] | length' <<<"$status")"
jq -e '.multiprog_supported | type == "boolean"' <<<"$status" >/dev/null || fail "status --json: multiprog_supported is not a boolean: $status"

for mode in native skb; do
  step "attach in $mode mode"
  xt_ok attach "$IF_S" --mode $mode
  assert_eq "XDP mode the kernel reports" $mode "$(xdp_mode)"
  status=$(xt_ok status --json)
  entry=$(jq -c --arg i "$IF_S" '.interfaces[] | select(.iface == $i)' <<<"$status")
  log "status --json entry: $entry"
  assert_eq "status attached" true "$(jq .attached <<<"$entry")"
  assert_eq "status mode" $mode "$(jq -r .mode <<<"$entry")"
  assert_eq "status prog_id == the kernel's" "$(kernel_prog_id)" "$(jq .prog_id <<<"$entry")"
  assert_eq "status pin_dir" "$PIN_DIR" "$(jq -r .pin_dir <<<"$entry")"
  xt_err nonzero "already attached" attach "$IF_S" --mode $mode
  expect_ping pass 4
  expect_ping pass 6
  xt_ok detach "$IF_S"
  assert_eq "XDP mode after detach" none "$(xdp_mode)"
  [[ -d $PIN_DIR ]] || fail "detach (without --purge) removed the pin dir $PIN_DIR"
  pass "pin dir kept after detach"
done

step "re-attach keeps rules, bans and counters"
xt_ok attach "$IF_S" --mode native
xt_ok ip deny add "$C4B/32"
xt_ok ban add "$C6B" --for 10m --reason lifecycle
expect_ping fail 4 "$S4" "$C4B"
expect_ping fail 6 "$S6" "$C6B"
seen=$(counter seen)
xt_ok detach "$IF_S"
assert_eq "XDP mode after detach" none "$(xdp_mode)"
expect_ping pass 4 "$S4" "$C4B" # nothing enforces while detached
xt_ok attach "$IF_S" --mode skb
assert_eq "XDP mode" skb "$(xdp_mode)"
assert_contains "ip list after re-attach" "$(xt_ok ip list --json | jq -c '[.deny[].cidr]')" "\"$C4B/32\""
assert_contains "ban list after re-attach" "$(xt_ok ban list --json | jq -c '[.[].address]')" "\"$C6B\""
assert_ge "seen packets after re-attach" "$(counter seen)" "$seen"
expect_ping fail 4 "$S4" "$C4B"
expect_ping fail 6 "$S6" "$C6B"
expect_ping pass 4

step "detach --purge removes the pins; the next attach starts empty"
xt_ok detach "$IF_S" --purge
assert_eq "XDP mode after detach --purge" none "$(xdp_mode)"
[[ ! -e $PIN_DIR ]] || fail "detach --purge left $PIN_DIR: $(ls "$PIN_DIR")"
pass "pin dir $PIN_DIR removed"
xt_ok attach "$IF_S" --mode skb
assert_eq "deny rules after purge" 0 "$(xt_ok ip list --json | jq '.deny | length')"
assert_eq "bans after purge" 0 "$(xt_ok ban list --json | jq length)"
assert_le "seen packets after purge" "$(counter seen)" 20
expect_ping pass 4 "$S4" "$C4B"
xt_ok detach "$IF_S" --purge

step "table sizes: chosen at creation (attach --size), kept by the pins, refused when they differ"
table_size() { # TABLE: max_entries that status shows for the server's interface
  xt_ok status --json | jq --arg i "$IF_S" --arg t "$1" '.interfaces[] | select(.iface == $i) | .tables[$t].max_entries'
}
xt_ok attach "$IF_S" --mode skb --size spike=4096 --size bans=2048
assert_eq "status: spike size" 4096 "$(table_size spike)"
assert_eq "status: bans size" 2048 "$(table_size bans)"
assert_eq "status: syn size (default)" 131072 "$(table_size syn)"
xt_ok detach "$IF_S"
xt_ok attach "$IF_S" --mode skb --size bans=2048
assert_eq "status: spike size after a re-attach without --size (kept)" 4096 "$(table_size spike)"
xt_ok detach "$IF_S"
xt_err 1 "--size spike=8192: the spike table of $IF_S exists with 4096 entries.*detach $IF_S --purge" \
  attach "$IF_S" --mode skb --size spike=8192
assert_eq "XDP mode after the refused attach" none "$(xdp_mode)"
xt_err 1 "no table 'floors' whose size can be chosen" attach "$IF_S" --size floors=131072
xt_err 1 "must be between 1024 and 67108864" attach "$IF_S" --size spike=100
xt_err 2 "sized twice" attach "$IF_S" --size spike=4096 --size spike=8192
xt_ok detach "$IF_S" --purge
xt_ok attach "$IF_S" --mode skb
assert_eq "status: spike size after detach --purge (the default again)" 262144 "$(table_size spike)"
xt_ok detach "$IF_S" --purge

step "operator errors"
xt_err nonzero "nosuchif0" attach nosuchif0
xt_err nonzero "nosuchif0" detach nosuchif0
xt_ok attach "$IF_S" --mode skb
xt_err nonzero "3x" ban add "$C4" --for 3x
xt_err nonzero "forever" ban add "$C4" --for forever
xt_err nonzero "nosuchif0" ip deny add 192.0.2.1/32 --iface nosuchif0
# Not root: a copy of the CLI in a directory nobody (uid 65534) can reach.
chmod 711 "$XT_TMP"
mkdir -m 755 "$XT_TMP/bin"
cp "$XT_CLI" "$XT_TMP/bin/xdp-throttle"
chmod 755 "$XT_TMP/bin/xdp-throttle"
for args in "status" "attach $IF_S" "ip deny add 192.0.2.1/32 --iface $IF_S"; do
  rc=0
  # shellcheck disable=SC2086
  out=$(ip netns exec "$NS_S" setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$XT_TMP/bin/xdp-throttle" $args 2>&1) || rc=$?
  ((rc != 0)) || fail "xdp-throttle $args as nobody: exit 0, expected a failure; output: $out"
  grep -qiE "root|privilege|permission|CAP_" <<<"$out" || fail "xdp-throttle $args as nobody: unclear message: $out"
  pass "xdp-throttle $args as nobody -> exit $rc: $(head -n1 <<<"$out")"
done
xt_ok detach "$IF_S"
assert_eq "XDP mode at the end" none "$(xdp_mode)"
