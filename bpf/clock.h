/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * clock.h - the packet's notion of "now", read lazily.
 *
 * bpf_ktime_get_ns() is a real helper call, which retpoline/SRSO mitigations make as dear as a hash
 * lookup (docs/PERFORMANCE.md has the figures). Most packets need no time at all (no ban entry,
 * spike arrest off, not a SYN), so the clock is read on first use and at most once per packet: every
 * stage of one packet then also agrees on the same instant.
 *
 * xt_config.clock_override_ns, when non-zero, replaces the kernel clock: the BPF_PROG_TEST_RUN tests
 * drive token buckets and ban deadlines with exact times through it. The CLI refuses to set it.
 * CLOCK_MONOTONIC (bpf_ktime_get_ns) is what ban deadlines are written in by userspace.
 *
 * XT_CFG_COARSE_CLOCK (opt-in, abi.h) reads CLOCK_MONOTONIC_COARSE instead: the same time base (so
 * switching is harmless for buckets and bans), cheaper, but up to one tick behind; abi.h states the
 * resulting error bound. The default stays the exact clock.
 */
#ifndef XT_CLOCK_H
#define XT_CLOCK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"

struct xt_clock {
	__u64 now;      /* 0 until read */
	__u64 override; /* xt_config.clock_override_ns, copied once */
	__u32 coarse;   /* XT_CFG_COARSE_CLOCK */
};

static __always_inline void clock_init(struct xt_clock *clk, const struct xt_config *cfg)
{
	clk->now = 0;
	clk->override = cfg->clock_override_ns;
	clk->coarse = cfg->flags & XT_CFG_COARSE_CLOCK;
}

static __always_inline __u64 clock_now(struct xt_clock *clk)
{
	if (!clk->now) {
		if (clk->override)
			clk->now = clk->override;
		else if (clk->coarse)
			clk->now = bpf_ktime_get_coarse_ns();
		else
			clk->now = bpf_ktime_get_ns();
	}
	return clk->now;
}

#endif /* XT_CLOCK_H */
