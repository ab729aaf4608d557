/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stage_steer.h - gateway mode: where a frame goes once it may pass (abi.h, "gateway mode").
 *
 *   HTTP segment the controller must see, controller alive, flow not bypassed
 *        -> the AF_XDP socket of the RX queue (XT_MAP_XSK_CLIENT on A, XT_MAP_XSK_SERVER on B)
 *   anything else, or no socket on that queue
 *        -> the other port, frame unchanged (XT_MAP_PORTS, a DEVMAP_HASH keyed by ingress ifindex)
 *
 * The checks run cheapest first: flags and ports of headers already parsed, the heartbeat (an
 * inlined array read plus the lazily read clock), and only then the bypass table (a hash lookup,
 * a real call). Everything here runs only with XT_CFG_GATEWAY set: host mode pays one flag test.
 *
 * The bypass table (abi.h, struct xt_bypass) holds two kinds of entries. XT_BYPASS_FLOW: the whole
 * flow is bridged (a tunnel the backend accepted, or a flow the controller gave up on).
 * XT_BYPASS_RESPONSE_BODY: the controller has read a response head with a Content-Length, and the
 * server's segments lying inside that body are bridged, so a download costs what the kernel bridge
 * costs; requests, SYN/FIN/RST and the segment with the body's last byte still go to the
 * controller, which then parses the next response head itself. Each segment bridged because of an
 * entry stores the packet's clock in its last_ns (the clock is already read for the heartbeat):
 * the controller expires entries by idle time, so a busy tunnel or a slow download keeps its entry.
 *
 * gateway_pass() is a global (non-inlined) function on purpose: the verifier checks it once, with
 * its arguments unknown. Inlined, its tests on header offsets and on the port side made those
 * values precise, and every distinct header layout then walked the whole pipeline again (8x the
 * verified instructions). Host mode never makes the call.
 *
 * Fail-open: a stale or absent heartbeat, or a queue without a socket, bridges the frame in the
 * kernel, so traffic never depends on the controller being alive.
 */
#ifndef XT_STAGE_STEER_H
#define XT_STAGE_STEER_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "abi.h"
#include "clock.h"
#include "counters.h"
#include "maps.h"
#include "parse.h"

/* Header offsets are re-bounded before use so the verifier sees a small range (frames are far
 * shorter than this; a bad offset only fails the bounds check). */
#define XT_HEADER_OFF_MASK 0x3fff

enum xt_port_side {
	XT_SIDE_HOST = 0,   /* host mode: passing frames go to the local stack */
	XT_SIDE_CLIENT = 1, /* gateway port A: requests arrive here, the stages run */
	XT_SIDE_SERVER = 2, /* gateway port B: responses arrive here, nothing is judged */
};

/* Which port of the bridge a frame came in on. An interface that is neither (the program attached
 * there by other means) is handled as in host mode. */
static __always_inline enum xt_port_side gateway_side(const struct xdp_md *ctx,
						      const struct xt_config *cfg)
{
	__u32 ingress = ctx->ingress_ifindex;

	if (ingress == cfg->client_ifindex)
		return XT_SIDE_CLIENT;
	if (ingress == cfg->server_ifindex)
		return XT_SIDE_SERVER;
	return XT_SIDE_HOST;
}

static __always_inline int is_http_port(const struct xt_config *cfg, __be16 port_be)
{
	__u16 port = bpf_ntohs(port_be);

	if (!port)
		return 0; /* 0 marks unused slots */
#pragma unroll
	for (int i = 0; i < XT_MAX_HTTP_PORTS; i++)
		if (cfg->http_ports[i] == port)
			return 1;
	return 0;
}

/* The destination address of the packet as an xt_addr (IPv4-mapped like the source). */
static __always_inline int packet_destination(const struct xt_pkt *pkt, void *data,
					      void *data_end, struct xt_addr *dst)
{
	void *l3 = data + (pkt->l3_off & XT_HEADER_OFF_MASK);

	if (pkt->is_v6) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		__builtin_memcpy(dst, &ip6->daddr, sizeof(*dst));
	} else {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end)
			return -1;
		dst->w[0] = 0;
		dst->w[1] = 0;
		dst->w[2] = bpf_htonl(0xffff);
		dst->w[3] = ip->daddr;
	}
	return 0;
}

/* Whether the bypass entry `entry` lets the kernel bridge this segment without the controller.
 * `flags` the TCP flags; a whole-flow entry bridges everything, a response-body entry only
 * server payload strictly before the body's last byte (abi.h, enum xt_bypass_kind). */
static __always_inline int bypass_bridges(const struct xt_bypass *entry, const struct xt_pkt *pkt,
					  const struct tcphdr *tcp, __u8 flags,
					  enum xt_port_side side)
{
	if (entry->kind == XT_BYPASS_FLOW)
		return 1;
	if (entry->kind != XT_BYPASS_RESPONSE_BODY || side != XT_SIDE_SERVER)
		return 0;
	if (flags & (XT_TCP_FLAG_SYN | XT_TCP_FLAG_FIN | XT_TCP_FLAG_RST))
		return 0;
	return xt_seq_within(entry, bpf_ntohl(tcp->seq), pkt->tcp_payload);
}

/* Whether the controller must see this segment: an HTTP segment that is not a pure ACK (A: payload,
 * SYN, FIN or RST; B: payload, FIN or RST), with a fresh heartbeat, that no bypass entry lets the
 * kernel bridge (bypass_bridges). */
static __always_inline int wants_controller(const struct xt_pkt *pkt, const struct xt_config *cfg,
					    struct xt_clock *clk, enum xt_port_side side,
					    void *data, void *data_end)
{
	struct tcphdr *tcp = data + (pkt->tcp_off & XT_HEADER_OFF_MASK);
	struct xt_heartbeat *beat;
	struct xt_bypass *entry;
	struct xt_flow_key flow = {};
	struct xt_addr dst;
	__u32 zero = 0;
	__u8 flags;
	int syn;

	if (!pkt->tcp_off || (void *)(tcp + 1) > data_end)
		return 0;
	flags = ((__u8 *)tcp)[13];
	if (side == XT_SIDE_CLIENT) {
		if (!is_http_port(cfg, tcp->dest))
			return 0;
		if (!pkt->tcp_payload &&
		    !(flags & (XT_TCP_FLAG_SYN | XT_TCP_FLAG_FIN | XT_TCP_FLAG_RST)))
			return 0;
	} else {
		if (!is_http_port(cfg, tcp->source))
			return 0;
		if (!pkt->tcp_payload && !(flags & (XT_TCP_FLAG_FIN | XT_TCP_FLAG_RST)))
			return 0;
	}

	if (packet_destination(pkt, data, data_end, &dst))
		return 0;
	if (side == XT_SIDE_CLIENT) {
		flow.client = pkt->src;
		flow.server = dst;
		flow.client_port = tcp->source;
		flow.server_port = tcp->dest;
	} else {
		flow.client = dst;
		flow.server = pkt->src;
		flow.client_port = tcp->dest;
		flow.server_port = tcp->source;
	}
	/* A client SYN (no ACK) opens a new connection: a bypass entry for the same 4-tuple belongs
	 * to an earlier one (the program never sees a bypassed connection end), so it is dropped and the
	 * new connection is inspected. Also while the controller is away: whole-flow entries live up to
	 * an hour of idle time, and a connection opened during an outage must not inherit one when the
	 * controller is back. SYNs are rare enough for the delete (a real call) not to matter. */
	syn = side == XT_SIDE_CLIENT && (flags & (XT_TCP_FLAG_SYN | XT_TCP_FLAG_ACK)) == XT_TCP_FLAG_SYN;
	if (syn)
		bpf_map_delete_elem(&XT_MAP_BYPASS, &flow);

	beat = bpf_map_lookup_elem(&XT_MAP_HEARTBEAT, &zero);
	/* No controller (last_ns == 0) is known without reading the clock (a helper call, clock.h). */
	if (!beat || !beat->last_ns || !xt_heartbeat_fresh(beat, clock_now(clk)))
		return 0;
	if (syn)
		return 1;
	entry = bpf_map_lookup_elem(&XT_MAP_BYPASS, &flow);
	if (!entry || !bypass_bridges(entry, pkt, tcp, flags, side))
		return 1;
	/* A plain store, no atomics: every CPU writes about the same instant, and a store lost to a
	 * concurrent update by the controller only makes the entry look idle a little earlier. */
	entry->last_ns = clock_now(clk);
	return 0;
}

/* The end of a passing frame's path in gateway mode: to the controller or across the bridge.
 * `pkt` as parse_packet() left it; `stats` and `cfg` the caller's map values (passed in rather than
 * looked up again: the verifier checks a global function's pointer arguments as sized memory);
 * `now` the packet's clock if a stage read it already (else 0). */
__noinline int gateway_pass(struct xdp_md *ctx, const struct xt_pkt *pkt, struct xt_stats *stats,
			    const struct xt_config *cfg, __u64 now)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	enum xt_port_side side;
	struct xt_clock clock;
	int action;

	if (!stats || !cfg || !pkt)
		return XDP_PASS; /* cannot happen: the caller's map values and stack; the verifier asks */
	side = gateway_side(ctx, cfg);
	if (side == XT_SIDE_HOST)
		return XDP_PASS;
	clock_init(&clock, cfg);
	clock.now = now;
	if (wants_controller(pkt, cfg, &clock, side, data, data_end)) {
		action = side == XT_SIDE_CLIENT
			? bpf_redirect_map(&XT_MAP_XSK_CLIENT, ctx->rx_queue_index, XDP_PASS)
			: bpf_redirect_map(&XT_MAP_XSK_SERVER, ctx->rx_queue_index, XDP_PASS);
		if (action == XDP_REDIRECT) {
			counter_add(&stats->to_controller, len);
			return action;
		}
		/* No socket on this queue (the controller is starting or gone): bridge it. */
	}
	/* The other port, frame unchanged. No entry for this port (the loader fills both): the
	 * local stack gets the frame, as in host mode, rather than losing it. */
	action = bpf_redirect_map(&XT_MAP_PORTS, ctx->ingress_ifindex, XDP_PASS);
	if (action == XDP_REDIRECT)
		counter_add(&stats->redirected, len);
	return action;
}

#endif /* XT_STAGE_STEER_H */
