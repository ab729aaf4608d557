#!/usr/bin/env bash
# Coexistence with xdp-filter through libxdp's multi-program dispatcher.
#
# Where the kernel refuses freplace programs (`status --json` says multiprog_supported: false) the
# dispatcher cannot work and libxdp keeps one program per interface: then attaching while
# xdp-filter holds the interface must fail with a clear error, and the rest is skipped (exit 77)
# with the reason. Where it is supported both programs run and each one's rules hold.
source "$(dirname "$0")/lib.sh"
e2e_init coexist xdp-filter ping

# xdp-filter ARGS...: xdp-filter in the server namespace. libxdp honours LIBXDP_BPFFS, but
# xdp-filter pins its own maps in the first bpffs it finds (/sys/fs/bpf, else the first bpf entry of
# /proc/mounts, which may be another lab's): give it ours at /sys/fs/bpf in its mount namespace.
xdp_filter() {
  ip netns exec "$NS_S" unshare -m sh -c 'mount --bind "$0" /sys/fs/bpf && exec xdp-filter "$@"' "$XT_BPFFS" "$@"
}

lab_up
lab_second_client_address
status=$(xt_ok status --json)
supported=$(jq -r .multiprog_supported <<<"$status")
reason=$(jq -r '.multiprog_reason // ""' <<<"$status")
log "multiprog_supported=$supported ($reason)"

step "xdp-filter holds the interface"
xdp_filter load -m skb "$IF_S" || fail "xdp-filter load failed"
# xdp-filter's own deny rule: source $C4B.
xdp_filter ip "$C4B" -m src || fail "xdp-filter ip $C4B failed"
expect_ping fail 4 "$S4" "$C4B"
expect_ping pass 4

if [[ $supported != true ]]; then
  step "no multi-program support: attaching must fail clearly"
  xt_err nonzero "another|already|in use|busy|multi|dispatcher|xdp-filter|xdpfilt" attach "$IF_S" --mode skb
  expect_ping fail 4 "$S4" "$C4B" # xdp-filter is untouched
  xdp_filter unload "$IF_S" || fail "xdp-filter unload failed"
  skip "coexistence with xdp-filter needs libxdp's multi-program dispatcher, unsupported here: $reason"
fi

step "both programs attached through the dispatcher"
xt_ok attach "$IF_S" --mode skb
xt_ok ip deny add "$C6B/128"
expect_ping fail 4 "$S4" "$C4B" # xdp-filter's rule
expect_ping fail 6 "$S6" "$C6B" # ours
expect_ping pass 4
expect_ping pass 6
assert_ge "xdp-throttle ip_deny packets" "$(counter ip_deny)" 1
xt_ok detach "$IF_S"
expect_ping fail 4 "$S4" "$C4B" # xdp-filter still there
expect_ping pass 6 "$S6" "$C6B"
xdp_filter unload "$IF_S" || fail "xdp-filter unload failed"
assert_eq "XDP attached at the end" null "$(ip -n "$NS_S" -j -d link show dev "$IF_S" | jq -c '.[0].xdp')"
