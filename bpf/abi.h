/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * abi.h - the one header shared by the XDP program and the C++ controller/CLI.
 *
 * Everything that crosses the kernel/user boundary is declared here exactly once: map names, map
 * value/key layouts, verdicts, configuration flags and limits. Only fixed-width kernel types
 * (__u32, __be32, ...) and explicit padding are used, so the layout is the same for clang -target bpf
 * and for the host's C++ compiler; userspace static_asserts the sizes
 * (userspace/maps/abi_check.cpp), so a host where they differ fails the build.
 *
 * Maps are pinned by name under XT_PIN_ROOT/<ifname>/<map name>, so `bpftool map dump pinned
 * /sys/fs/bpf/xdp-throttle/eth0/xt_stats` prints the named fields below (the object keeps BTF).
 */
#ifndef XDP_THROTTLE_ABI_H
#define XDP_THROTTLE_ABI_H

#include <linux/types.h>

/* ---- names ------------------------------------------------------------------------------------ */

#define XT_PIN_ROOT "/sys/fs/bpf/xdp-throttle"
#define XT_PROG_NAME "xdp_throttle"

/* Map identifiers. BPF code declares `} XT_MAP_STATS SEC(".maps");`; C++ uses XT_NAME(XT_MAP_STATS)
 * for the pin file name. Kernel object names are limited to 15 characters. */
#define XT_MAP_CONFIG xt_config       /* ARRAY[1] of struct xt_config: runtime settings      */
#define XT_MAP_STATS xt_stats         /* PERCPU_ARRAY[1] of struct xt_stats: counters         */
#define XT_MAP_DENY_HOST_TABLE xt_deny_htab   /* ARRAY of xt_host_slot: /32 and /128 deny rules */
#define XT_MAP_ALLOW_HOST_TABLE xt_allow_htab /* ARRAY of xt_host_slot: /32 and /128 allow    */
#define XT_MAP_DENY_HOSTS xt_deny_hosts   /* HASH xt_addr -> xt_ip_rule: deny hosts the table can't hold */
#define XT_MAP_ALLOW_HOSTS xt_allow_hosts /* HASH xt_addr -> xt_ip_rule: allow hosts likewise   */
#define XT_MAP_DENY4_HOSTS_COVER xt_cover4_hosts /* ARRAY[65536] of __u32, index = IPv4 /16    */
#define XT_MAP_DENY4_PREFIX_COVER xt_cover4_pfx  /* ARRAY[65536] of __u32, index = IPv4 /16    */
#define XT_MAP_DENY_V4 xt_deny_v4     /* LPM_TRIE xt_lpm_v4 -> xt_ip_rule                      */
#define XT_MAP_DENY_V6 xt_deny_v6     /* LPM_TRIE xt_lpm_v6 -> xt_ip_rule                      */
#define XT_MAP_ALLOW_V4 xt_allow_v4   /* LPM_TRIE xt_lpm_v4 -> xt_ip_rule                      */
#define XT_MAP_ALLOW_V6 xt_allow_v6   /* LPM_TRIE xt_lpm_v6 -> xt_ip_rule                      */
#define XT_MAP_BANS xt_bans           /* HASH xt_addr -> xt_ban                                */
#define XT_MAP_BAN_FILTER xt_ban_filter /* ARRAY[65536] of __u32, index = xt_addr_slot()        */
#define XT_MAP_SPIKE xt_spike         /* LRU_HASH xt_addr (masked) -> xt_source_buckets        */
#define XT_MAP_SYN xt_syn             /* LRU_HASH xt_addr -> xt_gcra (spike per prefix only)   */
#define XT_MAP_SYN_GLOBAL xt_syn_glob /* ARRAY[1] of struct xt_gcra                            */
#define XT_MAP_FLOORS xt_floors       /* ARRAY[XT_FLOOR_SLOTS] of struct xt_source_buckets: the
                                         debt floors of the buckets above ("debt floors" below) */
#define XT_MAP_TOP_DROPS xt_top_drops /* LRU_PERCPU_HASH xt_addr -> xt_drop_tally              */
#define XT_MAP_TOP_PENDING xt_top_pending /* PERCPU_ARRAY[1] of struct xt_drop_pending          */
/* Gateway mode (`xdp-throttle attach A --peer B`; semantics under "gateway mode" below). */
#define XT_MAP_PORTS xt_ports         /* DEVMAP_HASH: key = ingress ifindex (__u32) -> struct
                                         bpf_devmap_val { .ifindex = the other port }         */
#define XT_MAP_XSK_CLIENT xt_xsk_cli  /* XSKMAP: key = rx queue index -> AF_XDP socket on A     */
#define XT_MAP_XSK_SERVER xt_xsk_srv  /* XSKMAP: key = rx queue index -> AF_XDP socket on B     */
#define XT_MAP_HEARTBEAT xt_heartbeat /* ARRAY[1] of struct xt_heartbeat, written by the daemon */
#define XT_MAP_BYPASS xt_bypass       /* LRU_HASH xt_flow_key -> xt_bypass, written by the daemon */

#define XT_STR_(x) #x
#define XT_NAME(x) XT_STR_(x)

/* The helpers below run on the program's per-packet path: forced inline there, as every helper of
 * the stages is. Spelled out rather than `__always_inline`: this header is also C++, where that
 * macro is glibc's, and linux/stddef.h's (reached through linux/types.h) is a plain inline unless
 * bpf_helpers.h came first. */
#define XT_ABI_INLINE static inline __attribute__((always_inline))

/* ---- sizes ------------------------------------------------------------------------------------ */

#define XT_DENY_V4_MAX 1048576
#define XT_DENY_V6_MAX 262144
#define XT_ALLOW_V4_MAX 65536
#define XT_ALLOW_V6_MAX 65536
/* A hash allocates its bucket array (16 bytes a slot) up front: 262144 hosts cost 4 MB whether used
 * or not. Hosts beyond it go to the trie (the library spills them there), slower but still found. */
#define XT_DENY_HOSTS_MAX 262144
#define XT_ALLOW_HOSTS_MAX 65536
#define XT_DENY_V4_COVER_SLOTS 65536 /* one per IPv4 /16 */
#define XT_HOST_TABLE_WAYS 4
#define XT_HOST_TABLE_BUCKETS 16384
#define XT_HOST_TABLE_SLOTS (XT_HOST_TABLE_BUCKETS * XT_HOST_TABLE_WAYS) /* 1.5 MB a list */
#define XT_BANS_MAX 65536
#define XT_BAN_FILTER_SLOTS 65536
#define XT_SPIKE_MAX 262144
#define XT_SYN_MAX 131072
#define XT_FLOOR_SLOTS 65536 /* one per xt_addr_slot() value; 16 bytes a slot: 1 MB */
#define XT_TOP_DROPS_MAX 4096
#define XT_BAN_REASON_LEN 32
#define XT_MAX_HTTP_PORTS 8
#define XT_XSK_QUEUES_MAX 64  /* XSKMAP size: RX queues of one port the controller can serve */
#define XT_BYPASS_MAX 65536

/* ---- addresses -------------------------------------------------------------------------------- */

/* One key type for every per-source hash map. IPv4 addresses are stored IPv4-mapped
 * (::ffff:a.b.c.d), so one map and one code path serve both families. Network byte order. */
struct xt_addr {
	__be32 w[4];
};

/* A 16-bit hash of an address, for the tables the program indexes itself (host tables, the ban
 * filter). Multiply-xor over the four words as stored (network order), top 16 bits. The same code
 * runs in the program and in the library, so both pick the same slot. */
XT_ABI_INLINE __u32 xt_addr_slot(const struct xt_addr *a)
{
	__u32 h = a->w[0] * 0x9E3779B1u;

	h = (h ^ a->w[1]) * 0x85EBCA77u;
	h = (h ^ a->w[2]) * 0xC2B2AE3Du;
	h = (h ^ a->w[3]) * 0x27D4EB2Fu;
	return h >> 16;
}

struct xt_lpm_v4 {
	__u32 prefixlen; /* LPM_TRIE keys start with the prefix length in bits */
	__be32 addr;
};

struct xt_lpm_v6 {
	__u32 prefixlen;
	__be32 addr[4];
};

/* Value of every allow/deny rule. `hits` is bumped with an atomic add by every CPU that matches the
 * rule (the trie cannot be per-CPU); exact, at the cost of a shared cache line on the hit path.
 *
 * Where rules live: a /32 (IPv4) or /128 (IPv6) rule is an exact host, kept in the list's host
 * table (XT_MAP_*_HOST_TABLE, struct xt_host_slot below): a set-associative table in an ARRAY, so
 * the program finds a host with a few inlined array reads instead of a hash lookup, which is a chain
 * of real calls (dear behind the SRSO return thunks: docs/PERFORMANCE.md). A host whose bucket is
 * full goes to the list's HASH XT_MAP_*_HOSTS keyed by struct xt_addr (IPv4-mapped, like every
 * per-source map), and when that is full too, into the trie. Every shorter prefix lives in the LPM
 * tries. The library routes rules (userspace/maps/rules.cpp, host_table.cpp); the program checks the
 * host table, the host hash, then the trie, each only if it may hold a match. An IPv6 packet from
 * an IPv4-mapped address (::ffff:a.b.c.d) is judged by the IPv4 rules, as the IPv4 source it names
 * (the ban box and the buckets key it the same way).
 *
 * Two per-/16 counts of IPv4 deny rules (index i = the first 16 bits of the address):
 * XT_MAP_DENY4_HOSTS_COVER[i] counts the host rules (table and hash) that lie in /16 number i;
 * XT_MAP_DENY4_PREFIX_COVER[i] counts the rules in the IPv4 deny trie that intersect it (a /16 or
 * longer prefix counts in its own /16, a shorter one in every /16 it covers; a host that had to be
 * spilled into the trie counts here). A source whose /16 counts 0 in one of them cannot match that
 * map, so the program skips it: an inlined array read instead of a hash lookup or an LPM walk.
 * The library keeps the counts (raised before a rule is added, lowered after it is deleted, so a
 * crash in between leaves a count too high, never too low) and rebuilds them from the
 * lists when the config does not yet carry XT_CFG_INDEXED. */
struct xt_ip_rule {
	__u64 hits;
};

/* One way of a host table. Bucket b of a table is slots [b * XT_HOST_TABLE_WAYS, + WAYS); an
 * address's bucket is xt_host_bucket(). A slot whose address is all zero is free, so the address ::
 * is never stored in a table (the library puts it in the hash). The library writes a slot whole
 * while the program may read it: a reader can see a half-written address for an instant, which can
 * only match a source equal to that mix of old and new words. `hits` as in xt_ip_rule. */
struct xt_host_slot {
	struct xt_addr addr;
	__u64 hits;
};

XT_ABI_INLINE __u32 xt_host_bucket(const struct xt_addr *a)
{
	return xt_addr_slot(a) & (XT_HOST_TABLE_BUCKETS - 1);
}

/* ---- ban box ---------------------------------------------------------------------------------- */

/* Who wrote a ban: the operator (the CLI), or the controller (automatic bans, `autoban`). */
enum xt_ban_origin {
	XT_BAN_BY_OPERATOR = 0,
	XT_BAN_BY_CONTROLLER = 1,
};

/* A banned source is dropped while now < deadline_ns. Times are CLOCK_MONOTONIC nanoseconds (what
 * bpf_ktime_get_ns() returns), or the injected test clock (xt_config.clock_override_ns). */
struct xt_ban {
	__u64 deadline_ns;
	__u64 created_ns;
	__u64 hits; /* atomic add, like xt_ip_rule.hits */
	__u32 origin; /* enum xt_ban_origin */
	__u32 pad;
	char reason[XT_BAN_REASON_LEN]; /* NUL-terminated unless exactly full */
};

/*
 * XT_MAP_BAN_FILTER is a counting filter in front of the ban box: slot xt_addr_slot(a) counts the
 * bans whose address hashes there. A source whose slot counts 0 is not banned, so the program skips
 * the hash lookup (a real call) on the pass path of nearly every source. The library
 * raises a slot before it inserts a ban and lowers it after it deletes one; the program lowers it
 * (atomically) when it reaps an expired ban. The library's read-modify-write can overwrite a
 * concurrent decrement by the program, which leaves a count too high, never too low: a wasted
 * lookup, never a missed ban. Honoured only with XT_CFG_INDEXED; bans must be written through the
 * library (add_bans), like rules.
 */

/* ---- token buckets ---------------------------------------------------------------------------- */

/*
 * Buckets are kept as GCRA (generic cell rate algorithm) state: one 64-bit "theoretical arrival time".
 * It is the exact equivalent of a token bucket with continuous refill that starts full:
 *   interval  = every / rate      (time that earns one token)
 *   tolerance = (burst - 1) * interval
 *   admit iff max(tat, now) - now <= tolerance; then tat = max(tat, now) + interval.
 * In any window of length t at most burst + rate * t / every packets are admitted. A tat at or
 * before now (0 included) is a full bucket; a new entry starts from its slot's debt floor (below),
 * which is such a tat unless a bucket of that slot was deep in debt lately. The update is a
 * compare-and-swap, so CPUs never admit more than that bound together (see bpf/stage_ratelimit.h
 * for the retry rule).
 */
struct xt_gcra {
	__u64 tat_ns;
};

/* Both token buckets of one source in XT_MAP_SPIKE, so one lookup serves spike arrest and the
 * per-source SYN limit when both are keyed by the address (the default). When spike arrest is keyed
 * per prefix, the XT_MAP_SPIKE key is the prefix, `syn` is unused and the SYN buckets live in
 * XT_MAP_SYN keyed by address. A new entry starts from the two debt floors of its key's slot
 * (below). Also the value of XT_MAP_FLOORS: the spike and the SYN floor of one slot. */
struct xt_source_buckets {
	struct xt_gcra spike;
	struct xt_gcra syn;
};

/* A rate as the operator gave it plus the derived GCRA parameters (userspace derives them:
 * userspace/common/rate.hpp). rate == 0 means the stage is off. */
struct xt_rate {
	__u64 rate;         /* tokens per every_ns */
	__u64 every_ns;
	__u64 burst;        /* bucket capacity, >= 1 */
	__u64 interval_ns;  /* every_ns / rate, >= 1 */
	__u64 tolerance_ns; /* (burst - 1) * interval_ns */
};

/*
 * Debt floors: what a bucket evicted from its LRU comes back with (XT_MAP_FLOORS).
 *
 * The per-source buckets live in LRU hashes (XT_MAP_SPIKE, XT_MAP_SYN) that a flood of spoofed
 * sources cycles in a fraction of a second. A source being limited stays in its map (each of its
 * packets is a lookup), but one that pauses can be evicted, and a bucket created again used to
 * start full: a burst again, whatever the source had spent.
 *
 * XT_MAP_FLOORS holds, for each slot xt_addr_slot(key) of a bucket's key, the highest tat that a
 * take left in a bucket of that slot while the bucket was a debtor (xt_gcra_debtor: more than half
 * its burst and more than one token spent), in the field of the bucket's kind (`spike` or `syn` of
 * struct xt_source_buckets: a floor is only read by buckets of its own kind, so with the rate that
 * wrote it). A bucket that is not in its map starts from its slot's floor: with the floor's debt
 * when the floor is ahead of now, full as before when it is not. Only admitted takes that leave a
 * debtor write (a compare-and-swap that only raises the floor); everything else, the pass path of
 * every source under half its burst and every one-packet spoofed source included, never writes.
 *
 * Bound. A source coming back after its bucket was evicted gets at most what the bucket would
 * have held had it stayed, plus max(1, ceil((burst - 1) / 2)) packets: if its last admitted take
 * left it a debtor, the floor holds that take's tat and it gets nothing more; otherwise it was at
 * most max(tolerance / 2, interval) in debt (the debtor threshold), which is what the floor may
 * forget. A source being limited (deep in debt at its last admitted packet) therefore resumes with
 * exactly what it refilled. Each eviction of an undemanding source can repeat that extra, and
 * evicting one bucket takes about a map's worth of new sources (XT_SPIKE_MAX, XT_SYN_MAX): in a
 * window t a source gets at most burst + rate * t + E * max(1, ceil((burst - 1) / 2)) with E the
 * evictions of its bucket in t (before the floors: E * burst).
 *
 * Collateral. The floors are shared by slot: a new source whose slot holds a floor ahead of now
 * starts with that debt instead of a full bucket. A debtor's tat is at most burst * interval
 * ahead of its last admitted packet, so the new source gets at worst an empty bucket refilling at
 * its rate, and only for up to burst / rate after the debtor's last admitted packet; the chance
 * for a given new source is about (sources limited within the last burst / rate) / XT_FLOOR_SLOTS.
 * New sources that start in such a slot share its refill (their takes raise the same floor). The
 * hash is not keyed: an attacker who limits a source aimed at a victim's slot can make the
 * victim's bucket start empty each time it is (re)created; the victim keeps its rate, never more
 * than its burst is lost. Floors are CLOCK_MONOTONIC times, like tat: they age out by themselves.
 */
XT_ABI_INLINE int xt_gcra_debtor(__u64 tat_ns, __u64 now_ns, const struct xt_rate *r)
{
	__u64 half = r->tolerance_ns / 2;
	__u64 threshold = half > r->interval_ns ? half : r->interval_ns;

	return tat_ns > now_ns && tat_ns - now_ns > threshold;
}

/* ---- configuration ---------------------------------------------------------------------------- */

enum xt_config_flags {
	XT_CFG_POLICY_ALLOW = 1u << 0, /* only sources in an allow list pass (default: deny policy) */
	XT_CFG_TRACK_TOP = 1u << 1,    /* record per-source drop tallies in XT_MAP_TOP_DROPS     */
	XT_CFG_SPIKE_PER_PREFIX = 1u << 2, /* spike arrest keyed per prefix, not per address      */
	/* `present`, the deny covers and XT_MAP_BAN_FILTER are kept up to date by the library
	 * (it sets this flag on every config write, under the pin-directory lock), so the program
	 * skips the lookups they rule out. A config written by other means (bpftool) lacks it: every
	 * rule map and the ban box are looked up. */
	XT_CFG_INDEXED = 1u << 3,
	/* Opt-in: read CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns, cheaper on every packet that
	 * reads the clock: docs/PERFORMANCE.md) instead of CLOCK_MONOTONIC. The coarse clock lags the
	 * real one by less than one tick (1/HZ, 4 ms at HZ=250), so a token bucket may admit up to
	 * rate * tick more than burst + rate * t in a window t, and a ban may last up to one tick
	 * longer. Off by default: buckets are exact. */
	XT_CFG_COARSE_CLOCK = 1u << 4,
	/* Gateway mode: the program is attached to client_ifindex (A) and server_ifindex (B) and
	 * bridges them (see "gateway mode" below). Clear: host mode, XDP_PASS after the stages. */
	XT_CFG_GATEWAY = 1u << 8,
};

/* Bits of xt_config.present: which rule maps hold at least one entry (valid with XT_CFG_INDEXED). */
enum xt_present_bits {
	XT_HAS_DENY_HOSTS = 1u << 0,   /* XT_MAP_DENY_HOST_TABLE  */
	XT_HAS_DENY_V4 = 1u << 1,
	XT_HAS_DENY_V6 = 1u << 2,
	XT_HAS_ALLOW_HOSTS = 1u << 3,  /* XT_MAP_ALLOW_HOST_TABLE */
	XT_HAS_ALLOW_V4 = 1u << 4,
	XT_HAS_ALLOW_V6 = 1u << 5,
	XT_HAS_DENY_HOSTS_HASH = 1u << 6,  /* XT_MAP_DENY_HOSTS  */
	XT_HAS_ALLOW_HOSTS_HASH = 1u << 7, /* XT_MAP_ALLOW_HOSTS */
	XT_HAS_ALL = 0xff,
};

/*
 * The runtime settings, one element of an ARRAY map, written whole by userspace. The kernel copies a
 * value in on update without a lock, so a packet racing an update may see a mix of old and new
 * fields for that one packet; every field is valid on its own, so the worst case is one packet
 * judged by half-old settings.
 */
struct xt_config {
	__u32 flags; /* enum xt_config_flags */
	__u8 spike_prefix_v4; /* prefix length used when XT_CFG_SPIKE_PER_PREFIX, default 24 */
	__u8 spike_prefix_v6; /* default 64 */
	__u16 present; /* enum xt_present_bits, maintained by the library (see XT_CFG_INDEXED) */
	/* Test hook: when non-zero the program uses this instead of bpf_ktime_get_ns(), so token bucket
	 * and ban tests are exact. Never set in production (the CLI refuses to). */
	__u64 clock_override_ns;
	struct xt_rate spike;      /* per-source packets */
	struct xt_rate syn;        /* per-source TCP SYN (without ACK) */
	struct xt_rate syn_global; /* all TCP SYNs together */
	/* Gateway mode (XT_CFG_GATEWAY), carved out of what was `__u64 reserved[8]` (size kept). */
	__u32 client_ifindex;      /* A, the client side; 0 = host mode (no peer)               */
	__u32 server_ifindex;      /* B, the server side                                         */
	__u16 http_ports[XT_MAX_HTTP_PORTS]; /* host byte order, 0 = unused; the loader's default {80} */
	__u64 reserved[5];
};

/* ---- counters --------------------------------------------------------------------------------- */

enum xt_verdict {
	XT_PASS = 0,
	XT_DROP_MALFORMED,
	XT_DROP_IP_DENY,
	XT_DROP_NOT_ALLOWED,
	XT_DROP_BANNED,
	XT_DROP_SPIKE,
	XT_DROP_SYN_SOURCE,
	XT_DROP_SYN_GLOBAL,
	XT_VERDICT_COUNT,
};

struct xt_counter {
	__u64 packets;
	__u64 bytes;
};

/* Per-CPU counters with named fields (bpftool prints them). The counter of verdict v is
 * (&stats->passed)[v]: the members after `seen` are in enum xt_verdict order. */
struct xt_stats {
	struct xt_counter seen;
	struct xt_counter passed;
	struct xt_counter malformed;
	struct xt_counter ip_deny;
	struct xt_counter not_allowed;
	struct xt_counter banned;
	struct xt_counter spike;
	struct xt_counter syn_source;
	struct xt_counter syn_global;
	/* Not verdicts (after the verdict counters, so their offsets stay): what gateway mode did with
	 * a frame that passed. redirected: bridged to the other port through XT_MAP_PORTS;
	 * to_controller: steered into an AF_XDP socket. Both ports of a bridge share these counters. */
	struct xt_counter redirected;
	struct xt_counter to_controller;
};

/* Per-CPU drop tally of one source (XT_MAP_TOP_DROPS, an LRU: the quietest sources are evicted). */
struct xt_drop_tally {
	__u64 packets;
	__u64 bytes;
	__u32 last_verdict; /* enum xt_verdict */
	__u32 last_jiffies; /* low 32 bits of jiffies at the last drop: which CPU's verdict is latest */
};

/*
 * The per-CPU tally of the source this CPU dropped last (XT_MAP_TOP_PENDING). A flood comes in runs
 * of packets from one source; counting a run here costs an inlined array lookup, while a lookup in
 * the LRU per-CPU hash is a real call. The pending tally is added into XT_MAP_TOP_DROPS when this
 * CPU drops a packet from another source. Readers add both (read_top_drops): every drop is in
 * exactly one of them, so the sum is exact at any quiet instant.
 */
struct xt_drop_pending {
	struct xt_addr source;
	struct xt_drop_tally tally; /* packets == 0: nothing pending */
};

/* ---- gateway mode ----------------------------------------------------------------------------- */

/*
 * One program object attached to both ports of a transparent bridge; its maps are pinned under A's
 * pin directory, and A's xt_config records both ifindexes (B has no pin directory of its own).
 *
 * On A (ingress ifindex == client_ifindex): parse -> the L3/L4 stages as in host mode -> a TCP
 * segment to an HTTP port (first or unfragmented) that is not a pure ACK (it has payload, or SYN,
 * FIN or RST), whose flow is not in XT_MAP_BYPASS, while the heartbeat is fresh, goes to the
 * AF_XDP socket of its RX queue (XT_MAP_XSK_CLIENT); when no socket is there, or for anything else,
 * the frame is bridged unchanged to B (XT_MAP_PORTS, keyed by the ingress ifindex).
 * On B (ingress ifindex == server_ifindex): no stage runs; a TCP segment from an HTTP port with
 * payload, FIN or RST, not bypassed, heartbeat fresh -> XT_MAP_XSK_SERVER; everything else is
 * bridged to A. Malformed frames are dropped on A (as in host mode) and bridged from B.
 * When XT_MAP_PORTS has no entry for the ingress port, frames go to the local stack (XDP_PASS).
 *
 * Fail-open: with no controller (last_ns == 0) or a stale heartbeat everything is bridged in the
 * kernel; the L3/L4 stages keep enforcing on A.
 */

/* The controller's liveness: fresh iff last_ns != 0 and |now - last_ns| <= timeout_ns. A beat
 * "from the future" happens: with XT_CFG_COARSE_CLOCK the program's clock lags CLOCK_MONOTONIC by
 * up to a tick; it counts as fresh like a beat that old would (xt_heartbeat_fresh). */
struct xt_heartbeat {
	__u64 last_ns;    /* CLOCK_MONOTONIC ns of the daemon's last beat, 0 = no controller */
	__u64 timeout_ns; /* steering stops when now - last_ns > timeout_ns (default 1 s) */
	__u32 pid;        /* the daemon's, for operators */
	__u32 pad;
};

XT_ABI_INLINE int xt_heartbeat_fresh(const struct xt_heartbeat *beat, __u64 now_ns)
{
	__u64 age = now_ns >= beat->last_ns ? now_ns - beat->last_ns : beat->last_ns - now_ns;

	return beat->last_ns != 0 && age <= beat->timeout_ns;
}

/* A TCP connection as seen from the bridge, the same key for both directions: `client` is the
 * address on A's side (IPv4-mapped like xt_addr elsewhere), ports in network byte order. */
struct xt_flow_key {
	struct xt_addr client;
	struct xt_addr server;
	__be16 client_port;
	__be16 server_port;
	__u32 pad; /* 0 */
};

/* What an XT_MAP_BYPASS entry lets the kernel bridge without the controller. */
enum xt_bypass_kind {
	/* The whole flow, both directions: a connection the controller no longer inspects (a tunnel
	 * after the backend's 101 or 2xx to CONNECT, or one it gave up on). */
	XT_BYPASS_FLOW = 1,
	/* One response body of known length: only server -> client segments whose payload lies
	 * entirely in [body_start, body_end - 1) are bridged. Everything else still goes to the
	 * controller: client segments (requests stay fully inspected), segments with SYN, FIN or RST,
	 * anything outside the range, and the segment carrying the body's last byte (body_end - 1), so
	 * the controller sees every response end (to answer a deferred rejection, to count responses)
	 * and parses the next head itself. */
	XT_BYPASS_RESPONSE_BODY = 2,
	/* Any other value (0 included) bridges nothing: the controller sees the flow. */
};

/*
 * The value of XT_MAP_BYPASS. Sequence numbers are the server's (host byte order) and compared as
 * RFC 1982 serial numbers (signed 32-bit differences: xt_seq_within), so a range must stay well
 * under 2^31 bytes; the controller caps it and installs the next part of a longer body when one
 * ends. The controller writes entries whole (last_ns = when it wrote it); the program then stores
 * its clock in last_ns each time it bridges a segment because of the entry, so the controller ages
 * entries out by idle time, never cutting a long-lived tunnel or a slow download that still moves.
 * The program deletes an entry when a client SYN opens a new connection on the same 4-tuple.
 */
struct xt_bypass {
	__u64 last_ns;    /* CLOCK_MONOTONIC ns (the program's clock, coarse if configured) */
	__u32 kind;       /* enum xt_bypass_kind */
	__u32 body_start; /* XT_BYPASS_RESPONSE_BODY: server seq of the first body byte bridged */
	__u32 body_end;   /* XT_BYPASS_RESPONSE_BODY: server seq just after the body's last byte */
	__u32 pad;        /* 0 */
};

/* Whether the server bytes [seq, seq + len) lie inside a response-body entry's bridged range
 * [body_start, body_end - 1): serial-number arithmetic, so it holds across a wrap of the sequence
 * space. A segment that carries byte body_end - 1 (the body's last) is outside on purpose. */
XT_ABI_INLINE int xt_seq_within(const struct xt_bypass *skip, __u32 seq, __u32 len)
{
	return (__s32)(seq - skip->body_start) >= 0 &&
	       (__s32)((skip->body_end - 1) - (seq + len)) >= 0;
}

#endif /* XDP_THROTTLE_ABI_H */
