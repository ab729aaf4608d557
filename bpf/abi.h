/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * abi.h - the one header shared by the XDP program and the C++ controller/CLI.
 *
 * Everything that crosses the kernel/user boundary is declared here exactly once: map names, map
 * value/key layouts, verdicts, configuration flags and limits. Only fixed-width kernel types
 * (__u32, __be32, ...) and explicit padding are used, so the layout is the same for clang -target bpf
 * and for g++ on x86_64; userspace static_asserts the sizes (userspace/src/maps/abi_check.cpp).
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
#define XT_MAP_DENY_V4 xt_deny_v4     /* LPM_TRIE xt_lpm_v4 -> xt_ip_rule                      */
#define XT_MAP_DENY_V6 xt_deny_v6     /* LPM_TRIE xt_lpm_v6 -> xt_ip_rule                      */
#define XT_MAP_ALLOW_V4 xt_allow_v4   /* LPM_TRIE xt_lpm_v4 -> xt_ip_rule                      */
#define XT_MAP_ALLOW_V6 xt_allow_v6   /* LPM_TRIE xt_lpm_v6 -> xt_ip_rule                      */
#define XT_MAP_BANS xt_bans           /* HASH xt_addr -> xt_ban                                */
#define XT_MAP_SPIKE xt_spike         /* LRU_HASH xt_addr (masked) -> xt_gcra                  */
#define XT_MAP_SYN xt_syn             /* LRU_HASH xt_addr -> xt_gcra                           */
#define XT_MAP_SYN_GLOBAL xt_syn_glob /* ARRAY[1] of struct xt_gcra                            */
#define XT_MAP_TOP_DROPS xt_top_drops /* LRU_PERCPU_HASH xt_addr -> xt_drop_tally              */

#define XT_STR_(x) #x
#define XT_NAME(x) XT_STR_(x)

/* ---- sizes ------------------------------------------------------------------------------------ */

#define XT_DENY_V4_MAX 1048576
#define XT_DENY_V6_MAX 262144
#define XT_ALLOW_V4_MAX 65536
#define XT_ALLOW_V6_MAX 65536
#define XT_BANS_MAX 65536
#define XT_SPIKE_MAX 262144
#define XT_SYN_MAX 131072
#define XT_TOP_DROPS_MAX 4096
#define XT_BAN_REASON_LEN 32

/* ---- addresses -------------------------------------------------------------------------------- */

/* One key type for every per-source hash map. IPv4 addresses are stored IPv4-mapped
 * (::ffff:a.b.c.d), so one map and one code path serve both families. Network byte order. */
struct xt_addr {
	__be32 w[4];
};

struct xt_lpm_v4 {
	__u32 prefixlen; /* LPM_TRIE keys start with the prefix length in bits */
	__be32 addr;
};

struct xt_lpm_v6 {
	__u32 prefixlen;
	__be32 addr[4];
};

/* Value of every allow/deny rule. `hits` is bumped with an atomic add by every CPU that matches the
 * rule (the trie cannot be per-CPU); exact, at the cost of a shared cache line on the hit path. */
struct xt_ip_rule {
	__u64 hits;
};

/* ---- ban box ---------------------------------------------------------------------------------- */

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

/* ---- token buckets ---------------------------------------------------------------------------- */

/*
 * Buckets are kept as GCRA (generic cell rate algorithm) state: one 64-bit "theoretical arrival time".
 * It is the exact equivalent of a token bucket with continuous refill that starts full:
 *   interval  = every / rate      (time that earns one token)
 *   tolerance = (burst - 1) * interval
 *   admit iff max(tat, now) - now <= tolerance; then tat = max(tat, now) + interval.
 * In any window of length t at most burst + rate * t / every packets are admitted. A new entry
 * (tat = 0) is a full bucket. The update is a compare-and-swap, so CPUs never admit more than that
 * bound together (see bpf/stage_ratelimit.h for the retry rule).
 */
struct xt_gcra {
	__u64 tat_ns;
};

/* A rate as the operator gave it plus the derived GCRA parameters (userspace derives them:
 * userspace/include/xdp_throttle/rate.hpp). rate == 0 means the stage is off. */
struct xt_rate {
	__u64 rate;         /* tokens per every_ns */
	__u64 every_ns;
	__u64 burst;        /* bucket capacity, >= 1 */
	__u64 interval_ns;  /* every_ns / rate, >= 1 */
	__u64 tolerance_ns; /* (burst - 1) * interval_ns */
};

/* ---- configuration ---------------------------------------------------------------------------- */

enum xt_config_flags {
	XT_CFG_POLICY_ALLOW = 1u << 0, /* only sources in an allow list pass (default: deny policy) */
	XT_CFG_TRACK_TOP = 1u << 1,    /* record per-source drop tallies in XT_MAP_TOP_DROPS     */
	XT_CFG_SPIKE_PER_PREFIX = 1u << 2, /* spike arrest keyed per prefix, not per address      */
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
	__u16 pad0;
	/* Test hook: when non-zero the program uses this instead of bpf_ktime_get_ns(), so token bucket
	 * and ban tests are exact. Never set in production (the CLI refuses to). */
	__u64 clock_override_ns;
	struct xt_rate spike;      /* per-source packets */
	struct xt_rate syn;        /* per-source TCP SYN (without ACK) */
	struct xt_rate syn_global; /* all TCP SYNs together */
	__u64 reserved[8];         /* gateway mode (controller heartbeat, HTTP ports) */
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
};

/* Per-CPU drop tally of one source (XT_MAP_TOP_DROPS, an LRU: the quietest sources are evicted). */
struct xt_drop_tally {
	__u64 packets;
	__u64 bytes;
	__u32 last_verdict; /* enum xt_verdict */
	__u32 pad;
};

#endif /* XDP_THROTTLE_ABI_H */
