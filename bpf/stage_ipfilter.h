/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stage_ipfilter.h - IP allow/deny lists (LPM tries, one per family and list).
 *
 * The deny list is checked first, so a source in both lists is denied. Under the allow policy
 * (XT_CFG_POLICY_ALLOW) a source must also match an allow rule. A matching rule's `hits` is bumped
 * with an atomic add: the trie cannot be per-CPU, and operators want exact per-rule counts.
 */
#ifndef XT_STAGE_IPFILTER_H
#define XT_STAGE_IPFILTER_H

#include "maps.h"
#include "parse.h"

/* Looks the source up in one trie; counts and reports a match. */
static __always_inline int ipfilter_match(void *trie, const void *key)
{
	struct xt_ip_rule *rule = bpf_map_lookup_elem(trie, key);

	if (!rule)
		return 0;
	__sync_fetch_and_add(&rule->hits, 1);
	return 1;
}

static __always_inline enum xt_verdict stage_ipfilter(const struct xt_pkt *pkt,
						      const struct xt_config *cfg)
{
	int allow_policy = cfg->flags & XT_CFG_POLICY_ALLOW;

	if (pkt->is_v6) {
		struct xt_lpm_v6 key = { .prefixlen = 128 };

		__builtin_memcpy(key.addr, pkt->src.w, sizeof(key.addr));
		if (ipfilter_match(&XT_MAP_DENY_V6, &key))
			return XT_DROP_IP_DENY;
		if (allow_policy && !ipfilter_match(&XT_MAP_ALLOW_V6, &key))
			return XT_DROP_NOT_ALLOWED;
	} else {
		struct xt_lpm_v4 key = { .prefixlen = 32, .addr = pkt->src.w[3] };

		if (ipfilter_match(&XT_MAP_DENY_V4, &key))
			return XT_DROP_IP_DENY;
		if (allow_policy && !ipfilter_match(&XT_MAP_ALLOW_V4, &key))
			return XT_DROP_NOT_ALLOWED;
	}
	return XT_PASS;
}

#endif /* XT_STAGE_IPFILTER_H */
