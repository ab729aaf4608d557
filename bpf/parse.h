/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * parse.h - cursor parsers for the XDP data plane.
 *
 * Each parser takes its header from a cursor that bounds-checks against the end of the frame before
 * it hands out a pointer, so no header is ever read past data_end. The result is a struct xt_pkt:
 * the source address (IPv4 stored IPv4-mapped, see abi.h), whether the packet is a first/unfragmented
 * TCP SYN, and what kind of packet it is. Inconsistent headers (bad IHL, lengths that claim more
 * than the frame holds, a TCP data offset below 5, too many IPv6 extension headers) are malformed:
 * a stack that would accept them is the attack surface, so they are dropped before any rule runs.
 */
#ifndef XT_PARSE_H
#define XT_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "abi.h"

/* ICMP header (linux/icmp.h drags in glibc's socket headers, which a BPF build cannot use). */
struct xt_icmp_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 rest;
};

/* 802.1Q / 802.1ad tag as it sits after the MAC addresses (linux/if_vlan.h is not UAPI). */
struct xt_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

#define XT_MAX_VLAN_TAGS 2
/* Extension headers skipped before the verdict "malformed". Real traffic carries one or two; the
 * bound keeps the verifier's walk finite and an attacker's header chain cheap. */
#define XT_MAX_IPV6_EXT_HEADERS 6

#define XT_IPV4_OFFSET_MASK 0x1fff  /* fragment offset bits of iphdr.frag_off (host order) */
#define XT_IPV6_OFFSET_MASK 0xfff8  /* fragment offset bits of frag_hdr.frag_off (host order) */

#define XT_TCP_FLAG_FIN 0x01
#define XT_TCP_FLAG_SYN 0x02
#define XT_TCP_FLAG_RST 0x04
#define XT_TCP_FLAG_ACK 0x10

/* IPv6 neighbour discovery: router solicitation/advertisement, neighbour solicitation/advertisement,
 * redirect (RFC 4861). */
#define XT_ICMPV6_NDP_FIRST 133
#define XT_ICMPV6_NDP_LAST 137
/* RFC 4861 7.1.1: genuine NDP is sent with hop limit 255 and receivers discard anything else, so
 * only hop-limit-255 NDP is exempt from the rules; a spoofed "NDP" from off-link gets no free pass. */
#define XT_NDP_HOP_LIMIT 255

enum xt_pkt_kind {
	XT_PKT_IP = 0,        /* IPv4/IPv6: run the stages                                  */
	XT_PKT_NOT_IP,        /* ARP and every other ethertype: passes untouched            */
	XT_PKT_NDP,           /* IPv6 neighbour discovery: never dropped by any rule        */
	XT_PKT_MALFORMED,     /* truncated or inconsistent headers                          */
};

struct xt_pkt {
	struct xt_addr src;   /* IPv4 as ::ffff:a.b.c.d, network byte order */
	__u8 is_v6;
	__u8 l4_proto;        /* IPPROTO_* of the transport (of the whole datagram for a fragment) */
	__u8 nonfirst_fragment; /* only the L3 stages apply: no L4 header is in this packet */
	__u8 tcp_syn;         /* TCP with SYN and without ACK, in a first or unfragmented packet */
	/* For gateway mode's steering (stage_steer.h): where the IPv4/IPv6 header and the TCP header
	 * of a first or unfragmented segment start (0: no such TCP header), as offsets from the frame
	 * start, and the TCP payload length. Offsets, not pointers: a packet pointer kept alive
	 * across the stages splits the verifier's states by header layout (VLAN tags, IP options)
	 * and multiplies the paths it walks. Readers bounds-check again against data_end. */
	__u16 l3_off;
	__u16 tcp_off;
	__u32 tcp_payload;
};

/* A connection attempt the SYN limits apply to: never a non-first fragment (no TCP header there). */
static __always_inline int pkt_is_syn(const struct xt_pkt *pkt)
{
	return pkt->tcp_syn && !pkt->nonfirst_fragment;
}

struct xt_cursor {
	void *pos;
	void *end;
	void *start; /* the frame's first byte: header offsets are relative to it */
};

/* Hands out `len` bytes at the cursor and advances past them, or NULL if the frame is shorter. */
static __always_inline void *cursor_take(struct xt_cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

#define cursor_take_hdr(c, type) ((type *)cursor_take((c), sizeof(type)))

/* ---- L2 ------------------------------------------------------------------------------------- */

static __always_inline int xt_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Ethernet plus up to two VLAN tags; stores the inner ethertype. Fails if truncated or tagged more
 * than twice (a third tag is nothing this host's stack handles: dropped as malformed). */
static __always_inline int parse_ethernet(struct xt_cursor *c, __be16 *proto_out)
{
	struct ethhdr *eth = cursor_take_hdr(c, struct ethhdr);
	__be16 proto;

	if (!eth)
		return -1;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < XT_MAX_VLAN_TAGS; i++) {
		struct xt_vlan_hdr *tag;

		if (!xt_is_vlan(proto))
			break;
		tag = cursor_take_hdr(c, struct xt_vlan_hdr);
		if (!tag)
			return -1;
		proto = tag->encap_proto;
	}
	if (xt_is_vlan(proto))
		return -1;
	*proto_out = proto;
	return 0;
}

/* ---- L4 ------------------------------------------------------------------------------------- */

/* `l3_left` is how many bytes the IP header says follow the network headers; every L4 header must
 * fit both in it and in the frame. */
static __always_inline enum xt_pkt_kind parse_l4(struct xt_cursor *c, __u32 l3_left,
						 struct xt_pkt *pkt, __u8 hop_limit)
{
	switch (pkt->l4_proto) {
	case IPPROTO_TCP: {
		struct tcphdr *tcp = cursor_take_hdr(c, struct tcphdr);
		__u32 hdr_len;
		__u8 flags;

		if (!tcp || l3_left < sizeof(*tcp))
			return XT_PKT_MALFORMED;
		hdr_len = tcp->doff * 4;
		if (hdr_len < sizeof(*tcp) || hdr_len > l3_left)
			return XT_PKT_MALFORMED;
		if (!cursor_take(c, hdr_len - sizeof(*tcp))) /* options */
			return XT_PKT_MALFORMED;
		flags = ((__u8 *)tcp)[13];
		pkt->tcp_syn = (flags & (XT_TCP_FLAG_SYN | XT_TCP_FLAG_ACK)) == XT_TCP_FLAG_SYN;
		pkt->tcp_off = (void *)tcp - c->start;
		pkt->tcp_payload = l3_left - hdr_len;
		return XT_PKT_IP;
	}
	case IPPROTO_UDP:
		if (!cursor_take_hdr(c, struct udphdr) || l3_left < sizeof(struct udphdr))
			return XT_PKT_MALFORMED;
		return XT_PKT_IP;
	case IPPROTO_ICMP:
		if (pkt->is_v6)
			return XT_PKT_IP; /* not ICMP in IPv6: an unknown protocol, L3 stages only */
		if (!cursor_take_hdr(c, struct xt_icmp_hdr) || l3_left < sizeof(struct xt_icmp_hdr))
			return XT_PKT_MALFORMED;
		return XT_PKT_IP;
	case IPPROTO_ICMPV6: {
		struct icmp6hdr *icmp6;

		if (!pkt->is_v6)
			return XT_PKT_IP; /* likewise in IPv4 */
		icmp6 = cursor_take_hdr(c, struct icmp6hdr);
		if (!icmp6 || l3_left < sizeof(*icmp6))
			return XT_PKT_MALFORMED;
		if (icmp6->icmp6_type >= XT_ICMPV6_NDP_FIRST &&
		    icmp6->icmp6_type <= XT_ICMPV6_NDP_LAST && hop_limit == XT_NDP_HOP_LIMIT)
			return XT_PKT_NDP;
		return XT_PKT_IP;
	}
	default:
		/* Other protocols (GRE, SCTP, ESP, ...) are judged by the L3 stages only. */
		return XT_PKT_IP;
	}
}

/* ---- L3 ------------------------------------------------------------------------------------- */

static __always_inline enum xt_pkt_kind parse_ipv4(struct xt_cursor *c, struct xt_pkt *pkt)
{
	struct iphdr *ip = cursor_take_hdr(c, struct iphdr);
	__u32 hdr_len, total_len;

	if (!ip || ip->version != 4 || ip->ihl < 5)
		return XT_PKT_MALFORMED;
	hdr_len = ip->ihl * 4;
	total_len = bpf_ntohs(ip->tot_len);
	/* The frame may carry Ethernet padding after the datagram, never less than the datagram. */
	if (total_len < hdr_len || (void *)ip + total_len > c->end)
		return XT_PKT_MALFORMED;
	if (!cursor_take(c, hdr_len - sizeof(*ip))) /* options */
		return XT_PKT_MALFORMED;

	pkt->is_v6 = 0;
	pkt->l3_off = (void *)ip - c->start;
	pkt->src.w[0] = 0;
	pkt->src.w[1] = 0;
	pkt->src.w[2] = bpf_htonl(0xffff);
	pkt->src.w[3] = ip->saddr;
	pkt->l4_proto = ip->protocol;
	if (ip->frag_off & bpf_htons(XT_IPV4_OFFSET_MASK)) {
		pkt->nonfirst_fragment = 1;
		return XT_PKT_IP;
	}
	return parse_l4(c, total_len - hdr_len, pkt, 0);
}

/* The generic extension-header layout (hop-by-hop, routing, destination options): next header,
 * length in 8-octet units not counting the first 8. The fragment header has the same first byte and
 * a fixed length of 8. */
struct xt_ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
	__be16 frag_off; /* only meaningful in a fragment header */
	__be32 rest;
};

static __always_inline int xt_is_ipv6_ext(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_FRAGMENT;
}

static __always_inline enum xt_pkt_kind parse_ipv6(struct xt_cursor *c, struct xt_pkt *pkt)
{
	struct ipv6hdr *ip6 = cursor_take_hdr(c, struct ipv6hdr);
	__u32 left;
	__u8 nexthdr;

	if (!ip6 || ip6->version != 6)
		return XT_PKT_MALFORMED;
	left = bpf_ntohs(ip6->payload_len);
	if (c->pos + left > c->end)
		return XT_PKT_MALFORMED;

	pkt->is_v6 = 1;
	pkt->l3_off = (void *)ip6 - c->start;
	__builtin_memcpy(&pkt->src, &ip6->saddr, sizeof(pkt->src));
	nexthdr = ip6->nexthdr;

	for (int i = 0; i < XT_MAX_IPV6_EXT_HEADERS; i++) {
		struct xt_ipv6_ext *ext;
		__u32 ext_len;

		if (!xt_is_ipv6_ext(nexthdr))
			break;
		ext = cursor_take_hdr(c, struct xt_ipv6_ext);
		if (!ext || left < sizeof(*ext))
			return XT_PKT_MALFORMED;
		if (nexthdr == IPPROTO_FRAGMENT) {
			ext_len = sizeof(*ext);
			if (ext->frag_off & bpf_htons(XT_IPV6_OFFSET_MASK)) {
				pkt->l4_proto = ext->nexthdr;
				pkt->nonfirst_fragment = 1;
				return XT_PKT_IP;
			}
		} else {
			ext_len = ((__u32)ext->hdrlen + 1) * 8;
		}
		if (ext_len > left || !cursor_take(c, ext_len - sizeof(*ext)))
			return XT_PKT_MALFORMED;
		left -= ext_len;
		nexthdr = ext->nexthdr;
	}
	if (xt_is_ipv6_ext(nexthdr))
		return XT_PKT_MALFORMED; /* longer chain than any real stack sends */

	pkt->l4_proto = nexthdr;
	return parse_l4(c, left, pkt, ip6->hop_limit);
}

/* Parses one frame into *pkt. Only XT_PKT_IP fills pkt completely. */
static __always_inline enum xt_pkt_kind parse_packet(void *data, void *data_end, struct xt_pkt *pkt)
{
	struct xt_cursor c = { .pos = data, .end = data_end, .start = data };
	__be16 proto;

	if (parse_ethernet(&c, &proto))
		return XT_PKT_MALFORMED;
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(&c, pkt);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(&c, pkt);
	return XT_PKT_NOT_IP;
}

#endif /* XT_PARSE_H */
