/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * counters.h - per-CPU statistics and the per-source drop tally.
 *
 * Every packet bumps `seen` and exactly one verdict counter (packets and bytes, bytes = frame
 * length), so seen == passed + sum(drops) on every CPU. The counters are per-CPU plain adds: no
 * shared cache line on the fast path; readers sum over CPUs.
 */
#ifndef XT_COUNTERS_H
#define XT_COUNTERS_H

#include "maps.h"
#include "parse.h"

static __always_inline void counter_add(struct xt_counter *counter, __u64 bytes)
{
	counter->packets++;
	counter->bytes += bytes;
}

/* The counter of verdict v: the members after `seen` are in enum xt_verdict order (abi.h). */
static __always_inline struct xt_counter *verdict_counter(struct xt_stats *stats,
							  enum xt_verdict v)
{
	__u32 i = v;

	if (i >= XT_VERDICT_COUNT)
		i = XT_DROP_MALFORMED; /* unreachable; keeps the verifier's offset bounded */
	return &(&stats->passed)[i];
}

/* Per-source drop tally for `xdp-throttle top`. Malformed drops are not tallied: their source
 * address is whatever garbage the frame carried, if any. */
static __always_inline void tally_drop(const struct xt_addr *src, enum xt_verdict v, __u64 bytes)
{
	struct xt_drop_tally *tally = bpf_map_lookup_elem(&XT_MAP_TOP_DROPS, src);

	if (tally) {
		tally->packets++;
		tally->bytes += bytes;
		tally->last_verdict = v;
		return;
	}
	struct xt_drop_tally fresh = { .packets = 1, .bytes = bytes, .last_verdict = v };
	/* From a program, a per-CPU update sets this CPU's slot and zeroes the others. */
	bpf_map_update_elem(&XT_MAP_TOP_DROPS, src, &fresh, BPF_NOEXIST);
}

#endif /* XT_COUNTERS_H */
