/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The floor of every ratio in bench/progrun: an XDP program that does nothing but drop. What it
 * costs per packet is BPF_PROG_TEST_RUN's own loop plus one indirect call into the program. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_bare_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
