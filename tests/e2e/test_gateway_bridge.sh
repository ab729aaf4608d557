#!/usr/bin/env bash
# e2e.gateway_bridge: `xdp-throttle attach A --peer B` with no daemon is a transparent kernel
# bridge (DEVMAP) between a client and a server namespace; the edge has no address and no Linux
# bridge, so nothing reaches the server unless the program forwarded it.
#
#   $NS_C [$IF_C] ==veth== [$IF_A  $NS_E  $IF_B] ==veth== [$IF_S]  $NS_S  (python http.server)
#
# Checks: no path before attach; status shows the bridge; ping v4/v6 and curl v4/v6 through it; a
# 1 MB download checksums equal over both families; the counters say "redirected", never
# "to_controller" (no daemon); a deny rule on A blocks the client while the same rule for the
# server's address changes nothing (B is not judged); attach/detach of B alone are refused;
# `detach A` leaves nothing attached on either port and the path is gone again; the same bridge
# in generic (skb) mode; a host-mode attach of A afterwards clears the recorded bridge.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_bridge curl ping

gw_lab_up
HTTP_PORT=8080
PIN_DIR="$XDP_THROTTLE_BPFFS/xdp-throttle/$IF_A"

xdp_mode_of() { # IF: none | native | skb | other, as the kernel reports the edge port
  case $(ip -n "$NS_E" -j -d link show dev "$1" | jq '.[0].xdp.mode // 0') in
    0) echo none ;; 1) echo native ;; 2) echo skb ;; *) echo other ;;
  esac
}
xte_ok() { # ARGS...: the CLI in the edge namespace must succeed; prints its stdout
  local out rc=0
  out=$(xte "$@" 2>"$XT_TMP/xte.err") || rc=$?
  ((rc == 0)) || fail "xdp-throttle $* -> exit $rc: $(cat "$XT_TMP/xte.err") $out"
  [[ -z "$out" ]] || printf '%s\n' "$out"
}
xte_err() { # PATTERN ARGS...: the CLI must fail with PATTERN in its output
  local pattern=$1 out rc=0
  shift
  out=$(xte "$@" 2>&1) || rc=$?
  ((rc != 0)) || fail "xdp-throttle $* -> exit 0, expected a failure: $out"
  grep -qiE -- "$pattern" <<<"$out" || fail "xdp-throttle $* -> message does not match /$pattern/: $out"
  pass "xdp-throttle $* -> exit $rc: $(head -n1 <<<"$out")"
}
gw_counter() { # NAME: packets of one counter of the bridge (pins under A)
  xte_ok stats --iface "$IF_A" --json | jq -e ".counters.${1}.packets"
}
download_sha() { # 4|6
  local host
  [[ $1 == 4 ]] && host=$S4 || host="[$S6]"
  ip netns exec "$NS_C" curl -sS --max-time 30 "http://$host:$HTTP_PORT/blob" | sha256sum | cut -d' ' -f1
}

step "no path without xdp-throttle"
PING_DEADLINE=1 expect_ping fail 4
mkdir -p "$XT_TMP/www"
head -c 1048576 /dev/urandom >"$XT_TMP/www/blob"
BLOB_SHA=$(sha256sum <"$XT_TMP/www/blob" | cut -d' ' -f1)
echo "hello from $NS_S" >"$XT_TMP/www/index.html"
bg "$NS_S" "$PY" -m http.server --bind :: --directory "$XT_TMP/www" "$HTTP_PORT" >"$XT_TMP/http.log" 2>&1
for _ in $(seq 50); do
  ip netns exec "$NS_S" curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$HTTP_PORT/" && break
  sleep 0.1
done
expect_curl fail 4

step "attach $IF_A --peer $IF_B (no daemon)"
out=$(xte_ok attach "$IF_A" --peer "$IF_B" --http-port "$HTTP_PORT" --http-port 80)
log "$out"
assert_contains "attach output" "$out" "gateway $IF_A <-> $IF_B"
assert_eq "XDP on $IF_A" native "$(xdp_mode_of "$IF_A")"
assert_eq "XDP on $IF_B" native "$(xdp_mode_of "$IF_B")"
status=$(xte_ok status)
log "status:"$'\n'"$status"
assert_contains "status" "$status" "gateway $IF_A <-> $IF_B"
json=$(xte_ok status --json)
assert_eq "status --json: $IF_A's peer" "$IF_B" "$(jq -r --arg i "$IF_A" '.interfaces[] | select(.iface == $i) | .gateway_peer' <<<"$json")"
assert_eq "status --json: $IF_B's side" server "$(jq -r --arg i "$IF_B" '.interfaces[] | select(.iface == $i) | .gateway_side' <<<"$json")"
assert_eq "status --json: $IF_B attached" true "$(jq -r --arg i "$IF_B" '.interfaces[] | select(.iface == $i) | .attached' <<<"$json")"
[[ ! -d "$XDP_THROTTLE_BPFFS/xdp-throttle/$IF_B" ]] || fail "a pin directory was created for the server side $IF_B"
pass "pins only under $PIN_DIR"

step "traffic through the kernel bridge"
expect_ping pass 4
expect_ping pass 6
expect_curl pass 4
expect_curl pass 6
assert_eq "1 MB download over IPv4" "$BLOB_SHA" "$(download_sha 4)"
assert_eq "1 MB download over IPv6" "$BLOB_SHA" "$(download_sha 6)"
assert_ge "redirected packets" "$(gw_counter redirected)" 1000
assert_eq "to_controller packets (no daemon)" 0 "$(gw_counter to_controller)"
seen=$(gw_counter seen) passed=$(gw_counter passed) redirected=$(gw_counter redirected)
assert_eq "every passing frame was bridged (passed == redirected)" "$passed" "$redirected"
assert_ge "seen" "$seen" "$passed"

step "rules are enforced on the client side only"
xte_ok ip deny add "$C4/32" --iface "$IF_A" >/dev/null
expect_ping fail 4
expect_curl fail 4
expect_ping pass 6
assert_ge "ip_deny packets" "$(gw_counter ip_deny)" 1
xte_ok ip deny del "$C4/32" --iface "$IF_A" >/dev/null
expect_ping pass 4
# The server's address arrives as a source only on B, where nothing is judged.
xte_ok ip deny add "$S4/32" --iface "$IF_A" >/dev/null
expect_ping pass 4
expect_curl pass 4
xte_ok ip deny del "$S4/32" --iface "$IF_A" >/dev/null

step "the server side cannot be attached or detached alone"
xte_err "server-side port of the gateway bridge $IF_A <-> $IF_B" attach "$IF_B"
xte_err "server-side port of the gateway bridge $IF_A <-> $IF_B" detach "$IF_B"
xte_err "server-side port" attach "$IF_B" --peer "$IF_A"
xte_err "already attached" attach "$IF_A" --peer "$IF_B"
expect_ping pass 4

step "detach $IF_A detaches both ports"
out=$(xte_ok detach "$IF_A")
log "$out"
assert_contains "detach output" "$out" "gateway $IF_A <-> $IF_B detached"
assert_eq "XDP on $IF_A after detach" none "$(xdp_mode_of "$IF_A")"
assert_eq "XDP on $IF_B after detach" none "$(xdp_mode_of "$IF_B")"
json=$(xte_ok status --json)
assert_eq "attached interfaces after detach" 0 "$(jq '[.interfaces[] | select(.attached)] | length' <<<"$json")"
assert_eq "gateway peers after detach" 0 "$(jq '[.interfaces[] | select(.gateway_peer != null)] | length' <<<"$json")"
PING_DEADLINE=1 expect_ping fail 4
[[ -d $PIN_DIR ]] || fail "detach (without --purge) removed $PIN_DIR"
pass "pins kept for the next attach"

step "re-attach in skb mode, then host mode on $IF_A clears the bridge"
xte_ok attach "$IF_A" --peer "$IF_B" --mode skb >/dev/null
assert_eq "XDP on $IF_B (skb)" skb "$(xdp_mode_of "$IF_B")"
expect_ping pass 4
expect_curl pass 6
xte_ok detach "$IF_A" >/dev/null
xte_ok attach "$IF_A" >/dev/null
json=$(xte_ok status --json)
assert_eq "host-mode attach: no gateway recorded" 0 "$(jq '[.interfaces[] | select(.gateway_peer != null)] | length' <<<"$json")"
assert_eq "XDP on $IF_B after a host-mode attach of $IF_A" none "$(xdp_mode_of "$IF_B")"
xte_ok detach "$IF_A" --purge >/dev/null
assert_eq "XDP on $IF_A at the end" none "$(xdp_mode_of "$IF_A")"
