#!/usr/bin/env bash
# Installs every Debian package that the build, the tests, the benchmarks and the demo need.
# Idempotent: packages already present are skipped by apt-get; safe to run on every CI start.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang llvm libelf-dev zlib1g-dev linux-libc-dev
  libbpf-dev libxdp-dev bpftool xdp-tools
  libboost-program-options-dev libfmt-dev libexpected-dev nlohmann-json3-dev libspdlog-dev
  # gateway HTTP layer: request/response parsing, bot-detector patterns, libFuzzer runtime
  libhttp-parser-dev libre2-dev libclang-rt-14-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 ethtool iputils-ping curl hping3 python3-scapy nftables netcat-openbsd
  nginx-light wrk procps util-linux jq python3 dnsmasq-base
)

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: must run as root (apt-get); try: sudo $0" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# nginx from the package starts itself under systemd-less containers only sometimes; the tests start
# their own instances in namespaces, so make sure no packaged instance holds port 80 in the root ns.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
pkill -x nginx 2>/dev/null || true
echo "install-deps: done"
