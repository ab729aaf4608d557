// The table of verbs: every name, usage line, option, help text and example of the CLI, once.
#include "verbs.hpp"

#include <array>

#include <fmt/format.h>

namespace xt::cli {
namespace {

constexpr Option kIface{.name = "iface", .short_name = 'i', .value = "IFACE",
                        .help = "interface to work on (optional when exactly one is attached)"};

const std::array kVerbs{
    Verb{
        .name = "attach",
        .summary = "load and attach the XDP program; with `--peer`, bridge two interfaces (gateway mode)",
        .synopsis = {"attach IFACE [--mode native|skb] [--size TABLE=N]...",
                     "attach A --peer B [--mode native|skb] [--http-port N]... [--size TABLE=N]..."},
        .options = {{.name = "mode", .value = "native|skb",
                     .help = "`native` (default): driver mode, fastest; veth and most NIC drivers "
                             "support it. `skb`: generic mode, works on every interface (a gateway "
                             "too), slower"},
                    {.name = "peer", .value = "B", .help = "gateway mode, with B as the server side"},
                    {.name = "http-port", .value = "N",
                     .help = "gateway mode: a TCP port of the backends whose requests the controller "
                             "inspects; at most 8, each port once, default 80 (the daemon's config or flags "
                             "may replace them)",
                     .repeatable = true},
                    {.name = "size", .value = "TABLE=N",
                     .help = "the size of a kernel table created by this attach (see the table "
                             "below); tables pinned already keep theirs",
                     .repeatable = true}},
        .description = R"(Loads the XDP program and attaches it to IFACE through libxdp, pinning its maps under
`<bpffs>/xdp-throttle/IFACE`. When the pins exist already (an earlier attach), they are reused, so
rules, bans, limits and counters survive detach + attach. A new interface starts with the deny
policy, empty lists, top-drop tracking on and every limit off.

Errors: no such interface; already attached (xdp-throttle holds IFACE already); another XDP program
holds IFACE and this kernel cannot share it (kernels without freplace support, see `status`): the
message names that program.

Table sizes (`--size TABLE=N`, N from 1,024 to 67,108,864, repeatable): a table's size is fixed
when the attach creates its map, so it applies to a new interface (or after `detach --purge`); a
table pinned already keeps its size, and asking for another is refused. `status` shows each
table's size, fill and memory. The tables whose size can be chosen, with their defaults and what
an entry costs in the kernel (as `status` reads it on kernel 6.18; preallocated tables take their
whole size at attach, the tries and the spilled-host hashes what they hold):

| TABLE | default | memory | holds |
|---|---:|---|---|
| `spike` | 262,144 | 96 B an entry | spike and SYN buckets per source (LRU) |
| `syn` | 131,072 | 88 B an entry | SYN buckets when spike arrest is per prefix (LRU) |
| `bans` | 65,536 | 144 B an entry | the ban box; full, `ban add` refuses |
| `deny_hosts` | 262,144 | 16 B an entry, 80 B a host | hosts a full host-table bucket spills |
| `allow_hosts` | 65,536 | the same | the same for the allow list |
| `deny_v4` | 1,048,576 | 36 B a prefix held | the IPv4 deny trie |
| `deny_v6` | 262,144 | 48 B a prefix held | the IPv6 deny trie |
| `allow_v4`, `allow_v6` | 65,536 | 36 B, 48 B a prefix | the allow tries |
| `top_drops` | 4,096 | 136 B (2 CPUs) an entry | `top` tallies (LRU, per-CPU values) |
| `bypass` | 65,536 | 128 B an entry | flows the controller no longer inspects (LRU) |

The debt floors, the host tables and the ban filter are indexed by a 16-bit hash: 65,536 slots,
not sizable.

Gateway mode (`attach A --peer B`): A (client side) and B (server side) become a transparent L2
bridge. Frames pass unchanged both ways, forwarded in the kernel (a DEVMAP); the IP rules, bans and
limits are enforced on what arrives on A, nothing arriving on B is judged. TCP segments to an HTTP
port go to the controller (`xdp-throttled`) while it runs; without it everything is bridged in the
kernel. The state is pinned under A's directory only: `detach A` detaches both ports, rule commands
take `--iface A`.

- `--mode native` between veths bridges only if the far ends of the veths have GRO on or an XDP
  program of their own (a veth drops redirected frames otherwise); `--mode skb` bridges anywhere.
- Attaching the server side B of a bridge again (alone, or as a port of another bridge) is refused
  with a message naming the bridge and `detach A`. A later host-mode `attach A` clears the recorded
  bridge.)",
        .examples = {"xdp-throttle attach eth0", "xdp-throttle attach veth0 --mode skb",
                     "xdp-throttle attach eth0 --size spike=1048576 --size bans=262144",
                     "xdp-throttle attach eth0 --peer eth1 --http-port 80 --http-port 8080"},
        .run = run_attach,
    },
    Verb{
        .name = "detach",
        .summary = "detach; `--purge` also deletes rules, bans and counters",
        .synopsis = {"detach IFACE [--purge]"},
        .options = {{.name = "purge",
                     .help = "also delete the interface's rules, bans, limits and counters (its pin "
                             "directory), also when the program is not attached"}},
        .description = R"(Detaches xdp-throttle from IFACE. Rules, bans, limits and counters stay pinned and come back with
the next attach, unless `--purge`.

For a gateway bridge, `detach A` detaches both ports and removes the bridge (`xdp-throttle gateway
A <-> B detached`); `detach B` alone is refused with exit 1: `B is the server-side port of the
gateway bridge A <-> B; detach the bridge with 'xdp-throttle detach A'`.)",
        .examples = {"xdp-throttle detach eth0", "xdp-throttle detach eth0 --purge"},
        .run = run_detach,
    },
    Verb{
        .name = "status",
        .summary = "where it is attached, its kernel tables' fill levels, XDP program sharing",
        .synopsis = {"status [--json]"},
        .options = {{.name = "json", .help = "print JSON"}},
        .description = R"(Lists every interface with xdp-throttle attached or with state pinned: mode, program id, pin
directory; and says whether this kernel lets several XDP programs share one interface (libxdp's
dispatcher needs freplace programs, `BPF_PROG_TYPE_EXT`, probed with `libbpf_probe_bpf_prog_type`).

For every pin directory it shows the kernel tables' fill levels: entries / size and the memory
the kernel charges for each map (its `memlock`: preallocated maps their full size, the LPM tries
what they hold). `spike` and `syn` are the per-source buckets (LRU hashes: full under a flood of
new sources, which is harmless: see "Kernel tables under a spoofed flood"); `floors` counts the
slots of `xt_floors` that hold a debt still ahead of now (a new source in such a slot starts with
that debt); `bans` is full when `ban add` starts refusing; `deny_host_table`/`deny_hosts`/
`deny_v4`/`deny_v6` and their `allow_` twins hold the lists; `top_drops` the `top` tallies;
`bypass` the flows the gateway controller no longer inspects. Counting walks every entry
(batched), so it takes up to a few hundred milliseconds for full tables and never slows the
data plane.

A gateway shows both ports with the same program id (B's pin directory as `(in A's)`) and a line
`gateway A <-> B (client side A, server side B)`. In JSON, `gateway_peer` and `gateway_side`
(`"client"` or `"server"`) are `null` in host mode:

```json
{"multiprog_supported": false,
 "multiprog_reason": "the kernel refuses freplace (BPF_PROG_TYPE_EXT) programs, so libxdp's dispatcher cannot run: one XDP program per interface",
 "interfaces": [{"iface": "eth0", "attached": true, "mode": "native", "prog_id": 42,
                 "pin_dir": "/sys/fs/bpf/xdp-throttle/eth0",
                 "gateway_peer": "eth1", "gateway_side": "client",
                 "tables": {"spike": {"map": "xt_spike", "entries": 1834, "max_entries": 262144,
                                      "memlock_bytes": 25166720},
                            "bans": {"map": "xt_bans", "entries": 3, "max_entries": 65536,
                                     "memlock_bytes": 9438352}, "...": {}}},
                {"iface": "eth1", "attached": true, "mode": "native", "prog_id": 42,
                 "pin_dir": "/sys/fs/bpf/xdp-throttle/eth1",
                 "gateway_peer": "eth0", "gateway_side": "server", "tables": null}]}
```

`tables` is `null` for an interface without pins of its own (the server side of a bridge); when
they cannot be read (pins of an older version: attach again), `tables_error` says why.)",
        .examples = {"xdp-throttle status",
                     "xdp-throttle status --json | jq '.interfaces[] | select(.attached)'"},
        .run = run_status,
    },
    Verb{
        .name = "ip",
        .summary = "the allow and deny lists (IPv4 and IPv6) and the policy",
        .synopsis = {"ip (deny|allow) (add|del) CIDR... [--iface IFACE]",
                     "ip (deny|allow) load FILE|- [--iface IFACE]", "ip list [--json] [--iface IFACE]",
                     "ip policy (deny|allow) [--iface IFACE]"},
        .options = {kIface, {.name = "json", .help = "print JSON (ip list)"}},
        .description = R"(Source-address filtering with longest-prefix match, IPv4 and IPv6, with a hit counter per rule.
A bare address is a /32 or /128; a CIDR with host bits set is refused with a hint
(`10.0.0.1/8` -> did you mean `10.0.0.0/8`?).

- Policy `deny` (default): sources in the deny list are dropped (counter `ip_deny`); the rest go on.
- Policy `allow`: only sources in the allow list go on (others: `not_allowed`); the deny list still
  applies to allowed sources.
- `load` reads one CIDR a line, `#` starts a comment, blank lines are ignored, `-` reads standard
  input. It is all or nothing: a bad line applies nothing and the error names `FILE:LINE`. Load
  times of large lists are in docs/PERFORMANCE.md (the e2e test prints its own).
- `add`/`del` validate every value before changing anything; a bad CIDR exits 1 and names it.
- ARP and IPv6 neighbour discovery are never dropped, not even with `deny 0.0.0.0/0 ::/0`.

`ip list --json`:

```json
{"iface": "eth0", "policy": "deny",
 "deny": [{"cidr": "203.0.113.0/24", "hits": 1234}], "allow": []}
```)",
        .examples = {"xdp-throttle ip deny add 203.0.113.0/24 198.51.100.7 2001:db8:bad::/48",
                     "xdp-throttle ip deny del 198.51.100.7", "xdp-throttle ip deny load /etc/blocklist.txt",
                     "curl -s https://example.net/drop.txt | xdp-throttle ip deny load -",
                     "xdp-throttle ip allow add 10.0.0.0/8 && xdp-throttle ip policy allow",
                     "xdp-throttle ip list --json"},
        .run = run_ip,
    },
    Verb{
        .name = "ban",
        .summary = "the ban box: drop a source address until a deadline",
        .synopsis = {"ban add IP... --for DURATION [--reason TEXT] [--iface IFACE]",
                     "ban del IP... [--iface IFACE]", "ban list [--json] [--iface IFACE]"},
        .options = {kIface,
                    {.name = "for", .value = "DURATION",
                     .help = "ban duration, KrakenD's: `250ms`, `10s`, `5m`, `1h`, `1m30s` (ban add)"},
                    {.name = "reason", .value = "TEXT",
                     .help = "why, shown in ban list, at most 32 bytes (ban add)"},
                    {.name = "json", .help = "print JSON (ban list)"}},
        .description = R"(A banned source address is dropped (counter `banned`) until its deadline. Banning again replaces the
deadline and the reason. Expired bans stop matching at once; the first packet after the deadline
removes the entry (and `ban add`/`ban del` sweep what is left), and `ban list` shows live bans only.
Bans are for addresses; use `ip deny` for ranges. The map records an origin: `operator` for the
CLI, `controller` for the bans `xdp-throttled` writes itself (its `autoban` rules, see "Automatic
bans" in README.md); `ban del` lifts either kind.

The ban box holds 65,536 bans by default (`attach --size bans=N`; `status` shows how many it
holds). It never drops a ban to make room: when it is full, `ban add` bans what it can
(re-banning an address already banned always works) and exits 1 with the count of refused
addresses: `eth0: the ban box is full (65536 bans): 2 of 3 addresses refused (198.51.100.9,
198.51.100.10), 1 banned; ...`.

`ban list --json`:

```json
[{"address": "198.51.100.7", "reason": "credential stuffing", "origin": "operator",
  "expires_in_ms": 598312, "hits": 17}]
```)",
        .examples = {R"(xdp-throttle ban add 198.51.100.7 2001:db8::66 --for 10m --reason "credential stuffing")",
                     "xdp-throttle ban del 198.51.100.7", "xdp-throttle ban list --json"},
        .run = run_ban,
    },
    Verb{
        .name = "limit",
        .summary = "spike arrest and SYN limits (token buckets), and the clock they read",
        .synopsis = {"limit spike --rate N [--every DURATION] --burst N [--per address|prefix]\n"
                     "            [--prefix-v4 N] [--prefix-v6 N] [--iface IFACE]",
                     "limit syn --rate N --burst N [--every DURATION]\n"
                     "          [--global-rate N --global-burst N] [--iface IFACE]",
                     "limit off (spike|syn) [--iface IFACE]",
                     "limit clock (exact|coarse) [--iface IFACE]",
                     "limit show [--json] [--iface IFACE]"},
        .options = {kIface,
                    {.name = "rate", .value = "N", .help = "tokens per period"},
                    {.name = "every", .value = "DURATION",
                     .help = "the period (default `1s`), KrakenD's: `250ms`, `10s`, `5m`, `1h`, `1m30s`"},
                    {.name = "burst", .value = "N", .help = "bucket capacity"},
                    {.name = "per", .value = "address|prefix", .help = "spike: address (default) or prefix"},
                    {.name = "prefix-v4", .value = "N", .help = "spike --per prefix: IPv4 prefix length"},
                    {.name = "prefix-v6", .value = "N", .help = "spike --per prefix: IPv6 prefix length"},
                    {.name = "global-rate", .value = "N", .help = "syn: SYNs per period, all sources together"},
                    {.name = "global-burst", .value = "N", .help = "syn: global bucket capacity"},
                    {.name = "json", .help = "print JSON (limit show)"}},
        .description = R"(Token buckets: `--rate` tokens per `--every` (default `1s`), capacity `--burst`, starting full,
refilled continuously. In any window of length t a bucket admits at most **burst + rate·t/every**
packets.

- `spike`: every packet of a source spends a token (drops: `spike`). `--per address` (default)
  keeps a bucket per source address; `--per prefix` one per /24 (IPv4) and /64 (IPv6), or the
  lengths given by `--prefix-v4`/`--prefix-v6`.
- `syn`: TCP SYNs without ACK spend a token of their source's bucket (drops: `syn_source`).
  `--global-rate`/`--global-burst` add one bucket shared by all SYNs (drops: `syn_global`), which
  holds a flood from random spoofed sources, each of which would arrive with a full bucket of its
  own. Without them the global bucket is off: the command sets the whole SYN stage.
- Both keep their per-source buckets in tables a flood of spoofed sources fills (262,144 sources;
  131,072 for SYN buckets when spike arrest is per prefix; `attach --size` changes both). A
  bucket forgotten that way comes back from its debt floor, not full: a source that was being
  limited resumes with exactly what it refilled (the bound above holds across the eviction); one
  that had spent at most half its burst may get up to max(1, ceil((burst - 1) / 2)) more per
  eviction. A new source whose slot (one of 65,536) holds a limited source's debt starts with that
  debt, for at most burst/rate. See "Kernel tables under a spoofed flood".
- Setting a limit replaces the previous one; `limit off` turns a stage off (`limit off syn` both
  SYN buckets).
- `clock`: which clock the buckets and ban deadlines read (the config flag `XT_CFG_COARSE_CLOCK`;
  limits and rules are kept). `exact` (the default) reads `CLOCK_MONOTONIC` and the bound above is
  exact. `coarse` reads `CLOCK_MONOTONIC_COARSE`, cheaper on every packet that needs the time (see
  docs/PERFORMANCE.md) but up to one kernel tick (1/HZ: 4 ms at HZ=250) behind, so a bucket may
  admit up to **rate·tick/every** more than burst + rate·t/every in a window t (0.8 of a packet at
  200/s), and a ban may last up to one tick longer. `limit show` prints it.

`limit show --json` (`null` for a stage that is off; `clock` is `"exact"` or `"coarse"`):

```json
{"spike": {"rate": 100, "every_ns": 1000000000, "burst": 200, "per": "address",
           "prefix_v4": 24, "prefix_v6": 64},
 "syn": {"rate": 20, "every_ns": 1000000000, "burst": 40},
 "syn_global": {"rate": 5000, "every_ns": 1000000000, "burst": 10000},
 "clock": "exact"}
```)",
        .examples = {"xdp-throttle limit spike --rate 100 --burst 200",
                     "xdp-throttle limit spike --rate 1000 --every 1m --burst 50 --per prefix --prefix-v4 24",
                     "xdp-throttle limit syn --rate 20 --burst 40 --global-rate 5000 --global-burst 10000",
                     "xdp-throttle limit off spike", "xdp-throttle limit clock coarse",
                     "xdp-throttle limit show --json"},
        .run = run_limit,
    },
    Verb{
        .name = "stats",
        .summary = "packets seen, passed and dropped by reason",
        .synopsis = {"stats [--json] [--watch SECONDS] [--iface IFACE]"},
        .options = {kIface, {.name = "json", .help = "print JSON"},
                    {.name = "watch", .value = "SECONDS", .help = "repeat every SECONDS until interrupted"}},
        .description = R"(Packets and bytes seen by the XDP program, passed, and dropped by reason, summed over CPUs. Every
packet seen has exactly one verdict:
`seen = passed + malformed + ip_deny + not_allowed + banned + spike + syn_source + syn_global`.
Counters survive detach and attach (not `--purge`). `--watch` repeats every SECONDS: as text with
per-second rates, or as one JSON object per line.

Two more counters say where passed frames went in gateway mode (zero in host mode): `redirected`,
bridged to the other port in the kernel, and `to_controller`, steered to the AF_XDP sockets of
`xdp-throttled`. Both ports of a bridge count into A's counters: frames arriving on B are `seen` and
`passed` too (B judges nothing), and every passed frame is either `redirected` or `to_controller`.

```json
{"iface": "eth0",
 "counters": {"seen": {"packets": 1000, "bytes": 64000}, "passed": {"packets": 990, "bytes": 63360},
              "malformed": {...}, "ip_deny": {...}, "not_allowed": {...}, "banned": {...},
              "spike": {...}, "syn_source": {...}, "syn_global": {...},
              "redirected": {...}, "to_controller": {...}}}
```

The same counters, per CPU and with their names, straight from the pinned map:
`bpftool map dump pinned /sys/fs/bpf/xdp-throttle/eth0/xt_stats`.)",
        .examples = {"xdp-throttle stats", "xdp-throttle stats --json | jq .counters.spike.packets",
                     "xdp-throttle stats --watch 1"},
        .run = run_stats,
    },
    Verb{
        .name = "top",
        .summary = "the sources dropped most",
        .synopsis = {"top [-n N] [--json] [--iface IFACE]"},
        .options = {kIface, {.short_name = 'n', .value = "N", .help = "how many sources (default 10, at most 4096)"},
                    {.name = "json", .help = "print JSON"}},
        .description = R"(The sources dropped most, with the reason of their latest drop. The table is an LRU: the quietest
sources are forgotten first.

```json
[{"source": "198.51.100.7", "packets": 150000, "bytes": 8400000, "last_reason": "syn_source"}]
```)",
        .examples = {"xdp-throttle top", "xdp-throttle top -n 3 --json"},
        .run = run_top,
    },
    Verb{
        .name = "check-config",
        .summary = "validate a gateway config (krakend.json shape); applies nothing",
        .synopsis = {"check-config FILE [--json]"},
        .options = {{.name = "json", .help = "print the report as JSON on stdout"}},
        .description = R"(Validates a gateway configuration (KrakenD's `krakend.json` structure, plus this project's own
`xdp-throttle` namespace in the root `extra_config`) and changes nothing: no map is opened, no rule
applied, no privileges needed. Every problem is reported with its JSON path and what was expected,
all in one run; namespaces xdp-throttle does not enforce are listed once each, with where they
first appear, and so are backends it cannot see on the wire (pub/sub hosts such as `kafka://`,
`backend/pubsub/...`, `backend/amqp/...`, `backend/lambda`). A file loads when KrakenD CE loads it;
where KrakenD would enforce something else (a method it does not register, a client limit without
`strategy`) a warning says so. An example lives in `examples/xdp-throttle.json`.

Exit status: `0` valid, `1` invalid (or unreadable), `2` wrong command line.

With `--json`, a valid file also lists what will be enforced where: one entry in `enforced` per
loaded block (scope `service`, `endpoint` or `backend`) with its JSON path, method and endpoint
(and the gin `route` KrakenD registers), namespace, the buckets with the status each answers
(`shared` 503; `client` 429 with `strategy` and `key`), a bot detector's 403, a breaker's 503 and
settings, the backend's `hosts` for breakers and proxy limits, and `krakend_differs` (why KrakenD
would enforce otherwise); `unenforceable_backends` names each off-the-wire backend, why, and the
limits `dropped` from it.

```json
{"file": "/etc/krakend/krakend.json", "valid": true, "endpoints": 12,
 "problems": [], "warnings": [], "ignored_namespaces": [],
 "enforced": [
  {"json_path": "$.endpoints[0].extra_config[\"qos/ratelimit/router\"]", "scope": "endpoint",
   "method": "GET", "endpoint": "/users/{id}", "route": "/users/:id",
   "namespace": "qos/ratelimit/router", "krakend_differs": [],
   "shared": {"max_rate": 10.0, "every": "1s", "capacity": 10, "status": 503},
   "client": {"strategy": "ip", "key": "", "max_rate": 2.0, "every": "1s", "capacity": 2,
              "status": 429}},
  {"json_path": "$.endpoints[0].backend[0].extra_config[\"qos/ratelimit/proxy\"]",
   "scope": "backend", "method": "GET", "endpoint": "/users/{id}", "route": "/users/:id",
   "namespace": "qos/ratelimit/proxy", "backend": "$.endpoints[0].backend[0]",
   "hosts": ["http://10.0.0.2:8080"], "sd": "static", "krakend_differs": [],
   "shared": {"max_rate": 50.0, "every": "1s", "capacity": 50, "status": 503}}],
 "unenforceable_backends": [{"json_path": "$.endpoints[3].backend[0]",
   "reason": "host scheme \"kafka\"", "dropped": ["qos/ratelimit/proxy"]}]}
```)",
        .examples = {"xdp-throttle check-config /etc/krakend/krakend.json",
                     "xdp-throttle check-config examples/xdp-throttle.json --json | jq .problems",
                     "xdp-throttle check-config krakend.json --json | jq -c '.enforced[] | [.method, .endpoint, .namespace]'"},
        .run = run_check_config,
    },
    Verb{
        .name = "bot-check",
        .summary = "judge User-Agents with a config's bot detectors; applies nothing",
        .synopsis = {"bot-check --config FILE [--endpoint PATH] [--json] UA..."},
        .options = {{.name = "config", .value = "FILE", .help = "the gateway config (krakend.json shape)"},
                    {.name = "endpoint", .value = "PATH",
                     .help = "also the detector of the endpoint whose `endpoint` is PATH, as written "
                             "in the config (`/users/{id}`)"},
                    {.name = "json", .help = "print one JSON object per UA, in an array"}},
        .description = R"txt(Judges each UA with the `security/bot-detector` blocks of FILE exactly as the gateway does,
and says what decided: `empty` (an empty UA, `empty_user_agent_is_bot`), `allow`, `deny`, the
index and text of the first pattern that matched, or no rule. The root detector judges first (it
sees every request); with `--endpoint PATH`, that endpoint's detector judges what the root one let
through. A UA repeated on the command line shows the cache (`cache_size`) answering. Nothing is
opened but FILE: no map, no daemon, no privileges.

Exit status: `0` every UA judged (bot or not), `1` the config is invalid or has no detector there,
`2` wrong command line.

```
$ xdp-throttle bot-check --config krakend.json "facebookexternalhit/1.1" "Mozilla/5.0"
bot  "facebookexternalhit/1.1": pattern 1 "(facebookexternalhit)/(\d+)\.(\d+)" (service)
ok   "Mozilla/5.0": no rule matched (service)
```

```json
[{"bot": true, "by": "pattern", "cached": false, "pattern": "(facebookexternalhit)/(\\d+)\\.(\\d+)",
  "pattern_index": 1, "scope": "service", "user_agent": "facebookexternalhit/1.1"}]
```)txt",
        .examples = {"xdp-throttle bot-check --config /etc/krakend/krakend.json \"Googlebot/2.1\"",
                     "xdp-throttle bot-check --config krakend.json --endpoint /api/{id} --json \"$UA\""},
        .run = run_bot_check,
    },
};

const Program kProgram{
    .name = "xdp-throttle",
    .tagline = "drop floods, abusive and banned sources at the NIC (XDP)",
    .conventions = R"(- Every command but `--help`, `check-config` and `bot-check` needs root (or `CAP_BPF` and
  `CAP_NET_ADMIN`); as another user it fails with a message saying so.
- Rule commands (`ip`, `ban`, `limit`, `stats`, `top`) take `--iface IFACE` (`-i`). It may be
  omitted when exactly one interface has xdp-throttle attached (a gateway bridge counts once, as A;
  or, with none attached, exactly one has pinned state, so rules can be edited while detached);
  otherwise the command asks for it.
- DURATION is KrakenD's (Go's `time.ParseDuration`): `250ms`, `10s`, `5m`, `1h`, `1m30s` (units
  `ns`, `us`, `ms`, `s`, `m`, `h`). Anything else is an error that names the value.
- CIDR is an IPv4 or IPv6 prefix (`203.0.113.0/24`, `2001:db8:bad::/48`); a bare address means
  `/32` or `/128`. A prefix with host bits set (`10.0.0.1/8`) is refused with a hint.
- State lives in bpffs under `/sys/fs/bpf/xdp-throttle/IFACE/` (one pinned map per table). The
  environment variable `XDP_THROTTLE_BPFFS` replaces `/sys/fs/bpf` (the tests use a private
  bpffs); libxdp honours `LIBXDP_BPFFS` for its own pins. bpffs is mounted if it is missing.
- Commands that change state lock the pin directory, so concurrent invocations are safe.)",
    .exit_status = R"(`0` success; `1` the command failed (bad value such as a CIDR or a duration, no such interface,
not root, not attached, another XDP program holds the interface, kernel error); `2` the command
line has the wrong shape (unknown verb or option, missing argument). Errors go to stderr, prefixed
`xdp-throttle:`.)",
    .examples = {"xdp-throttle attach eth0", "xdp-throttle ip deny add 203.0.113.0/24 2001:db8:bad::/48",
                 "xdp-throttle limit spike --rate 100 --burst 200", "xdp-throttle stats --watch 1"},
    .verbs = kVerbs,
};

}  // namespace

std::string Option::spelling() const {
    const std::string flag = name.empty() ? fmt::format("-{}", short_name) : fmt::format("--{}", name);
    return value.empty() ? flag : fmt::format("{} {}", flag, value);
}

std::string Option::key() const {
    return name.empty() ? fmt::format("-{}", short_name) : std::string(name);
}

const Program& program() { return kProgram; }

const Verb* find_verb(std::string_view name) {
    for (const auto& verb : kVerbs)
        if (verb.name == name) return &verb;
    return nullptr;
}

po::options_description boost_options(const Verb& verb) {
    po::options_description options(fmt::format("{} options", verb.name));
    for (const auto& option : verb.options) {
        const std::string names = fmt::format("{}{}", option.name,
                                              option.short_name ? fmt::format(",{}", option.short_name) : "");
        const std::string help(option.help);
        if (option.value.empty())
            options.add_options()(names.c_str(), help.c_str());
        else if (option.repeatable)
            options.add_options()(names.c_str(), po::value<std::vector<std::string>>()->composing(),
                                  help.c_str());
        else
            options.add_options()(names.c_str(), po::value<std::string>(), help.c_str());
    }
    return options;
}

}  // namespace xt::cli
