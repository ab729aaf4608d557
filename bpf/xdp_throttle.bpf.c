/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xdp_throttle.bpf.c - the data plane: one XDP program, staged. A packet's path reads top to bottom
 * in xdp_throttle() below:
 *
 *   parse -> IP allow/deny -> ban box -> per-source spike arrest and SYN limit -> global SYN
 *   limit -> XDP_PASS (host mode) or steer (gateway mode: the controller's AF_XDP socket or the
 *   other port of the bridge)
 *
 * The first stage that says "drop" decides; each drop has its own counter (struct xt_stats). Stages
 * live in one header each (stage_*.h); maps in maps.h; the shared ABI in abi.h. In gateway mode
 * (abi.h) the same program runs on both ports: frames from the server side (B) skip the stages.
 *
 * Cost discipline (the pass path is benchmarked against a bare XDP_DROP): the config and the stats
 * are looked up once per packet; the clock is read at most once and only by a stage that needs it
 * (clock.h); no helper is called that the packet's verdict does not need.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

#include "abi.h"
#include "clock.h"
#include "counters.h"
#include "maps.h"
#include "parse.h"
#include "stage_ban.h"
#include "stage_ipfilter.h"
#include "stage_spike.h"
#include "stage_steer.h"
#include "stage_syn.h"

/* libxdp run configuration: where libxdp's dispatcher can be used (kernels that allow freplace), we
 * run before default-priority programs and the next program runs only after our XDP_PASS. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_throttle);

/* Counts the verdict and turns it into an XDP action: a passing frame goes to the local stack in
 * host mode, to the controller or across the bridge in gateway mode (stage_steer.h). */
static __always_inline int conclude(struct xdp_md *ctx, struct xt_stats *stats,
				    const struct xt_config *cfg, const struct xt_pkt *pkt,
				    const struct xt_clock *clk, enum xt_verdict v, __u64 len)
{
	counter_add(verdict_counter(stats, v), len);
	if (v == XT_PASS)
		return (cfg->flags & XT_CFG_GATEWAY) ? gateway_pass(ctx, pkt, stats, cfg, clk->now) : XDP_PASS;
	if (v != XT_DROP_MALFORMED && (cfg->flags & XT_CFG_TRACK_TOP))
		tally_drop(&pkt->src, v, len);
	return XDP_DROP;
}

SEC("xdp")
int xdp_throttle(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	__u32 zero = 0;
	struct xt_stats *stats = bpf_map_lookup_elem(&XT_MAP_STATS, &zero);
	const struct xt_config *cfg = bpf_map_lookup_elem(&XT_MAP_CONFIG, &zero);
	struct xt_clock clock;
	struct xt_pkt pkt = {};
	enum xt_pkt_kind kind;
	enum xt_verdict v;

	if (!stats || !cfg)
		return XDP_PASS; /* cannot happen: both are ARRAY maps with index 0 */
	counter_add(&stats->seen, len);

	/* 1. Parse. Malformed frames are dropped; non-IP (ARP, ...) and neighbour discovery pass
	 *    before any rule can touch them: losing them breaks the host's L2/L3 reachability.
	 *    Gateway mode, server side (B): no stage judges the backend's frames, malformed or not;
	 *    HTTP responses may go to the controller, everything else back across the bridge. */
	kind = parse_packet(data, data_end, &pkt);
	clock_init(&clock, cfg);
	if ((cfg->flags & XT_CFG_GATEWAY) && ctx->ingress_ifindex == cfg->server_ifindex)
		return conclude(ctx, stats, cfg, &pkt, &clock, XT_PASS, len);
	switch (kind) {
	case XT_PKT_MALFORMED:
		return conclude(ctx, stats, cfg, &pkt, &clock, XT_DROP_MALFORMED, len);
	case XT_PKT_NOT_IP:
	case XT_PKT_NDP:
		return conclude(ctx, stats, cfg, &pkt, &clock, XT_PASS, len);
	case XT_PKT_IP:
		break;
	}

	/* 2. IP filter: deny list, then (allow policy only) allow list. */
	v = stage_ipfilter(&pkt, cfg);
	/* 3. Ban box: sources banned until a deadline; expired entries are reaped here. */
	if (v == XT_PASS)
		v = stage_ban(&pkt, cfg, &clock);
	/* 4. Per-source buckets: spike arrest (packets per source or per prefix, every packet incl.
	 *    fragments), then the per-source SYN limit (TCP SYN without ACK, never a non-first
	 *    fragment); one map lookup serves both when both are keyed by address. */
	if (v == XT_PASS)
		v = stage_source_limits(&pkt, cfg, &clock);
	/* 5. Global SYN limit: all SYNs together, against floods of spoofed ever-new sources. */
	if (v == XT_PASS && pkt_is_syn(&pkt))
		v = stage_syn_global(cfg, &clock);

	/* 6. Pass: the local stack (host mode); gateway mode steers HTTP segments to the controller
	 *    while its heartbeat is fresh and bridges everything else to B (stage_steer.h). */
	return conclude(ctx, stats, cfg, &pkt, &clock, v, len);
}

char LICENSE[] SEC("license") = "GPL";
