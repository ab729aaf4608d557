#!/usr/bin/env bash
# e2e.gateway_differential: a client over its limit gets nothing more from nginx, however it dresses
# its requests (issue 7, "a differential harness, not a list of cases").
#
# Every stream of tests/e2e/differential/streams/ (one client's bytes: pipelining, Upgrade headers,
# CONNECT, the HTTP/2 preface, 28 KB heads, CL/TE conflicts, chunk extensions, bare LFs, obs-fold,
# paths nginx decodes, ...) and a seeded batch of mutants of them and of the fuzzer's seeds is
# written through the gateway to nginx, each from its own client address, in varying segment
# splits. nginx's access log is the ground truth: for every source, the 2xx answers to /limited must
# not exceed the client capacity. The controller's counters are printed per stream class beside
# nginx's. Nothing is assumed about how the controller refuses (429, 400, 431, a reset): only that
# the backend never serves more than the limit.
#
# XT_DIFF_SEED (default 1) and XT_DIFF_MUTANTS (default 300) choose the mutants and the splits;
# XT_DIFF_SAVE=DIR keeps failing mutants as .stream files (the lab's temp dir is removed on exit).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"
e2e_init gateway_differential nginx curl

DIFF_DIR="$E2E_DIR/differential"
CAPACITY=2
SEED=${XT_DIFF_SEED:-1}
MUTANTS=${XT_DIFF_MUTANTS:-300}

gw_lab_up

# nginx as a backend that routes like nginx does (merge_slashes, percent-decoding, dot segments,
# absolute-form targets) and logs what it served: the status and the $uri it routed, per source.
# /limited answers GET and HEAD (what `limit_except GET` would let through); other methods get
# 405, so a 2xx there is always a request the GET endpoint's limit covers.
d=$XT_TMP/nginx
mkdir -p "$d/temp"
{
  nginx_conf_head "$d" 1 off
  cat <<EOF
  default_type text/plain;
  log_format diff escape=json '\$remote_addr \$status "\$uri" "\$request" \$connection';
  server {
    listen 80 backlog=4096;
    access_log $d/access.log diff;
    location = /limited {
      if (\$request_method !~ ^(GET|HEAD)\$) { return 405; }
      return 200 "limited\n";
    }
    location = /free { return 200 "free\n"; }
    location / { return 404; }
  }
}
EOF
} >"$d/nginx.conf"
nginx_serve
: >"$d/access.log"  # the readiness probes above are not part of the test

gw_attach

# One source address per stream: .16-.254 of the client's /24 (the lab uses .1-.3) and a second
# /24 next to it, which the server reaches on-link (no router in the lab).
prefix=${C4%.*}
o3=${prefix##*.}
extra="${prefix%.*}.$((o3 ^ 1))"
{
  for i in $(seq 16 254); do echo "addr add $prefix.$i/24 dev $IF_C"; done
  for i in $(seq 1 254); do echo "addr add $extra.$i/24 dev $IF_C"; done
} | ip -n "$NS_C" -batch - || fail "adding the client's source addresses"
ip -n "$NS_S" route add "$extra.0/24" dev "$IF_S" || fail "route to $extra.0/24 in $NS_S"
SOURCES="$prefix.16-$prefix.254,$extra.1-$extra.254"

cat >"$XT_TMP/gateway.json" <<EOF
{
  "version": 3,
  "extra_config": {"xdp-throttle": {"http_ports": [80]}},
  "endpoints": [
    {"backend": [{"url_pattern": "/"}], "endpoint": "/limited", "method": "GET",
     "extra_config": {"qos/ratelimit/router": {"client_max_rate": 1, "client_capacity": $CAPACITY, "every": "1h", "strategy": "ip"}}}
  ]
}
EOF
# Counters every 100 ms: the replayer reads them between stream classes.
DAEMON_STATS_INTERVAL=100ms daemon_start "$XT_TMP/gateway.json"

step "replaying the corpus and $MUTANTS mutants (seed $SEED) from one source each, capacity $CAPACITY"
rc=0
ip netns exec "$NS_C" timeout 120 "$PY" "$DIFF_DIR/differential.py" run --server "$S4" \
  --sources "$SOURCES" --capacity "$CAPACITY" --seed "$SEED" --mutants "$MUTANTS" \
  --nginx-log "$d/access.log" --daemon-log "$XT_TMP/daemon.log" ${XT_DIFF_SAVE:+--save-failures "$XT_DIFF_SAVE"} ||
  rc=$?
log "daemon: $(daemon_counters)"
kill -0 "$DAEMON_PID" 2>/dev/null || fail "xdp-throttled died during the replay: $(tail -5 "$XT_TMP/daemon.log")"
daemon_stop
((rc == 0)) || fail "differential replay exit $rc: a source was served more than $CAPACITY requests for /limited (FAIL lines above), or the replay itself went wrong"
pass "no source was served more than $CAPACITY requests for /limited"
