/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stage_syn.h - SYN limit: a bucket per source, then one global bucket for all SYNs.
 *
 * The global bucket is what holds a flood of spoofed random sources: each of them is new and finds
 * a full per-source bucket, but they all share the global one. A SYN denied by its source's bucket
 * does not take a global token, so one noisy source cannot starve the others through the global
 * limit beyond its own rate.
 */
#ifndef XT_STAGE_SYN_H
#define XT_STAGE_SYN_H

#include "clock.h"
#include "maps.h"
#include "parse.h"
#include "stage_ratelimit.h"

static __always_inline enum xt_verdict stage_syn(const struct xt_pkt *pkt,
						 const struct xt_config *cfg, struct xt_clock *clk)
{
	if (cfg->syn.rate &&
	    !gcra_take_keyed(&XT_MAP_SYN, &pkt->src, &cfg->syn, clock_now(clk)))
		return XT_DROP_SYN_SOURCE;

	if (cfg->syn_global.rate) {
		__u32 zero = 0;
		struct xt_gcra *global = bpf_map_lookup_elem(&XT_MAP_SYN_GLOBAL, &zero);

		if (global && !gcra_take(global, &cfg->syn_global, clock_now(clk)))
			return XT_DROP_SYN_GLOBAL;
	}
	return XT_PASS;
}

#endif /* XT_STAGE_SYN_H */
