/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stage_spike.h - spike arrest: a token bucket of packets per source address or per prefix.
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

static __always_inline enum xt_verdict stage_spike(const struct xt_pkt *pkt,
						   const struct xt_config *cfg, struct xt_clock *clk)
{
	struct xt_addr key;

	if (!cfg->spike.rate)
		return XT_PASS;
	key = pkt->src;
	if (cfg->flags & XT_CFG_SPIKE_PER_PREFIX)
		addr_mask(&key, spike_prefix(pkt, cfg));
	return gcra_take_keyed(&XT_MAP_SPIKE, &key, &cfg->spike, clock_now(clk)) ? XT_PASS
										   : XT_DROP_SPIKE;
}

#endif /* XT_STAGE_SPIKE_H */
