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
 * address is whatever garbage the frame carried, if any.
 *
 * Two levels (abi.h, struct xt_drop_pending): this CPU's last dropped source is counted in a
 * PERCPU_ARRAY slot (an inlined lookup); only when the CPU drops a packet of another source is that
 * run added into the LRU per-CPU hash (real calls: a lookup, and an update for a new source). A
 * flood from one source costs the slot only; a flood of ever-new sources costs what a direct LRU
 * update would, plus the slot. */
static __always_inline int addr_equal(const struct xt_addr *a, const struct xt_addr *b)
{
	return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) |
		(a->w[3] ^ b->w[3])) == 0;
}

/* Adds a finished run into the LRU. If the insert fails (the LRU has no free node), the run is lost
 * like any evicted tally: `top` lists the busiest recent sources, it is not a complete ledger. */
static __always_inline void tally_flush(const struct xt_drop_pending *p)
{
	struct xt_drop_tally *tally = bpf_map_lookup_elem(&XT_MAP_TOP_DROPS, &p->source);

	if (tally) {
		tally->packets += p->tally.packets;
		tally->bytes += p->tally.bytes;
		tally->last_verdict = p->tally.last_verdict;
		tally->last_jiffies = p->tally.last_jiffies;
		return;
	}
	/* From a program, a per-CPU update sets this CPU's slot and zeroes the others. */
	bpf_map_update_elem(&XT_MAP_TOP_DROPS, &p->source, &p->tally, BPF_NOEXIST);
}

static __always_inline void tally_drop(const struct xt_addr *src, enum xt_verdict v, __u64 bytes)
{
	__u32 zero = 0;
	struct xt_drop_pending *p = bpf_map_lookup_elem(&XT_MAP_TOP_PENDING, &zero);
	/* bpf_jiffies64 is inlined by the verifier (a load, no call): good enough to tell which CPU
	 * dropped a source last when several did. */
	__u32 now_jiffies = (__u32)bpf_jiffies64();

	if (!p)
		return; /* cannot happen: PERCPU_ARRAY index 0 */
	if (p->tally.packets && addr_equal(&p->source, src)) {
		p->tally.packets++;
		p->tally.bytes += bytes;
		p->tally.last_verdict = v;
		p->tally.last_jiffies = now_jiffies;
		return;
	}
	if (p->tally.packets)
		tally_flush(p);
	p->source = *src;
	p->tally.packets = 1;
	p->tally.bytes = bytes;
	p->tally.last_verdict = v;
	p->tally.last_jiffies = now_jiffies;
}

#endif /* XT_COUNTERS_H */
