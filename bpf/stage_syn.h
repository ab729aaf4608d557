/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stage_syn.h - the global SYN limit: one bucket for all TCP SYNs (without ACK).
 *
 * The per-source SYN bucket comes first (stage_spike.h, it shares the source's map entry with spike
 * arrest). The global bucket is what holds a flood of spoofed random sources: each of them is new
 * and finds a full per-source bucket, but they all share the global one. A SYN denied by its
 * source's bucket does not take a global token, so one noisy source cannot starve the others
 * through the global limit beyond its own rate.
 */
#ifndef XT_STAGE_SYN_H
#define XT_STAGE_SYN_H

#include "clock.h"
#include "maps.h"
#include "parse.h"
#include "stage_ratelimit.h"

static __always_inline enum xt_verdict stage_syn_global(const struct xt_config *cfg,
							struct xt_clock *clk)
{
	__u32 zero = 0;
	struct xt_gcra *global;

	if (!cfg->syn_global.rate)
		return XT_PASS;
	global = bpf_map_lookup_elem(&XT_MAP_SYN_GLOBAL, &zero);
	if (global && !gcra_take(global, &cfg->syn_global, clock_now(clk)))
		return XT_DROP_SYN_GLOBAL;
	return XT_PASS;
}

#endif /* XT_STAGE_SYN_H */
