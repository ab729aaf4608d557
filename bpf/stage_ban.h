/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stage_ban.h - the ban box: source address -> deadline. Bans come from the operator (the CLI);
 * the controller writes none yet (its origin, XT_BAN_BY_CONTROLLER in abi.h, is reserved).
 *
 * A banned source is dropped while now < deadline. The first packet after the deadline deletes the
 * entry ("reaped"), so expired bans do not fill the map even when nobody runs the CLI. The clock is
 * read only when an entry exists, and the hash is looked up only when the counting filter
 * (XT_MAP_BAN_FILTER, abi.h) says a ban may exist: the common case costs one inlined array read.
 *
 * Race, accepted: if userspace re-bans a source between our lookup of its expired entry and our
 * delete, the fresh ban is deleted too and the source passes until banned again. The window is a
 * few instructions wide and only opens for a source whose previous ban has just expired.
 */
#ifndef XT_STAGE_BAN_H
#define XT_STAGE_BAN_H

#include "clock.h"
#include "maps.h"
#include "parse.h"

static __always_inline enum xt_verdict stage_ban(const struct xt_pkt *pkt,
						 const struct xt_config *cfg, struct xt_clock *clk)
{
	__u32 *filter = 0;
	struct xt_ban *ban;

	if (cfg->flags & XT_CFG_INDEXED) {
		__u32 slot = xt_addr_slot(&pkt->src);

		filter = bpf_map_lookup_elem(&XT_MAP_BAN_FILTER, &slot);
		if (filter && *filter == 0)
			return XT_PASS; /* no ban hashes to this slot (abi.h) */
	}
	ban = bpf_map_lookup_elem(&XT_MAP_BANS, &pkt->src);
	if (!ban)
		return XT_PASS;
	if (clock_now(clk) < ban->deadline_ns) {
		__sync_fetch_and_add(&ban->hits, 1);
		return XT_DROP_BANNED;
	}
	/* Only the CPU whose delete removed the entry lowers the count. Without the index the count
	 * is left as is: too high, the safe side. */
	if (bpf_map_delete_elem(&XT_MAP_BANS, &pkt->src) == 0 && filter)
		__sync_fetch_and_sub(filter, 1);
	return XT_PASS;
}

#endif /* XT_STAGE_BAN_H */
