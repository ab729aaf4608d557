#!/usr/bin/env bash
# e2e.gateway_config: configs and how the daemon starts.
#   - KrakenD's own integration-test krakend.json passes `xdp-throttle check-config` (skipped with
#     a message when ../shared/fixtures is absent); a config with a wrong type fails naming the
#     JSON path, in check-config and in the daemon (exit 1, nothing applied);
#   - the daemon refuses clearly without `attach A --peer B`, after a host-mode attach, and with a
#     peer other than the attached one; a second daemon is refused while one runs;
#   - a valid config's L3 limits and HTTP ports land in the pinned xt_config (`limit show`).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_config nginx curl

step "KrakenD's own test config passes check-config"
KRAKEND_FIXTURE=$XT_SOURCE_DIR/../shared/fixtures/krakend-ce/krakend.json
if [[ -f $KRAKEND_FIXTURE ]]; then
  out=$("$XT_CLI" check-config "$KRAKEND_FIXTURE" 2>&1) || fail "check-config $KRAKEND_FIXTURE: $out"
  assert_contains "check-config on krakend-ce's krakend.json" "$out" "valid"
  log "$(grep -c 'ignored namespace' <<<"$out") namespaces listed as ignored"
else
  log "SKIPPED: $KRAKEND_FIXTURE absent (KrakenD's fixture lives in ../shared next to the repo)"
fi

step "a wrong type fails, naming the JSON path"
cat >"$XT_TMP/wrong.json" <<'EOF'
{"version": 3,
 "extra_config": {"xdp-throttle": {"l3": {"spike": {"rate": 100}}}},
 "endpoints": [{"backend": [{"url_pattern": "/"}], "endpoint": "/a", "extra_config": {"qos/ratelimit/router": {"max_rate": "ten"}}}]}
EOF
rc=0
out=$("$XT_CLI" check-config "$XT_TMP/wrong.json" 2>&1) || rc=$?
assert_eq "check-config exit status" 1 "$rc"
assert_contains "check-config message" "$out" '$.endpoints[0].extra_config["qos/ratelimit/router"].max_rate'

gw_lab_up
cat >"$XT_TMP/good.json" <<'EOF'
{"version": 3,
 "extra_config": {"xdp-throttle": {"http_ports": [80, 8080],
   "l3": {"spike": {"rate": 5000, "burst": 10000}, "syn": {"rate": 300, "burst": 600}}}},
 "endpoints": [{"backend": [{"url_pattern": "/"}], "endpoint": "/limited", "extra_config": {"qos/ratelimit/router": {"max_rate": 5}}}]}
EOF
daemon_try() { # ARGS...: run the daemon to completion (bounded); sets RC and OUT
  RC=0
  OUT=$(ip netns exec "$NS_E" timeout 10 "$XT_DAEMON" "$@" 2>&1) || RC=$?
}

step "no attach: a clear error"
daemon_try --config "$XT_TMP/good.json" --iface "$IF_A" --peer "$IF_B"
assert_eq "daemon exit status without attach" 1 "$RC"
assert_contains "daemon message" "$OUT" "attach $IF_A --peer"

step "host-mode attach: refused, naming the fix"
xte attach "$IF_A" >/dev/null
daemon_try --config "$XT_TMP/good.json" --iface "$IF_A"
assert_eq "daemon exit status after a host-mode attach" 1 "$RC"
assert_contains "daemon message" "$OUT" "host mode"
xte detach "$IF_A" --purge >/dev/null

gw_attach
step "an invalid config is refused with its problems listed, nothing applied"
before=$(xte limit show --json --iface "$IF_A")
daemon_try --config "$XT_TMP/wrong.json" --iface "$IF_A" --peer "$IF_B"
assert_eq "daemon exit status on an invalid config" 1 "$RC"
assert_contains "daemon message" "$OUT" 'max_rate: expected a number'
assert_eq "limits after the refused config" "$before" "$(xte limit show --json --iface "$IF_A")"

step "wrong peer: refused"
daemon_try --config "$XT_TMP/good.json" --iface "$IF_A" --peer lo
assert_eq "daemon exit status with a wrong peer" 1 "$RC"
assert_contains "daemon message" "$OUT" "bridged to $IF_B"

step "a valid config: L3 limits applied, a second daemon refused, SIGTERM exits 0"
daemon_start "$XT_TMP/good.json"
limits=$(xte limit show --json --iface "$IF_A")
assert_eq "spike rate from the config" 5000 "$(jq .spike.rate <<<"$limits")"
assert_eq "spike burst from the config" 10000 "$(jq .spike.burst <<<"$limits")"
assert_eq "syn rate from the config" 300 "$(jq .syn.rate <<<"$limits")"
daemon_try --config "$XT_TMP/good.json" --iface "$IF_A" --peer "$IF_B"
assert_eq "second daemon exit status" 1 "$RC"
assert_contains "second daemon message" "$OUT" "another controller (pid $DAEMON_PID)"
assert_eq "ping through the bridge with the daemon up" 0 "$(ip netns exec "$NS_C" ping -c 2 -i 0.2 -W 1 -q "$S4" >/dev/null 2>&1; echo $?)"
daemon_stop
daemon_try --config "$XT_TMP/good.json" --iface "$IF_A" --peer "$IF_B" --http-port 0
assert_eq "--http-port 0" 2 "$RC"
