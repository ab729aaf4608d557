#!/usr/bin/env bash
# IP filter end to end: deny and allow lists (IPv4 and IPv6) against ping and HTTP, per-rule hits,
# bulk loading (100,000 lines, all or nothing), bad input, and ARP/NDP surviving "deny everything".
source "$(dirname "$0")/lib.sh"
e2e_init ip_filter curl ping

lab_up
http_start
lab_second_client_address
xt_attach

step "deny the client's /32 and /128: ping and HTTP are dropped, both families"
for fam in 4 6; do expect_ping pass $fam; expect_curl pass $fam; done
xt_ok ip deny add "$C4/32" "$C6/128"
for fam in 4 6; do expect_ping fail $fam; expect_curl fail $fam; done
expect_ping pass 4 "$S4" "$C4B" # the same /24, another address: not listed
assert_ge "stats ip_deny packets" "$(counter ip_deny)" 8
list=$(xt_ok ip list --json)
assert_eq "ip list policy" deny "$(jq -r .policy <<<"$list")"
assert_ge "hits of $C4/32" "$(jq --arg c "$C4/32" '[.deny[] | select(.cidr == $c) | .hits] | add // 0' <<<"$list")" 2
assert_ge "hits of $C6/128" "$(jq --arg c "$C6/128" '[.deny[] | select(.cidr == $c) | .hits] | add // 0' <<<"$list")" 2
assert_contains "ip list (text)" "$(xt_ok ip list)" "$C4/32"

step "ip deny del restores"
xt_ok ip deny del "$C4/32" "$C6/128"
for fam in 4 6; do expect_ping pass $fam; expect_curl pass $fam; done
assert_eq "deny rules left" 0 "$(xt_ok ip list --json | jq '.deny | length')"

step "bad CIDRs are refused with the value named"
xt_err 1 "10\.1\.2\.300/33" ip deny add 10.1.2.300/33
xt_err 1 "fd00::/129" ip allow add fd00::/129
xt_err 1 "banana" ip deny add banana

step "deny everything (0.0.0.0/0, ::/0): ARP and NDP still resolve"
xt_ok ip deny add 0.0.0.0/0 ::/0
ip -n "$NS_C" neigh flush dev "$IF_C"
ip -n "$NS_S" neigh flush dev "$IF_S"
expect_ping fail 4
expect_ping fail 6
# The client's request went out and the server's ARP reply / NDP advertisement came back through
# nothing we filter; the server's own resolution of the client crossed our XDP program.
ip netns exec "$NS_S" ping -4 -c 1 -W 1 "$C4" >/dev/null 2>&1 || true
ip netns exec "$NS_S" ping -6 -c 1 -W 1 "$C6" >/dev/null 2>&1 || true
for pair in "$NS_C $IF_C $S4" "$NS_C $IF_C $S6" "$NS_S $IF_S $C4" "$NS_S $IF_S $C6"; do
  read -r ns dev addr <<<"$pair"
  lladdr=$(ip -n "$ns" -j neigh show "$addr" dev "$dev" | jq -r '.[0].lladdr // "none"')
  [[ $lladdr != none ]] || fail "neighbour $addr not resolved in $ns while everything is denied: $(ip -n "$ns" neigh show dev "$dev")"
  pass "neighbour $addr resolved in ${ns##*-} side ($lladdr) while everything is denied"
done
xt_ok ip deny del 0.0.0.0/0 ::/0

step "allow policy: only listed sources pass"
xt_ok ip policy allow
assert_eq "ip list policy" allow "$(xt_ok ip list --json | jq -r .policy)"
before=$(counter not_allowed)
for fam in 4 6; do expect_ping fail $fam; expect_curl fail $fam; done
assert_ge "stats not_allowed packets grew by" $(($(counter not_allowed) - before)) 4
xt_ok ip allow add "$C4/32" "$C6/128"
ip -n "$NS_C" neigh flush dev "$IF_C"
for fam in 4 6; do expect_ping pass $fam; expect_curl pass $fam; done # after a flush: ARP/NDP too
expect_ping fail 4 "$S4" "$C4B"
expect_ping fail 6 "$S6" "$C6B"
xt_ok ip allow del "$C4/32" "$C6/128"
xt_ok ip policy deny
expect_ping pass 4 "$S4" "$C4B"

step "bulk load: 100,000 generated lines (with comments) from a file, and from stdin"
blocklist="$XT_TMP/blocklist.txt"
awk -v client="$C4/32" 'BEGIN {
  print "# generated blocklist: 99,990 addresses of 100.64.0.0/10, a few prefixes, the client"
  for (i = 0; i < 99990; i++) {
    if (i == 50000) print client
    printf "100.%d.%d.%d/32\n", 64 + int(i / 65536), int(i / 256) % 256, i % 256
  }
  print "198.51.100.0/24   # a comment after a rule"
  print ""
  print "2001:db8:dead::/48"
  print "203.0.113.7"
  for (i = 0; i < 4; i++) printf "2001:db8:%x::/64\n", i
}' >"$blocklist"
log "blocklist: $(wc -l <"$blocklist") lines"
start=$(date +%s%N)
xt_ok ip deny load "$blocklist" >/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
log "ip deny load of $(wc -l <"$blocklist") lines took ${ms} ms"
assert_le "load time (ms)" "$ms" 10000
assert_eq "deny rules after load (lines that are neither blank nor comments)" \
  "$(grep -cvE '^[[:space:]]*(#|$)' "$blocklist")" "$(xt_ok ip list --json | jq '.deny | length')"
expect_ping fail 4
expect_ping pass 4 "$S4" "$C4B"
printf '# stdin\n%s\n' "$C6/128" | ip netns exec "$NS_S" "$XT_CLI" ip deny load - || fail "ip deny load - (stdin) failed"
expect_ping fail 6
expect_ping pass 6 "$S6" "$C6B"

step "a file with one bad line applies nothing and names FILE:LINE"
bad="$XT_TMP/bad.txt"
printf '%s\n' "# one bad line" "$C4B/32" "$C6B/128" "10.0.0.256/32" "192.0.2.0/24" >"$bad"
rules_before=$(xt_ok ip list --json | jq '.deny | length')
xt_err nonzero "$bad:4" ip deny load "$bad"
assert_eq "deny rules after the failed load" "$rules_before" "$(xt_ok ip list --json | jq '.deny | length')"
expect_ping pass 4 "$S4" "$C4B"
expect_ping pass 6 "$S6" "$C6B"
