/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The flood generator of bench/live_flood.sh. Run with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES, an XDP_TX verdict makes the kernel transmit the test frame out of the
 * interface named by the context's ingress_ifindex (the way xdp-trafficgen works), so one syscall
 * emits `repeat` real frames without a socket or an skb per frame. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_flood_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
