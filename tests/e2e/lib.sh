# shellcheck shell=bash
# tests/e2e/lib.sh - the namespace lab every e2e test (and scripts/demo.sh) stands on.
#
#   source "$(dirname "$0")/lib.sh"; e2e_init <name>; lab_up
#
# Topology of lab_up: two namespaces joined by one veth pair, IPv4 and IPv6, and NO default route
# anywhere, so an answer to a spoofed source has nowhere to go and no test packet leaves the lab.
#
#   $NS_C  [$IF_C  $C4 / $C6  (+ $C4B, $C6B)] <==veth==> [$IF_S  $S4 / $S6]  $NS_S
#                                                         xdp-throttle attaches here
#
# A private bpffs is mounted at a temp dir and exported as XDP_THROTTLE_BPFFS and LIBXDP_BPFFS:
# `ip netns exec` remounts /sys, so /sys/fs/bpf would not be the same filesystem inside and out,
# and a private mount keeps parallel runs and the host's own pins apart.
#
# Every exit path (success, failed assertion, Ctrl-C, `set -e`) goes through lab_cleanup: background
# processes we started, the namespaces we created, the bpffs we mounted, the temp dir.
#
# Conventions: helpers print what they expected and what they saw; `fail` exits 1; `skip` exits 77
# (ctest's SKIP_RETURN_CODE).

set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XT_SOURCE_DIR=${XT_SOURCE_DIR:-$(cd "$E2E_DIR/../.." && pwd)}
XT_BUILD_DIR=${XT_BUILD_DIR:-$XT_SOURCE_DIR/build}
XT_CLI=${XT_CLI:-$XT_BUILD_DIR/tools/xdp-throttle}
# The distribution's interpreter: a pyenv shim in PATH may not see python3-scapy or may be absent.
PY=/usr/bin/python3
TRAFFIC="$E2E_DIR/traffic.py"

XT_TEST=${XT_TEST:-e2e}
XT_BG_PIDS=()
XT_NAMESPACES=()
XT_BPFFS=""
XT_TMP=""

# ---- output and assertions -------------------------------------------------------------------------

log() { printf '[%s %s] %s\n' "$XT_TEST" "$(date +%T.%3N)" "$*"; }
step() { printf '\n[%s %s] === %s\n' "$XT_TEST" "$(date +%T.%3N)" "$*"; }
fail() {
  printf '[%s] FAIL: %s\n' "$XT_TEST" "$*" >&2
  exit 1
}
skip() {
  printf '[%s] SKIP: %s\n' "$XT_TEST" "$*"
  exit 77
}
pass() { printf '[%s]   ok: %s\n' "$XT_TEST" "$*"; }

assert_eq() { # WHAT EXPECTED ACTUAL
  [[ "$2" == "$3" ]] || fail "$1: expected '$2', saw '$3'"
  pass "$1 = $3"
}
assert_ge() { # WHAT ACTUAL MIN
  (($2 >= $3)) || fail "$1: expected >= $3, saw $2"
  pass "$1 = $2 (>= $3)"
}
assert_le() { # WHAT ACTUAL MAX
  (($2 <= $3)) || fail "$1: expected <= $3, saw $2"
  pass "$1 = $2 (<= $3)"
}
assert_within() { # WHAT EXPECTED ACTUAL PERCENT: |actual - expected| <= percent% of expected
  local what=$1 expected=$2 actual=$3 pct=$4
  if ! awk -v e="$expected" -v a="$actual" -v p="$pct" 'BEGIN { d = a - e; if (d < 0) d = -d; exit !(d <= e * p / 100) }'; then
    fail "$what: expected $expected ±$pct%, saw $actual"
  fi
  pass "$what = $actual (expected $expected ±$pct%)"
}
assert_contains() { # WHAT HAYSTACK NEEDLE
  [[ "$2" == *"$3"* ]] || fail "$1: expected to contain '$3', saw: $2"
  pass "$1 contains '$3'"
}
assert_not_contains() { # WHAT HAYSTACK NEEDLE
  [[ "$2" != *"$3"* ]] || fail "$1: expected not to contain '$3', saw: $2"
  pass "$1 does not contain '$3'"
}

# ---- requirements ------------------------------------------------------------------------------------

e2e_init() { # NAME [COMMANDS...]: check what the test needs, arm the cleanup trap
  XT_TEST=$1
  shift
  [[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, XDP, bpffs)"
  local c
  for c in ip ethtool jq mount "$PY" "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip "missing command '$c' (run scripts/install-deps.sh)"
  done
  [[ -x "$XT_CLI" ]] || fail "CLI not built: $XT_CLI (set XT_CLI or build the project)"
  XT_TMP=$(mktemp -d "/tmp/xt-e2e-$XT_TEST.XXXXXX")
  trap lab_cleanup EXIT
  trap 'exit 130' INT TERM
}

# ---- lab primitives (also used by scripts/demo.sh) ---------------------------------------------------

lab_cleanup() {
  local rc=$?
  set +e
  local pid ns
  for pid in "${XT_BG_PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for ns in "${XT_NAMESPACES[@]}"; do
    # Anything still running inside a namespace we created was started by this test.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  done
  for pid in "${XT_BG_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for ns in "${XT_NAMESPACES[@]}"; do
    ip netns del "$ns" 2>/dev/null
  done
  if [[ -n "$XT_BPFFS" ]] && mountpoint -q "$XT_BPFFS"; then
    umount "$XT_BPFFS" 2>/dev/null || umount -l "$XT_BPFFS"
  fi
  [[ -n "$XT_BPFFS" ]] && rmdir "$XT_BPFFS" 2>/dev/null
  [[ -n "$XT_TMP" ]] && rm -rf "$XT_TMP"
  if ((rc == 0)); then
    printf '[%s] %s\n' "$XT_TEST" "${XT_DONE_MESSAGE:-PASS}"
  elif ((rc != 77)); then
    printf '[%s] exit %d (lab cleaned up)\n' "$XT_TEST" "$rc" >&2
  fi
  exit "$rc"
}

lab_id() { # a short random id: fits interface names (15 chars) and keeps parallel labs apart
  printf '%04x%02x' $(($$ % 65536)) $((RANDOM % 256))
}

lab_ns() { # NAME: create a namespace, registered for cleanup, loopback up, no routes
  ip netns add "$1"
  XT_NAMESPACES+=("$1")
  ip -n "$1" link set lo up
  # Neither router solicitations nor RAs: they would add packets the counter tests do not expect.
  ip netns exec "$1" sysctl -qw net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.router_solicitations=0 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

lab_veth() { # NS1 IF1 NS2 IF2: a veth pair created straight into the two namespaces
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
}

lab_if_up() { # NS IF [ADDR/LEN...]: addresses (v6 without DAD), TX checksum offload off, link up
  local ns=$1 dev=$2 a
  shift 2
  for a in "$@"; do
    if [[ $a == *:* ]]; then ip -n "$ns" addr add "$a" dev "$dev" nodad; else ip -n "$ns" addr add "$a" dev "$dev"; fi
  done
  # veth offloads checksums to a peer that never computes them: TCP would fail on bad checksums
  # once XDP (which sees the raw frame) or a raw-socket receiver is on the path.
  ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null 2>&1 || true
  ip -n "$ns" link set "$dev" up
}

lab_bpffs() { # mount a private bpffs for the CLI's pins and libxdp's
  XT_BPFFS=$(mktemp -d /tmp/xt-bpffs.XXXXXX)
  mount -t bpf bpf "$XT_BPFFS"
  export XDP_THROTTLE_BPFFS=$XT_BPFFS LIBXDP_BPFFS=$XT_BPFFS
}

lab_wait_link() { # NS IF: wait (<= 5 s) for carrier
  for _ in $(seq 50); do
    [[ $(ip netns exec "$1" cat "/sys/class/net/$2/operstate" 2>/dev/null) == up ]] && return 0
    sleep 0.1
  done
  fail "link $2 in $1 never came up"
}

lab_up() { # the standard two-namespace lab described at the top
  local id o2 o3 h
  id=$(lab_id)
  NS_C="xt-$XT_TEST-$id-c"
  NS_S="xt-$XT_TEST-$id-s"
  IF_C="xc$id"
  IF_S="xs$id"
  o2=$((RANDOM % 200 + 20)) o3=$((RANDOM % 250 + 1))
  h=$(printf '%x' $((RANDOM % 65536)))
  C4="10.$o2.$o3.1" S4="10.$o2.$o3.2" C4B="10.$o2.$o3.3"
  # C6B shares a shorter prefix with S6 than C6 does, so source address selection (longest match,
  # RFC 6724 rule 8) keeps picking C6; the helpers below name their source anyway.
  C6="fd00:78:$h::1" S6="fd00:78:$h::2" C6B="fd00:78:$h::1:3"
  lab_ns "$NS_C"
  lab_ns "$NS_S"
  lab_veth "$NS_C" "$IF_C" "$NS_S" "$IF_S"
  lab_if_up "$NS_C" "$IF_C" "$C4/24" "$C6/64"
  lab_if_up "$NS_S" "$IF_S" "$S4/24" "$S6/64"
  lab_wait_link "$NS_C" "$IF_C"
  lab_wait_link "$NS_S" "$IF_S"
  lab_bpffs
  log "lab: $NS_C/$IF_C ($C4, $C6) <-> $NS_S/$IF_S ($S4, $S6), bpffs $XT_BPFFS"
  ping_ok 4 >/dev/null || fail "lab: no IPv4 connectivity before xdp-throttle is attached"
  ping_ok 6 >/dev/null || fail "lab: no IPv6 connectivity before xdp-throttle is attached"
}

lab_second_client_address() { # add $C4B and $C6B to the client's veth (same /24 and /64)
  ip -n "$NS_C" addr add "$C4B/24" dev "$IF_C"
  ip -n "$NS_C" addr add "$C6B/64" dev "$IF_C" nodad
}

lab_static_neighbours() { # permanent ARP/NDP entries both ways: no neighbour traffic at all after this
  # (the counter test compares snapshots taken at both ends; a probe in flight between two reads
  # would count on one side only)
  local mac_c mac_s a
  mac_c=$(ip -n "$NS_C" -j link show dev "$IF_C" | jq -r '.[0].address')
  mac_s=$(ip -n "$NS_S" -j link show dev "$IF_S" | jq -r '.[0].address')
  for a in "$S4" "$S6"; do ip -n "$NS_C" neigh replace "$a" lladdr "$mac_s" dev "$IF_C" nud permanent; done
  for a in "$C4" "$C6" "$C4B" "$C6B"; do ip -n "$NS_S" neigh replace "$a" lladdr "$mac_c" dev "$IF_S" nud permanent; done
}

bg() { # NS CMD...: run in the background inside NS, remembered for cleanup; pid in $BG_PID
  local ns=$1
  shift
  ip netns exec "$ns" "$@" &
  BG_PID=$!
  XT_BG_PIDS+=("$BG_PID")
}

# ---- the CLI -----------------------------------------------------------------------------------------

# xt ARGS...: the CLI, run inside the server namespace (where the interface lives). Output as is.
xt() { ip netns exec "$NS_S" "$XT_CLI" "$@"; }

assert_limits() { # PATH=EXPECTED...: what `limit show --json` shows at each jq path (without the dot)
  local shown pair
  shown=$(xt_ok limit show --json)
  log "limit show --json: $(jq -c . <<<"$shown")"
  for pair in "$@"; do
    assert_eq "limit show ${pair%%=*}" "${pair#*=}" "$(jq -c -r ".${pair%%=*}" <<<"$shown")"
  done
}

xt_ok() { # ARGS...: the CLI must succeed; prints its stdout; on failure shows everything
  local out rc=0
  out=$(xt "$@" 2>"$XT_TMP/xt.err") || rc=$?
  if ((rc != 0)); then
    fail "xdp-throttle $* -> exit $rc (expected 0): $(cat "$XT_TMP/xt.err") $out"
  fi
  [[ -z "$out" ]] || printf '%s\n' "$out"
}

xt_err() { # CODE PATTERN ARGS...: the CLI must exit CODE ("nonzero" = any failure) with PATTERN in stderr
  local code=$1 pattern=$2 out rc=0
  shift 2
  out=$(xt "$@" 2>&1) || rc=$?
  if [[ $code == nonzero ]]; then
    ((rc != 0)) || fail "xdp-throttle $* -> exit 0, expected a failure; output: $out"
  else
    ((rc == code)) || fail "xdp-throttle $* -> exit $rc, expected $code; output: $out"
  fi
  grep -qiE -- "$pattern" <<<"$out" || fail "xdp-throttle $* -> message does not match /$pattern/: $out"
  pass "xdp-throttle $* -> exit $rc: $(head -n1 <<<"$out")"
}

xt_attach() { # [MODE]: attach to the server's veth (skb mode by default: see below)
  # Native mode on veth works, but generic mode is what any interface supports, and a test about
  # rules should not depend on the driver. test_lifecycle covers both modes.
  xt_ok attach "$IF_S" --mode "${1:-skb}" >/dev/null
  log "attached xdp-throttle to $IF_S (${1:-skb} mode)"
}

counter() { # NAME [packets|bytes]: one counter from `stats --json`
  xt_ok stats --json | jq -e ".counters.${1}.${2:-packets}"
}

# ---- reachability --------------------------------------------------------------------------------------

# PING_DEADLINE (seconds, default 2) bounds one check: how long a "blocked" verdict takes. veth RTTs are
# microseconds, so tests racing a deadline (bans) lower it.
ping_ok() { # 4|6 [DST] [SRC]: ping from the client (source $C4/$C6 by default); true on a reply
  local fam=$1 dst=${2:-} src=${3:-}
  [[ -n $dst ]] || { [[ $fam == 4 ]] && dst=$S4 || dst=$S6; }
  [[ -n $src ]] || { [[ $fam == 4 ]] && src=$C4 || src=$C6; }
  ip netns exec "$NS_C" ping -"$fam" -c 2 -i 0.2 -W 1 -w "${PING_DEADLINE:-2}" -I "$src" "$dst" >/dev/null 2>&1
}

# The check (ping_ok, curl_ok) must succeed (pass) or not (fail); ANSWER names what success shows.
expect_check() { # pass|fail WHAT ANSWER CHECK ARGS...
  local want=$1 what=$2 answer=$3
  shift 3
  if "$@"; then
    [[ $want == pass ]] || fail "$what: expected no answer, got $answer"
  else
    [[ $want == fail ]] || fail "$what: expected $answer, got none"
  fi
  pass "$what: $([[ $want == pass ]] && echo "$answer" || echo blocked)"
}

expect_ping() { # pass|fail 4|6 [DST] [SRC]
  expect_check "$1" "ping -$2 ${3:-server}${4:+ from $4}" "a reply" ping_ok "${@:2}"
}

http_start() { # start a static web server in the server ns on $HTTP_PORT (dual stack)
  HTTP_PORT=${HTTP_PORT:-8080}
  mkdir -p "$XT_TMP/www"
  echo "hello from $NS_S" >"$XT_TMP/www/index.html"
  bg "$NS_S" "$PY" -m http.server --bind :: --directory "$XT_TMP/www" "$HTTP_PORT" >"$XT_TMP/http.log" 2>&1
  for _ in $(seq 50); do
    curl_ok 4 && return 0
    sleep 0.1
  done
  fail "web server in $NS_S did not come up: $(cat "$XT_TMP/http.log")"
}

curl_ok() { # 4|6 [SRC]: an HTTP GET from the client (source $C4/$C6 by default); true on status 200
  local host code src=${2:-}
  [[ $1 == 4 ]] && host=$S4 || host="[$S6]"
  [[ -n $src ]] || { [[ $1 == 4 ]] && src=$C4 || src=$C6; }
  code=$(ip netns exec "$NS_C" curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
    --interface "$src" "http://$host:$HTTP_PORT/" 2>/dev/null) || true
  [[ $code == 200 ]]
}

expect_curl() { # pass|fail 4|6 [SRC]
  expect_check "$1" "curl over IPv$2${3:+ from $3}" "HTTP 200" curl_ok "${@:2}"
}

# ---- counting at both ends ---------------------------------------------------------------------------

link_stat() { # NS IF rx_packets|tx_packets|rx_bytes|tx_bytes
  ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

udp_received() { # 4|6: UDP datagrams the server's stack received (delivered + no port + errors)
  if [[ $1 == 4 ]]; then
    ip netns exec "$NS_S" awk '$1 == "Udp:" { if (!h) { for (i = 2; i <= NF; i++) f[$i] = i; h = 1 } else print $f["InDatagrams"] + $f["NoPorts"] + $f["InErrors"] }' /proc/net/snmp
  else
    ip netns exec "$NS_S" awk '$1 == "Udp6InDatagrams" || $1 == "Udp6NoPorts" || $1 == "Udp6InErrors" { s += $2 } END { print s }' /proc/net/snmp6
  fi
}

ip_received() { # 4|6: IP packets the server's stack received (every packet XDP passed, ARP aside)
  if [[ $1 == 4 ]]; then
    ip netns exec "$NS_S" awk '$1 == "Ip:" { if (!h) { for (i = 2; i <= NF; i++) f[$i] = i; h = 1 } else print $f["InReceives"] }' /proc/net/snmp
  else
    ip netns exec "$NS_S" awk '$1 == "Ip6InReceives" { print $2 }' /proc/net/snmp6
  fi
}

tcp_received() { # TCP segments the server's stack received, IPv4 and IPv6 together (Tcp InSegs)
  ip netns exec "$NS_S" awk '$1 == "Tcp:" { if (!h) { for (i = 2; i <= NF; i++) f[$i] = i; h = 1 } else print $f["InSegs"] }' /proc/net/snmp
}

send() { # NS traffic.py-ARGS...: run a generator; sets SENT, SECONDS_TAKEN, SEND_FIRST_AT, SEND_LAST_AT
  local out
  out=$(ip netns exec "$1" "$PY" "$TRAFFIC" "${@:2}") || fail "traffic.py ${*:2} failed: $out"
  SENT=$(jq -r .sent <<<"$out")
  SECONDS_TAKEN=$(jq -r .seconds <<<"$out")
  # CLOCK_MONOTONIC seconds of the first and last send: windows across several sends.
  SEND_FIRST_AT=$(jq -r .first_at <<<"$out") SEND_LAST_AT=$(jq -r .last_at <<<"$out")
  log "sent $SENT packets in ${SECONDS_TAKEN}s ($(jq -c . <<<"$out"))"
}

bucket_bound() { # BURST RATE SECONDS [EVERY_SECONDS]: burst + rate*t/every, rounded down
  awk -v b="$1" -v r="$2" -v t="$3" -v e="${4:-1}" 'BEGIN { printf "%d\n", b + r * t / e }'
}
