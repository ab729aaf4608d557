#!/usr/bin/env bash
# README.md's CLI reference is the output of `xdp-throttle help --markdown`, kept between the lines
# <!-- cli-reference:begin --> and <!-- cli-reference:end -->.
#   cli_reference.sh CLI README            exit 1 with a diff when README's section differs
#   cli_reference.sh --update CLI README   rewrite README's section
set -euo pipefail

update=0
if [[ ${1:-} == --update ]]; then update=1; shift; fi
(($# == 2)) || { echo "usage: $0 [--update] CLI README" >&2; exit 2; }
cli=$1 readme=$2
begin='<!-- cli-reference:begin -->' end='<!-- cli-reference:end -->'

for marker in "$begin" "$end"; do
  [[ $(grep -cxF -- "$marker" "$readme") == 1 ]] ||
    { echo "$readme: expected exactly one line '$marker'" >&2; exit 1; }
done
generated=$(mktemp) current=$(mktemp)
trap 'rm -f "$generated" "$current"' EXIT
"$cli" help --markdown >"$generated"
sed -n "\\|^$begin\$|,\\|^$end\$|{\\|^$begin\$|d;\\|^$end\$|d;p}" "$readme" >"$current"

if ((update)); then
  { sed -n "1,\\|^$begin\$|p" "$readme"; cat "$generated"; sed -n "\\|^$end\$|,\$p" "$readme"; } \
    >"$readme.new"
  mv "$readme.new" "$readme"
  echo "$readme: CLI reference rewritten from '$cli help --markdown'"
  exit 0
fi
if ! diff -u --label "$readme (cli-reference section)" --label "$cli help --markdown" \
    "$current" "$generated"; then
  echo "$readme's CLI reference differs from the verb table (tools/verbs.cpp); regenerate it with" >&2
  echo "  cmake --build build --target cli-reference" >&2
  echo "or: tools/cli_reference.sh --update build/tools/xdp-throttle README.md" >&2
  exit 1
fi
echo "$readme: CLI reference matches '$cli help --markdown'"
