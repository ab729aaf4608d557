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
 * XT_MAP_SPIKE when both are keyed by address, see struct xt_source_buckets). The bound holds for
 * as long as a source's bucket stays in its map; only a flood of more distinct sources than the map
 * holds (XT_SPIKE_MAX, XT_SYN_MAX) can evict a busy bucket, which then restarts from its slot's debt
 * floor (abi.h, "debt floors", which states the bound across evictions: a source that was being
 * limited resumes with what it refilled; one under half its burst may gain up to half a burst per
 * eviction). A floor is only ever raised, by one compare-and-swap per debtor take: a writer that
 * loses it to another CPU (the same source on two CPUs, or a colliding debtor, within nanoseconds)
 * leaves the winner's value, lower than its own by the tokens taken in that instant, until the
 * source's next debtor take writes again. An eviction in that instant may hand those few tokens
 * back. The global SYN bucket (an ARRAY) is never evicted, which is why it exists.
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

/* The GCRA rule (abi.h) on one bucket state: the tat after admitting a packet at `now`, or 0 when
 * the bucket is empty (an admitted packet leaves tat >= now + interval, never 0). */
static __always_inline __u64 gcra_next(__u64 tat, const struct xt_rate *rate, __u64 now)
{
	__u64 start = tat > now ? tat : now;

	if (start - now > rate->tolerance_ns)
		return 0; /* bucket empty: next token at tat - tolerance */
	return start + rate->interval_ns;
}

/* One token from an existing bucket. Returns the bucket's new tat if admitted, 0 if not. */
static __always_inline __u64 gcra_take(struct xt_gcra *bucket, const struct xt_rate *rate, __u64 now)
{
	for (int i = 0; i < XT_GCRA_CAS_TRIES; i++) {
		/* READ_ONCE: exactly one load, whose value both decides and is the CAS's expected
		 * value. With a plain read the compiler may load again for the CAS; that CAS would
		 * then succeed on a tat the decision was not made on, and admit past the bound. */
		__u64 tat = *(volatile __u64 *)&bucket->tat_ns;
		__u64 next = gcra_next(tat, rate, now);

		if (!next)
			return 0;
		if (__sync_val_compare_and_swap(&bucket->tat_ns, tat, next) == tat)
			return next;
	}
	return 0; /* contention: see the error bound above */
}

/* ---- debt floors (abi.h) ---- */

enum xt_bucket_kind {
	XT_BUCKET_SPIKE,
	XT_BUCKET_SYN,
};

/* The floors of key's slot in `floors` (XT_MAP_FLOORS): an inlined ARRAY read. NULL cannot happen
 * (xt_addr_slot is below XT_FLOOR_SLOTS); callers treat it as "no floor", a full bucket. */
static __always_inline struct xt_source_buckets *floors_of(void *floors, const struct xt_addr *key)
{
	__u32 slot = xt_addr_slot(key);

	return bpf_map_lookup_elem(floors, &slot);
}

static __always_inline struct xt_gcra *floor_field(struct xt_source_buckets *f, enum xt_bucket_kind kind)
{
	return kind == XT_BUCKET_SYN ? &f->syn : &f->spike;
}

/* The tat a new bucket of this kind starts from: its floor, read once (a floor at or before now is
 * a full bucket, as a new bucket always was). */
static __always_inline __u64 floor_read(struct xt_source_buckets *f, enum xt_bucket_kind kind)
{
	return f ? *(volatile __u64 *)&floor_field(f, kind)->tat_ns : 0;
}

/* Raises `kind`'s floor in `*f` to `tat` when `tat` left a debtor (xt_gcra_debtor), looking the
 * slot up first if the caller has not (*f == NULL): a source under half its burst, the common pass
 * path, pays one comparison, no hash and no floor read. One compare-and-swap that only raises: a
 * CPU that loses it leaves the value of the CPU that won (the eviction note at the top). */
static __always_inline void floor_note(struct xt_source_buckets **f, void *floors,
				       const struct xt_addr *key, enum xt_bucket_kind kind,
				       __u64 tat, const struct xt_rate *rate, __u64 now)
{
	struct xt_gcra *floor;
	__u64 seen;

	if (!tat || !xt_gcra_debtor(tat, now, rate))
		return;
	if (!*f)
		*f = floors_of(floors, key);
	if (!*f)
		return;
	floor = floor_field(*f, kind);
	seen = *(volatile __u64 *)&floor->tat_ns;
	if (seen < tat)
		__sync_val_compare_and_swap(&floor->tat_ns, seen, tat);
}

/* One token from the bucket of `key` in the LRU hash `buckets` (single struct xt_gcra values, of
 * bucket kind `kind`). A key not in the map gets a new bucket that starts from its debt floor and
 * is inserted already charged for this packet when admitted (uncharged when not: it keeps the
 * floor's debt). If another CPU inserted the same key first (EEXIST), its bucket is used through
 * the CAS path. Returns 1 if admitted. */
static __always_inline int gcra_take_keyed(void *buckets, void *floors, enum xt_bucket_kind kind,
					   const struct xt_addr *key, const struct xt_rate *rate,
					   __u64 now)
{
	struct xt_gcra *bucket = bpf_map_lookup_elem(buckets, key);
	struct xt_source_buckets *f = 0;
	__u64 tat;

	if (!bucket) {
		struct xt_gcra fresh;
		long err;

		f = floors_of(floors, key);
		fresh.tat_ns = floor_read(f, kind);
		tat = gcra_next(fresh.tat_ns, rate, now);
		if (tat)
			fresh.tat_ns = tat;
		err = bpf_map_update_elem(buckets, key, &fresh, BPF_NOEXIST);
		/* Inserted, or untrackable right now (no memory): judged by the floor alone. */
		if (err != -EEXIST)
			goto note;
		bucket = bpf_map_lookup_elem(buckets, key);
		if (!bucket)
			return 0; /* inserted and evicted again within nanoseconds: a flood of keys */
	}
	tat = gcra_take(bucket, rate, now);
note:
	floor_note(&f, floors, key, kind, tat, rate, now);
	return tat != 0;
}

/* Which buckets of a source's XT_MAP_SPIKE entry (struct xt_source_buckets) a packet takes a token
 * from; a NULL rate means "not this one" (stage off, or not a SYN). */
struct xt_bucket_demand {
	const struct xt_rate *spike;
	const struct xt_rate *syn;
};

/* One token from each demanded bucket of `key`'s entry, spike first: one lookup for both buckets.
 * A new entry starts from both floors of key's slot, the bucket not demanded too (a SYN-limited
 * source must not get its SYN burst back by coming back with an ACK first), and is inserted
 * already charged for this packet in every demanded bucket that admitted it. Same EEXIST and
 * no-memory rules as gcra_take_keyed. A spike token taken before the SYN bucket refuses the packet
 * stays taken, as when the stages had separate maps. */
static __always_inline enum xt_verdict source_buckets_take(void *buckets, void *floors,
							   const struct xt_addr *key,
							   const struct xt_bucket_demand *d,
							   __u64 now)
{
	struct xt_source_buckets *b = bpf_map_lookup_elem(buckets, key);
	struct xt_source_buckets *f = 0;
	enum xt_verdict v = XT_PASS;
	__u64 spike_tat = 0, syn_tat = 0;

	if (!b) {
		struct xt_source_buckets fresh;
		long err;

		f = floors_of(floors, key);
		fresh.spike.tat_ns = floor_read(f, XT_BUCKET_SPIKE);
		fresh.syn.tat_ns = floor_read(f, XT_BUCKET_SYN);
		if (d->spike) {
			spike_tat = gcra_next(fresh.spike.tat_ns, d->spike, now);
			if (spike_tat)
				fresh.spike.tat_ns = spike_tat;
			else
				v = XT_DROP_SPIKE;
		}
		if (v == XT_PASS && d->syn) {
			syn_tat = gcra_next(fresh.syn.tat_ns, d->syn, now);
			if (syn_tat)
				fresh.syn.tat_ns = syn_tat;
			else
				v = XT_DROP_SYN_SOURCE;
		}
		err = bpf_map_update_elem(buckets, key, &fresh, BPF_NOEXIST);
		/* Inserted, or untrackable right now (no memory): judged by the floors alone. */
		if (err != -EEXIST)
			goto note;
		b = bpf_map_lookup_elem(buckets, key);
		if (!b) /* inserted and evicted again within nanoseconds: a flood of keys */
			return d->spike ? XT_DROP_SPIKE : XT_DROP_SYN_SOURCE;
		spike_tat = syn_tat = 0;
		v = XT_PASS;
	}
	if (d->spike) {
		spike_tat = gcra_take(&b->spike, d->spike, now);
		if (!spike_tat)
			return XT_DROP_SPIKE;
	}
	if (d->syn) {
		syn_tat = gcra_take(&b->syn, d->syn, now);
		if (!syn_tat)
			v = XT_DROP_SYN_SOURCE;
	}
note:
	if (d->spike)
		floor_note(&f, floors, key, XT_BUCKET_SPIKE, spike_tat, d->spike, now);
	if (d->syn)
		floor_note(&f, floors, key, XT_BUCKET_SYN, syn_tat, d->syn, now);
	return v;
}

#endif /* XT_STAGE_RATELIMIT_H */
