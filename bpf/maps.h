/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * maps.h - every map of the XDP program, with BTF-typed keys and values so bpftool prints named
 * fields. Names and sizes come from abi.h. No `pinning` attribute: the loader chooses the pin
 * directory per interface (XT_PIN_ROOT/<ifname>/) and sets each map's pin path before loading.
 */
#ifndef XT_MAPS_H
#define XT_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xt_config);
} XT_MAP_CONFIG SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xt_stats);
} XT_MAP_STATS SEC(".maps");

/* Exact-host rules (/32, /128; abi.h): set-associative tables in ARRAYs, whose lookups the verifier
 * inlines (no call at all). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XT_HOST_TABLE_SLOTS);
	__type(key, __u32);
	__type(value, struct xt_host_slot);
} XT_MAP_DENY_HOST_TABLE SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XT_HOST_TABLE_SLOTS);
	__type(key, __u32);
	__type(value, struct xt_host_slot);
} XT_MAP_ALLOW_HOST_TABLE SEC(".maps");

/* Hosts whose table bucket is full. Hashes are looked up by a chain of real calls, still several
 * times cheaper than an LPM walk. Not preallocated: only userspace inserts (the program never
 * updates them), and preallocation would pin memory for entries that are rarely needed. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XT_DENY_HOSTS_MAX);
	__type(key, struct xt_addr);
	__type(value, struct xt_ip_rule);
} XT_MAP_DENY_HOSTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XT_ALLOW_HOSTS_MAX);
	__type(key, struct xt_addr);
	__type(value, struct xt_ip_rule);
} XT_MAP_ALLOW_HOSTS SEC(".maps");

/* Deny rules per IPv4 /16 (abi.h): ARRAY lookups are inlined by the verifier (no call). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XT_DENY_V4_COVER_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} XT_MAP_DENY4_HOSTS_COVER SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XT_DENY_V4_COVER_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} XT_MAP_DENY4_PREFIX_COVER SEC(".maps");

/* LPM tries must be created without preallocation. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XT_DENY_V4_MAX);
	__type(key, struct xt_lpm_v4);
	__type(value, struct xt_ip_rule);
} XT_MAP_DENY_V4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XT_DENY_V6_MAX);
	__type(key, struct xt_lpm_v6);
	__type(value, struct xt_ip_rule);
} XT_MAP_DENY_V6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XT_ALLOW_V4_MAX);
	__type(key, struct xt_lpm_v4);
	__type(value, struct xt_ip_rule);
} XT_MAP_ALLOW_V4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XT_ALLOW_V6_MAX);
	__type(key, struct xt_lpm_v6);
	__type(value, struct xt_ip_rule);
} XT_MAP_ALLOW_V6 SEC(".maps");

/* A plain hash, not an LRU: a ban must never be evicted by traffic. Preallocated, so the lookup on
 * every packet never touches the allocator. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XT_BANS_MAX);
	__type(key, struct xt_addr);
	__type(value, struct xt_ban);
} XT_MAP_BANS SEC(".maps");

/* Bans per address slot (abi.h, xt_addr_slot): an inlined ARRAY read spares the pass path the
 * hash lookup above for sources that are not banned. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XT_BAN_FILTER_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} XT_MAP_BAN_FILTER SEC(".maps");

/* Token buckets are LRU: a flood of new sources evicts the quietest buckets. An evicted bucket
 * comes back from its slot's debt floor (XT_MAP_FLOORS below), so a source that was being limited
 * resumes with what it refilled, not with a fresh burst (abi.h, "debt floors"). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XT_SPIKE_MAX);
	__type(key, struct xt_addr);
	__type(value, struct xt_source_buckets);
} XT_MAP_SPIKE SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XT_SYN_MAX);
	__type(key, struct xt_addr);
	__type(value, struct xt_gcra);
} XT_MAP_SYN SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xt_gcra);
} XT_MAP_SYN_GLOBAL SEC(".maps");

/* Debt floors (abi.h): an ARRAY, so nothing in it is ever evicted and its lookup is inlined (read
 * only when a bucket is created, written only by takes that leave a bucket deep in debt). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XT_FLOOR_SLOTS);
	__type(key, __u32);
	__type(value, struct xt_source_buckets);
} XT_MAP_FLOORS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, XT_TOP_DROPS_MAX);
	__type(key, struct xt_addr);
	__type(value, struct xt_drop_tally);
} XT_MAP_TOP_DROPS SEC(".maps");

/* This CPU's tally of its last dropped source (abi.h, struct xt_drop_pending): an inlined lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xt_drop_pending);
} XT_MAP_TOP_PENDING SEC(".maps");

/* ---- gateway mode (abi.h) ---- */

/* The bridge: each port's ifindex -> the other port. A DEVMAP_HASH, keyed by ifindex, so the
 * program redirects with the ingress ifindex as the key and no translation. (The kernel adds
 * BPF_F_RDONLY_PROG to it; the loader allows for that when it reuses the pin.) */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} XT_MAP_PORTS SEC(".maps");

/* The controller's AF_XDP sockets, one per RX queue of each port. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XT_XSK_QUEUES_MAX);
	__type(key, __u32);
	__type(value, __u32);
} XT_MAP_XSK_CLIENT SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XT_XSK_QUEUES_MAX);
	__type(key, __u32);
	__type(value, __u32);
} XT_MAP_XSK_SERVER SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xt_heartbeat);
} XT_MAP_HEARTBEAT SEC(".maps");

/* LRU: a controller that forgets to expire entries cannot fill it; an evicted flow is steered to
 * the controller again, which bypasses it again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XT_BYPASS_MAX);
	__type(key, struct xt_flow_key);
	__type(value, struct xt_bypass);
} XT_MAP_BYPASS SEC(".maps");

#endif /* XT_MAPS_H */
