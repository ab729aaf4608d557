/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stage_ratelimit.h - token buckets as GCRA state updated with compare-and-swap.
 *
 * A bucket is one 64-bit theoretical arrival time (tat); see struct xt_gcra in abi.h. A packet at
 * `now` is admitted iff max(tat, now) - now <= tolerance, and then tat becomes max(tat, now) +
 * interval. That is a token bucket of capacity burst with continuous refill that starts full: in any
 * window of length t at most burst + rate * t / every packets are admitted.
 *
 * Error bound across CPUs: the admit decision and the tat update are one compare-and-swap on the
 * same 64-bit word, so every admitted packet advanced tat by exactly one interval from the value the
 * decision was made on. Concurrent CPUs are serialised by the CAS: together they never admit more
 * than burst + rate * t (the same bound as one CPU; over-admission is impossible). A CPU whose CAS
 * loses re-reads tat and decides again, at most XT_GCRA_CAS_TRIES times; if it keeps losing it drops
 * the packet. So the only error is under-admission, and only under extreme contention on one bucket
 * (more than XT_GCRA_CAS_TRIES other CPUs updating the same source within a few nanoseconds).
 *
 * Eviction: per-source buckets live in LRU maps (both buckets of a source in one entry of
 * XT_MAP_SPIKE when both are keyed by address, see struct xt_source_buckets). The bound holds for as long as a source's bucket
 * stays in its map; only a flood of more distinct sources than the map holds (XT_SPIKE_MAX,
 * XT_SYN_MAX) can evict a busy bucket, which then restarts full: at most one extra burst per
 * eviction. The global SYN bucket (an ARRAY) is never evicted, which is why it exists.
 *
 * Clock reads: each packet is judged at the instant its CPU read the clock (CLOCK_MONOTONIC, the same
 * on every CPU). A CPU that read the clock, then lost time before its CAS, judges a packet as of that
 * older instant; t in the bound is measured between clock reads, so the error is at most
 * rate * (read-to-CAS delay), a small fraction of one token.
 */
#ifndef XT_STAGE_RATELIMIT_H
#define XT_STAGE_RATELIMIT_H

#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"

#define XT_GCRA_CAS_TRIES 3

/* One token from an existing bucket. Returns 1 if admitted. */
static __always_inline int gcra_take(struct xt_gcra *bucket, const struct xt_rate *rate, __u64 now)
{
	__u64 interval = rate->interval_ns;
	__u64 tolerance = rate->tolerance_ns;

	for (int i = 0; i < XT_GCRA_CAS_TRIES; i++) {
		/* READ_ONCE: exactly one load, whose value both decides and is the CAS's expected
		 * value. With a plain read the compiler may load again for the CAS; that CAS would
		 * then succeed on a tat the decision was not made on, and admit past the bound. */
		__u64 tat = *(volatile __u64 *)&bucket->tat_ns;
		__u64 start = tat > now ? tat : now;

		if (start - now > tolerance)
			return 0; /* bucket empty: next token at tat - tolerance */
		if (__sync_val_compare_and_swap(&bucket->tat_ns, tat, start + interval) == tat)
			return 1;
	}
	return 0; /* contention: see the error bound above */
}

/* One token from the bucket of `key` in the LRU hash `buckets`, creating a full bucket for a new key.
 * A new bucket is inserted already charged for this packet (tat = now + interval). If another CPU
 * inserted the same key first (EEXIST), its bucket is used through the CAS path. */
static __always_inline int gcra_take_keyed(void *buckets, const struct xt_addr *key,
					   const struct xt_rate *rate, __u64 now)
{
	struct xt_gcra *bucket = bpf_map_lookup_elem(buckets, key);

	if (!bucket) {
		struct xt_gcra fresh = { .tat_ns = now + rate->interval_ns };
		long err = bpf_map_update_elem(buckets, key, &fresh, BPF_NOEXIST);

		if (err == 0)
			return 1;
		if (err != -EEXIST)
			return 1; /* cannot track this source right now (no memory): fail open */
		bucket = bpf_map_lookup_elem(buckets, key);
		if (!bucket)
			return 0; /* inserted and evicted again within nanoseconds: a flood of keys */
	}
	return gcra_take(bucket, rate, now);
}

/* Which buckets of a source's XT_MAP_SPIKE entry (struct xt_source_buckets) a packet takes a token
 * from; a NULL rate means "not this one" (stage off, or not a SYN). */
struct xt_bucket_demand {
	const struct xt_rate *spike;
	const struct xt_rate *syn;
};

/* One token from each demanded bucket of `key`'s entry, spike first: one lookup for both buckets.
 * A new entry is inserted already charged for this packet in every demanded bucket (both full
 * buckets admit it); the other bucket of a new entry starts full (tat = 0). Same EEXIST and
 * no-memory rules as gcra_take_keyed. A spike token taken before the SYN bucket refuses the packet
 * stays taken, as when the stages had separate maps. */
static __always_inline enum xt_verdict source_buckets_take(void *buckets, const struct xt_addr *key,
							   const struct xt_bucket_demand *d,
							   __u64 now)
{
	struct xt_source_buckets *b = bpf_map_lookup_elem(buckets, key);

	if (!b) {
		struct xt_source_buckets fresh = {};
		long err;

		if (d->spike)
			fresh.spike.tat_ns = now + d->spike->interval_ns;
		if (d->syn)
			fresh.syn.tat_ns = now + d->syn->interval_ns;
		err = bpf_map_update_elem(buckets, key, &fresh, BPF_NOEXIST);
		if (err == 0 || err != -EEXIST)
			return XT_PASS; /* admitted by full buckets, or untrackable now: fail open */
		b = bpf_map_lookup_elem(buckets, key);
		if (!b) /* inserted and evicted again within nanoseconds: a flood of keys */
			return d->spike ? XT_DROP_SPIKE : XT_DROP_SYN_SOURCE;
	}
	if (d->spike && !gcra_take(&b->spike, d->spike, now))
		return XT_DROP_SPIKE;
	if (d->syn && !gcra_take(&b->syn, d->syn, now))
		return XT_DROP_SYN_SOURCE;
	return XT_PASS;
}

#endif /* XT_STAGE_RATELIMIT_H */
