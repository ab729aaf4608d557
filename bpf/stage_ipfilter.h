/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stage_ipfilter.h - IP allow/deny lists: exact hosts in host tables (their overflow in hashes),
 * prefixes in LPM tries (abi.h).
 *
 * The deny list is checked first, so a source in both lists is denied. Under the allow policy
 * (XT_CFG_POLICY_ALLOW) a source must also match an allow rule. A matching rule's `hits` is bumped
 * with an atomic add: the maps cannot be per-CPU, and operators want exact per-rule counts.
 *
 * Order and skips, cheapest first: a source matches a list iff it is in its host table, its host
 * hash or its trie; the table costs a few inlined array reads, the hash a chain of real calls, the
 * trie a walk dearer still (docs/PERFORMANCE.md). With XT_CFG_INDEXED the library tells which maps
 * are empty (xt_config.present) and, for IPv4, which /16s hold no deny host and which no deny
 * prefix (the deny covers); the pass path of a source outside every deny /16 then costs two
 * inlined array reads. Skipping a lookup that can only miss changes no verdict and no counter.
 */
#ifndef XT_STAGE_IPFILTER_H
#define XT_STAGE_IPFILTER_H

#include "maps.h"
#include "parse.h"

/* Looks the source up in one map; counts and reports a match. */
static __always_inline int ipfilter_match(void *map, const void *key)
{
	struct xt_ip_rule *rule = bpf_map_lookup_elem(map, key);

	if (!rule)
		return 0;
	__sync_fetch_and_add(&rule->hits, 1);
	return 1;
}

static __always_inline int addr_is_zero(const struct xt_addr *a)
{
	return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

/* Looks the source up in one host table (abi.h, struct xt_host_slot): the ways of its bucket, each
 * an inlined array read. The address :: is never in a table (free slots are all zero). */
static __always_inline int host_table_match(void *table, const struct xt_addr *src)
{
	__u32 first = xt_host_bucket(src) * XT_HOST_TABLE_WAYS;

	if (addr_is_zero(src))
		return 0;
#pragma unroll
	for (__u32 way = 0; way < XT_HOST_TABLE_WAYS; way++) {
		__u32 index = first + way;
		struct xt_host_slot *slot = bpf_map_lookup_elem(table, &index);

		if (slot && slot->addr.w[3] == src->w[3] && slot->addr.w[2] == src->w[2] &&
		    slot->addr.w[1] == src->w[1] && slot->addr.w[0] == src->w[0]) {
			__sync_fetch_and_add(&slot->hits, 1);
			return 1;
		}
	}
	return 0;
}

/* A host rule of one list: its table, then (if any host overflowed) its hash. */
static __always_inline int host_match(void *table, void *hash, __u32 maps, __u32 table_bit,
				      __u32 hash_bit, const struct xt_addr *src)
{
	if ((maps & table_bit) && host_table_match(table, src))
		return 1;
	return (maps & hash_bit) && ipfilter_match(hash, src);
}

/* IPv4, or an IPv6 packet from an IPv4-mapped address (::ffff:a.b.c.d): the same source to every
 * per-source map (abi.h), so the IPv4 rules judge it too, hosts and prefixes alike. */
static __always_inline int src_is_v4(const struct xt_pkt *pkt)
{
	return !pkt->is_v6 || (pkt->src.w[0] == 0 && pkt->src.w[1] == 0 &&
			       pkt->src.w[2] == bpf_htonl(0xffff));
}

/* The maps worth looking up for this packet (enum xt_present_bits). */
static __always_inline __u32 ipfilter_candidates(const struct xt_pkt *pkt, int v4,
						 const struct xt_config *cfg)
{
	__u32 present;

	if (!(cfg->flags & XT_CFG_INDEXED))
		return XT_HAS_ALL; /* config not written by the library: trust nothing, look up all */
	present = cfg->present;
	if (v4) {
		__u32 slot = bpf_ntohl(pkt->src.w[3]) >> 16;
		__u32 *count;

		if (present & (XT_HAS_DENY_HOSTS | XT_HAS_DENY_HOSTS_HASH)) {
			count = bpf_map_lookup_elem(&XT_MAP_DENY4_HOSTS_COVER, &slot);
			if (count && *count == 0)
				present &= ~(__u32)(XT_HAS_DENY_HOSTS | XT_HAS_DENY_HOSTS_HASH);
		}
		if (present & XT_HAS_DENY_V4) {
			count = bpf_map_lookup_elem(&XT_MAP_DENY4_PREFIX_COVER, &slot);
			if (count && *count == 0)
				present &= ~(__u32)XT_HAS_DENY_V4;
		}
	}
	return present;
}

static __always_inline enum xt_verdict stage_ipfilter(const struct xt_pkt *pkt,
						      const struct xt_config *cfg)
{
	int v4 = src_is_v4(pkt);
	__u32 maps = ipfilter_candidates(pkt, v4, cfg);

	if (host_match(&XT_MAP_DENY_HOST_TABLE, &XT_MAP_DENY_HOSTS, maps, XT_HAS_DENY_HOSTS,
		       XT_HAS_DENY_HOSTS_HASH, &pkt->src))
		return XT_DROP_IP_DENY;
	if (!v4) {
		struct xt_lpm_v6 key = { .prefixlen = 128 };

		__builtin_memcpy(key.addr, pkt->src.w, sizeof(key.addr));
		if ((maps & XT_HAS_DENY_V6) && ipfilter_match(&XT_MAP_DENY_V6, &key))
			return XT_DROP_IP_DENY;
		if (!(cfg->flags & XT_CFG_POLICY_ALLOW))
			return XT_PASS;
		if (host_match(&XT_MAP_ALLOW_HOST_TABLE, &XT_MAP_ALLOW_HOSTS, maps,
			       XT_HAS_ALLOW_HOSTS, XT_HAS_ALLOW_HOSTS_HASH, &pkt->src))
			return XT_PASS;
		if ((maps & XT_HAS_ALLOW_V6) && ipfilter_match(&XT_MAP_ALLOW_V6, &key))
			return XT_PASS;
		return XT_DROP_NOT_ALLOWED;
	}

	struct xt_lpm_v4 key = { .prefixlen = 32, .addr = pkt->src.w[3] };

	if ((maps & XT_HAS_DENY_V4) && ipfilter_match(&XT_MAP_DENY_V4, &key))
		return XT_DROP_IP_DENY;
	if (!(cfg->flags & XT_CFG_POLICY_ALLOW))
		return XT_PASS;
	if (host_match(&XT_MAP_ALLOW_HOST_TABLE, &XT_MAP_ALLOW_HOSTS, maps, XT_HAS_ALLOW_HOSTS,
		       XT_HAS_ALLOW_HOSTS_HASH, &pkt->src))
		return XT_PASS;
	if ((maps & XT_HAS_ALLOW_V4) && ipfilter_match(&XT_MAP_ALLOW_V4, &key))
		return XT_PASS;
	return XT_DROP_NOT_ALLOWED;
}

#endif /* XT_STAGE_IPFILTER_H */
