/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The flood generator of bench/live_flood.sh and tests/e2e/test_spike_flood.sh. Run with
 * BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES, an XDP_TX verdict makes the kernel transmit the
 * test frame out of the interface named by the context's ingress_ifindex (the way xdp-trafficgen
 * works), so one syscall emits `repeat` real frames without a socket or an skb per frame.
 *
 * Spoofed sources (xt_flood_gen --spoof-pool): frame n of the flood leaves with the IPv4 source
 * spoof_base + (n / spoof_repeat) % spoof_pool, so every source of the pool is sent spoof_repeat
 * times in a row. hping3 --rand-source cannot do that (a new random source per packet), and it
 * matters to a kernel LRU hash: a key looked up again while in the map joins the LRU's active
 * list, which one-packet keys never reach (see test_spike_flood.sh). Off (spoof_pool == 0): the
 * frame leaves as given, and the verifier drops the spoofing code (the settings are read-only). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 spoof_pool = 0;
const volatile __u32 spoof_repeat = 1;
const volatile __u32 spoof_base = 0; /* host byte order */
__u64 frames_sent = 0;

/* The IPv4 header checksum from scratch: 10 words, the frame's options-free header. */
static __always_inline __u16 ipv4_checksum(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += i == 5 ? 0 : w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int xdp_flood_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *udp = (void *)(ip + 1);
	__u64 n;

	if (!spoof_pool || (void *)(udp + 1) > data_end)
		return XDP_TX;
	n = __sync_fetch_and_add(&frames_sent, 1);
	ip->saddr = bpf_htonl(spoof_base + (__u32)((n / spoof_repeat) % spoof_pool));
	ip->check = ipv4_checksum(ip);
	udp->check = 0; /* none: the pseudo-header's source changed */
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
