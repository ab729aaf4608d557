#!/usr/bin/env bash
# e2e.gateway_inspection: the controller never stops inspecting a connection nginx still reads as
# HTTP (issue 7). With /limited at capacity 3 per hour per client address:
#   - a client over its limit gets nothing more from nginx however it dresses its requests: behind an
#     Upgrade header nginx ignores, behind a 28 KB head, behind bytes that are not HTTP, as h2c;
#   - a legitimate client sending 28 KB of cookies is served and limited like any other;
#   - a real WebSocket upgrade (nginx proxying to an echo server) works, and is bypassed into the
#     kernel only after nginx's 101;
#   - on_uninspectable "bypass" is the operator's explicit fail-open: the same garbage is then
#     passed to nginx, which answers it itself.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_inspection nginx curl bpftool

gw_lab_up
nginx_start
ws_echo_start
gw_attach
write_config() { # ON_UNINSPECTABLE
  cat >"$XT_TMP/gateway.json" <<EOF
{"version": 3,
 "extra_config": {"xdp-throttle": {"http_ports": [80], "on_uninspectable": "$1"}},
 "endpoints": [
   {"backend": [{"url_pattern": "/"}], "endpoint": "/limited",
    "extra_config": {"qos/ratelimit/router": {"client_max_rate": 1, "client_capacity": 3, "every": "1h", "strategy": "ip"}}},
   {"backend": [{"url_pattern": "/"}], "endpoint": "/ws"}]}
EOF
}
write_config close
daemon_start "$XT_TMP/gateway.json"

raw() { # SOURCE: stdin's bytes on one connection from SOURCE; the status codes answered
  gc raw "$S4" --source "$1"
}
get() { # PATH [HEADER-LINES (CRLF between them, none at the end)]
  printf 'GET %s HTTP/1.1\r\nHost: x\r\n' "$1"
  [[ -z ${2:-} ]] || printf '%s\r\n' "$2"
  printf '\r\n'
}
cookies() { # N KB of cookies in header lines of 7 KB (nginx takes lines up to 8 KB, 32 KB in all)
  local kb=$1 line sep=""
  while ((kb > 0)); do
    line=$((kb > 7 ? 7 : kb))
    printf '%sCookie: c%d=%s' "$sep" "$kb" "$(head -c $((line * 1024 - 20)) /dev/zero | tr '\0' v)"
    sep=$'\r\n'
    kb=$((kb - line))
  done
}

step "a client spends its 3 tokens, then tries to walk around the limit"
hits0=$(nginx_served /limited)
assert_eq "three allowed" "200 200 200" "$({ get /limited; get /limited; get /limited 'Connection: close'; } | raw "$C4")"
assert_eq "served so far" 3 "$(($(nginx_served /limited) - hits0))"
ten() { for _ in $(seq 10); do get /limited; done; }
# 1. an Upgrade header nginx ignores, with ten requests pipelined behind it
out=$({ get /limited $'Connection: Upgrade\r\nUpgrade: websocket'; ten; } | raw "$C4")
log "behind an Upgrade header: $out"
# 2. a 28 KB head (legal for nginx), ten behind it
out=$({ get /limited "$(cookies 28)"; ten; } | raw "$C4")
log "behind a 28 KB head: $out"
# 3. a head longer than the controller buffers (and nginx accepts), ten behind it
out=$({ get /limited "$(cookies 70)"; ten; } | raw "$C4")
log "behind a 70 KB head: $out"
# 4. bytes that are not HTTP, ten behind them
out=$({ printf 'NOT-HTTP \001\002\r\n\r\n'; ten; } | raw "$C4")
log "behind garbage: $out"
# 5. h2c: an Upgrade to h2c and the prior-knowledge preface
out=$({ get /limited $'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA'; ten; } | raw "$C4")
log "behind an h2c upgrade: $out"
out=$({ printf 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'; ten; } | raw "$C4")
log "behind an HTTP/2 preface: $out"
# 6. a connection that switched nothing but sent a CONNECT first
out=$({ printf 'CONNECT x:80 HTTP/1.1\r\nHost: x\r\n\r\n'; ten; } | raw "$C4")
log "behind CONNECT: $out"
served=$(($(nginx_served /limited) - hits0))
((served == 3)) || fail "nginx served $served requests for /limited, 3 allowed: $(tail -n 40 "$XT_TMP/nginx/access.log")"
pass "over its limit, nothing more reached nginx"

step "a legitimate 28 KB head is served and limited normally"
hits1=$(nginx_served /limited)
# One connection each: nginx itself refuses a large head pipelined behind another large one (400).
out=$(for _ in 1 2 3 4; do get /limited "$(cookies 28)"$'\r\nConnection: close' | raw "$C4B"; done | xargs)
assert_eq "4 requests with 28 KB of cookies each" "200 200 200 429" "$out"
assert_eq "served" 3 "$(($(nginx_served /limited) - hits1))"

step "a real WebSocket: bypassed after nginx's 101, and it works"
bypass_entries() { bpftool -j map dump pinned "$XT_BPFFS/xdp-throttle/$IF_A/xt_bypass" | jq length; }
entries0=$(bypass_entries)
assert_eq "echo through the gateway" "101 hello through xdp-throttle" \
  "$(gc websocket "$S4" /ws "hello through xdp-throttle")"
assert_ge "bypass entries after the 101" "$(bypass_entries)" "$((entries0 + 1))"

sleep 2.2  # one stats interval
counters=$(daemon_counters)
log "daemon: $counters"
closed=$(sed -n 's/.*uninspectable: closed \([0-9]*\),.*/\1/p' <<<"$counters")
assert_ge "connections closed as uninspectable (70 KB head, garbage, HTTP/2 preface)" "${closed:-0}" 3
tunnels=$(sed -n 's/.*bypassed (\([0-9]*\) tunnels).*/\1/p' <<<"$counters")
assert_ge "tunnels bypassed after a 101" "${tunnels:-0}" 1
daemon_stop

step "on_uninspectable bypass: the operator's fail-open lets nginx judge the garbage itself"
write_config bypass
daemon_start "$XT_TMP/gateway.json"
lines0=$(nginx_log_lines)
out=$(printf 'NOT-HTTP \001\002\r\n\r\n' | raw "$C4")
assert_eq "nginx's own answer" "400" "$out"
assert_ge "nginx logged it" "$(nginx_log_lines)" "$((lines0 + 1))"
daemon_stop
