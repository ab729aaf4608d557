/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Test scaffolding for the AF_XDP engine: every frame goes to the AF_XDP socket of its RX queue,
 * or to the stack when none is bound (XDP_PASS fallback). One instance per interface, each with
 * its own XSKMAP, the way the real data plane hands the engine a map it does not own. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp")
int xsk_redirect(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
