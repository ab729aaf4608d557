# shellcheck shell=bash
# tests/e2e/gateway_lib.sh - the gateway lab (three namespaces) for tests/e2e/test_gateway_*.sh and
# the gateway scene of scripts/demo.sh. Source lib.sh first (assertions, cleanup trap, bpffs).
#
#   $NS_C [$IF_C  $C4 $C4B / $C6]  ==veth==  [$IF_A  $NS_E  $IF_B]  ==veth==  [$IF_S  $S4 / $S6]  $NS_S
#    client: curl, wrk, gateway_client.py      xdp-throttle attach A --peer B    nginx on :80
#                                               xdp-throttled (the controller)
#
# The edge namespace has no address and no Linux bridge: every frame between client and server
# crossed xdp-throttle (the kernel DEVMAP bridge or the controller's AF_XDP sockets).

XT_DAEMON=${XT_DAEMON:-$XT_BUILD_DIR/userspace/daemon/xdp-throttled}
GATEWAY_CLIENT="$E2E_DIR/gateway_client.py"
DAEMON_PID=""
NGINX_PID=""

# gw_lab_up: the three namespaces, addresses, nothing attached yet.
gw_lab_up() {
  local id o2 o3 h
  id=$(lab_id)
  NS_C="xt-gw-$id-c" NS_E="xt-gw-$id-e" NS_S="xt-gw-$id-s"
  IF_C="gc$id" IF_A="ga$id" IF_B="gb$id" IF_S="gs$id"
  o2=$((RANDOM % 200 + 20)) o3=$((RANDOM % 250 + 1))
  h=$(printf '%x' $((RANDOM % 65536)))
  C4="10.$o2.$o3.1" S4="10.$o2.$o3.2" C4B="10.$o2.$o3.3"
  C6="fd00:79:$h::1" S6="fd00:79:$h::2"
  lab_ns "$NS_C"
  lab_ns "$NS_E"
  lab_ns "$NS_S"
  # Two queues a side: the controller needs a socket on every RX queue of both ports.
  ip link add "$IF_C" netns "$NS_C" numtxqueues 2 numrxqueues 2 type veth peer name "$IF_A" \
    netns "$NS_E" numtxqueues 2 numrxqueues 2
  ip link add "$IF_S" netns "$NS_S" numtxqueues 2 numrxqueues 2 type veth peer name "$IF_B" \
    netns "$NS_E" numtxqueues 2 numrxqueues 2
  lab_if_up "$NS_C" "$IF_C" "$C4/24" "$C4B/24" "$C6/64"
  lab_if_up "$NS_S" "$IF_S" "$S4/24" "$S6/64"
  lab_if_up "$NS_E" "$IF_A"
  lab_if_up "$NS_E" "$IF_B"
  # Frames a DEVMAP or an AF_XDP socket sends into a veth are dropped by the peer unless it has
  # an XDP program or GRO on; the endpoints get GRO.
  ip netns exec "$NS_C" ethtool -K "$IF_C" gro on >/dev/null
  ip netns exec "$NS_S" ethtool -K "$IF_S" gro on >/dev/null
  lab_wait_link "$NS_C" "$IF_C"
  lab_wait_link "$NS_S" "$IF_S"
  [[ -n "$XT_BPFFS" ]] || lab_bpffs  # the demo's second scene reuses the first one's
  log "gateway lab: $NS_C ($C4, $C6) | $NS_E $IF_A<->$IF_B | $NS_S ($S4, $S6) nginx; bpffs $XT_BPFFS"
}

# In the edge namespace: the CLI and the daemon.
xte() { ip netns exec "$NS_E" "$XT_CLI" "$@"; }

gw_attach() { # [ATTACH ARGS...]: attach A --peer B (the kernel bridge), then wait for the client to reach the server
  local out
  out=$(xte attach "$IF_A" --peer "$IF_B" "$@" 2>&1) || fail "xdp-throttle attach $IF_A --peer $IF_B $*: $out"
  log "$out"
  for _ in $(seq 50); do
    ip netns exec "$NS_C" ping -c 1 -W 1 "$S4" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "no IPv4 path through the kernel bridge after attach"
}

# The top of an nginx.conf for a test or bench instance living in DIR (pid, logs and temp paths
# there, nothing under /etc or /var; DIR/temp must exist), WORKERS worker processes, access log
# ACCESS_LOG (or "off"). It opens the http block; the caller writes the rest and the closing brace.
nginx_conf_head() {
  local dir=$1 workers=$2 access_log=$3
  cat <<EOF
worker_processes $workers;
daemon off;
master_process on;
user root;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log $access_log;
  client_body_temp_path $dir/temp/body;
  proxy_temp_path $dir/temp/proxy;
  fastcgi_temp_path $dir/temp/fastcgi;
  uwsgi_temp_path $dir/temp/uwsgi;
  scgi_temp_path $dir/temp/scgi;
  keepalive_requests 1000000;
EOF
}

# nginx_start: nginx in the server namespace, config and files generated in $XT_TMP (nothing under
# /etc/nginx is read or written). Locations:
#   /free /limited /shared /api/<key>   tiny bodies naming the path
#   /download                           a 1 MB random file ($BLOB_SHA = its sha256)
#   /upload/<name> (PUT)                stored in $XT_TMP/www/upload/ (chunked uploads too)
#   /ws                                 WebSocket, proxied to 127.0.0.1:9001 (ws_echo_start)
# and a test's own locations, given as the first argument (nginx syntax, inside the server block).
nginx_start() {
  local extra=${1:-}
  local d=$XT_TMP/nginx
  mkdir -p "$d/temp" "$XT_TMP/www/upload"
  head -c 1048576 /dev/urandom >"$XT_TMP/www/download"
  BLOB_SHA=$(sha256sum <"$XT_TMP/www/download" | cut -d' ' -f1)
  chmod -R a+rwX "$XT_TMP/www"
  {
    nginx_conf_head "$d" 1 "$d/access.log"
    cat <<EOF
  default_type text/plain;
  server {
    listen 80 backlog=4096;
    listen [::]:80 backlog=4096;
    root $XT_TMP/www;
    location = /free { return 200 "free\n"; }
    location = /limited { return 200 "limited\n"; }
    location = /shared { return 200 "shared\n"; }
    location /api/ { return 200 "api \$uri\n"; }
    location = /download { }
    location /upload/ { dav_methods PUT; create_full_put_path on; client_max_body_size 16m; }
    location = /ws {
      proxy_pass http://127.0.0.1:9001;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection "upgrade";
    }
$extra
  }
}
EOF
  } >"$d/nginx.conf"
  nginx_serve
}

# nginx_serve: nginx in the server namespace with $XT_TMP/nginx/nginx.conf (which must answer
# /free); returns once it does.
nginx_serve() {
  local d=$XT_TMP/nginx
  bg "$NS_S" nginx -c "$d/nginx.conf" -e "$d/error.log"
  NGINX_PID=$BG_PID
  for _ in $(seq 50); do
    ip netns exec "$NS_S" curl -s -o /dev/null --max-time 1 "http://127.0.0.1/free" && return 0
    kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx exited: $(cat "$d/error.log")"
    sleep 0.1
  done
  fail "nginx did not come up: $(cat "$d/error.log")"
}

ws_echo_start() { # the WebSocket echo server behind nginx's /ws
  bg "$NS_S" "$PY" "$E2E_DIR/ws_echo.py" 9001
  for _ in $(seq 50); do
    ip netns exec "$NS_S" bash -c ': </dev/tcp/127.0.0.1/9001' 2>/dev/null && return 0
    sleep 0.1
  done
  fail "the WebSocket echo server did not come up"
}

nginx_hits() { # PATH-REGEX: requests nginx logged whose request line matches
  grep -cE "\"[A-Z]+ $1 HTTP" "$XT_TMP/nginx/access.log" || true
}
nginx_served() { # PATH-REGEX: requests nginx answered with a 2xx whose request line matches
  grep -cE "\"[A-Z]+ $1 HTTP/[0-9.]+\" 2[0-9][0-9] " "$XT_TMP/nginx/access.log" || true
}
nginx_log_lines() { # every request nginx logged so far (malformed ones too)
  wc -l <"$XT_TMP/nginx/access.log"
}

# daemon_start CONFIG [ARGS...]: xdp-throttled in the edge namespace, log in $XT_TMP/daemon.log;
# waits until it serves (its "serving" line) and the heartbeat is fresh. Counters are logged every
# $DAEMON_STATS_INTERVAL (2s; a test reading them between phases sets it lower), and the state file
# written to $DAEMON_STATE_FILE ($XT_TMP/daemon-state.json: nothing is left under /run).
daemon_start() {
  local config=$1
  shift
  [[ -x "$XT_DAEMON" ]] || fail "daemon not built: $XT_DAEMON (set XT_DAEMON or build the project)"
  ip netns exec "$NS_E" "$XT_DAEMON" --config "$config" --iface "$IF_A" --peer "$IF_B" \
    --stats-interval "${DAEMON_STATS_INTERVAL:-2s}" \
    --state-file "${DAEMON_STATE_FILE:-$XT_TMP/daemon-state.json}" "$@" >>"$XT_TMP/daemon.log" 2>&1 &
  DAEMON_PID=$!
  XT_BG_PIDS+=("$DAEMON_PID")
  for _ in $(seq 100); do
    grep -q "\[$DAEMON_PID\]: serving" "$XT_TMP/daemon.log" 2>/dev/null && { sleep 0.2; return 0; }
    kill -0 "$DAEMON_PID" 2>/dev/null || fail "xdp-throttled exited: $(cat "$XT_TMP/daemon.log")"
    sleep 0.1
  done
  fail "xdp-throttled did not start: $(cat "$XT_TMP/daemon.log")"
}

daemon_stop() { # SIGTERM; must exit 0
  local rc=0
  kill -TERM "$DAEMON_PID"
  wait "$DAEMON_PID" || rc=$?
  ((rc == 0)) || fail "xdp-throttled exited $rc on SIGTERM: $(tail -5 "$XT_TMP/daemon.log")"
  DAEMON_PID=""
}

daemon_counters() { # the daemon's last counters line
  grep -E "\]: flows " "$XT_TMP/daemon.log" | tail -n 1 | sed 's/.*\]: //'
}

gc() { # gateway_client.py ARGS...: run in the client namespace
  ip netns exec "$NS_C" "$PY" "$GATEWAY_CLIENT" "$@"
}

code_of() { # 4|6 PATH [curl args...]: the status of one GET from the client
  local fam=$1 path=$2 host
  shift 2
  [[ $fam == 4 ]] && host=$S4 || host="[$S6]"
  ip netns exec "$NS_C" curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "http://$host$path" || true
}

# wrk_run OUT ARGS...: bounded wrk in the client namespace, its report in OUT; sets WRK_RPS,
# WRK_REQS, WRK_ERRORS (connect + read + write + timeout) and WRK_NON2XX.
wrk_run() {
  local out=$1
  shift
  ip netns exec "$NS_C" timeout 60 wrk "$@" >"$out" 2>&1 || fail "wrk $*: $(cat "$out")"
  wrk_parse "$out"
}
wrk_parse() { # OUT
  WRK_RPS=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' "$1")
  WRK_REQS=$(awk '/requests in/ { print $1 }' "$1")
  WRK_ERRORS=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$1")
  WRK_ERRORS=${WRK_ERRORS:-0}
  WRK_NON2XX=$(awk '/Non-2xx/ { print $NF }' "$1")
  WRK_NON2XX=${WRK_NON2XX:-0}
}
