/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stage_spike.h - spike arrest: a token bucket of packets per source address or per prefix, and
 * (sharing its map entry) the per-source SYN bucket.
 */
#ifndef XT_STAGE_SPIKE_H
#define XT_STAGE_SPIKE_H

#include "clock.h"
#include "maps.h"
#include "parse.h"
#include "stage_ratelimit.h"

#define XT_SPIKE_DEFAULT_PREFIX_V4 24
#define XT_SPIKE_DEFAULT_PREFIX_V6 64

/* Keeps the first `prefix` bits of a 128-bit address (IPv4 is ::ffff:a.b.c.d, so an IPv4 /p is
 * an IPv6 /(96 + p) and keeps its ::ffff: marker). */
static __always_inline void addr_mask(struct xt_addr *addr, __u32 prefix)
{
#pragma unroll
	for (int i = 0; i < 4; i++) {
		__s32 bits = (__s32)prefix - 32 * i;

		if (bits >= 32)
			continue;
		addr->w[i] = bits <= 0 ? 0 : addr->w[i] & bpf_htonl(~0u << (32 - bits));
	}
}

/* Prefix lengths of the per-prefix mode; 0 (never set) means the documented default, because a /0
 * bucket would silently turn a per-source limit into one global limit. */
static __always_inline __u32 spike_prefix(const struct xt_pkt *pkt, const struct xt_config *cfg)
{
	__u32 p;

	if (pkt->is_v6) {
		p = cfg->spike_prefix_v6 ?: XT_SPIKE_DEFAULT_PREFIX_V6;
		return p > 128 ? 128 : p;
	}
	p = cfg->spike_prefix_v4 ?: XT_SPIKE_DEFAULT_PREFIX_V4;
	return 96 + (p > 32 ? 32 : p);
}

/*
 * Spike arrest and the per-source SYN limit, the two buckets of one source. By address (the
 * default) both share one XT_MAP_SPIKE entry, so a SYN pays one hash lookup for both. By prefix the
 * spike bucket is keyed by the masked address and the SYN bucket lives in XT_MAP_SYN by address:
 * two lookups. Switching the keying starts the SYN buckets from their floors once (the mode is
 * operator set). Every new bucket starts from its slot's debt floor (abi.h, "debt floors"), keyed
 * like the bucket: the spike floor by the masked prefix when spike arrest is per prefix.
 */
static __always_inline enum xt_verdict stage_source_limits(const struct xt_pkt *pkt,
							   const struct xt_config *cfg,
							   struct xt_clock *clk)
{
	struct xt_bucket_demand demand = {
		.spike = cfg->spike.rate ? &cfg->spike : 0,
		.syn = pkt_is_syn(pkt) && cfg->syn.rate ? &cfg->syn : 0,
	};
	struct xt_addr key;
	enum xt_verdict v;

	if (!demand.spike && !demand.syn)
		return XT_PASS;
	if (!(cfg->flags & XT_CFG_SPIKE_PER_PREFIX))
		return source_buckets_take(&XT_MAP_SPIKE, &XT_MAP_FLOORS, &pkt->src, &demand,
					   clock_now(clk));

	if (demand.spike) {
		struct xt_bucket_demand spike_only = { .spike = demand.spike };

		key = pkt->src;
		addr_mask(&key, spike_prefix(pkt, cfg));
		v = source_buckets_take(&XT_MAP_SPIKE, &XT_MAP_FLOORS, &key, &spike_only, clock_now(clk));
		if (v != XT_PASS)
			return v;
	}
	if (demand.syn && !gcra_take_keyed(&XT_MAP_SYN, &XT_MAP_FLOORS, XT_BUCKET_SYN, &pkt->src,
					   demand.syn, clock_now(clk)))
		return XT_DROP_SYN_SOURCE;
	return XT_PASS;
}

#endif /* XT_STAGE_SPIKE_H */
