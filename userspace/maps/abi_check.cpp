// The ABI header is compiled by clang -target bpf and by g++; these asserts catch any layout drift
// (padding, alignment) between the two at build time of the userspace side.
#include <cstddef>

#include "abi.h"

static_assert(sizeof(xt_addr) == 16);
static_assert(sizeof(xt_lpm_v4) == 8);
static_assert(sizeof(xt_lpm_v6) == 20);
static_assert(sizeof(xt_ip_rule) == 8);
static_assert(sizeof(xt_ban) == 32 + XT_BAN_REASON_LEN);
static_assert(offsetof(xt_ban, reason) == 32);
static_assert(sizeof(xt_gcra) == 8);
static_assert(sizeof(xt_rate) == 40);
static_assert(offsetof(xt_config, clock_override_ns) == 8);
static_assert(offsetof(xt_config, spike) == 16);
static_assert(sizeof(xt_config) == 16 + 3 * sizeof(xt_rate) + 8 * 8);
static_assert(sizeof(xt_counter) == 16);
static_assert(sizeof(xt_stats) == (1 + XT_VERDICT_COUNT + 2) * sizeof(xt_counter));
static_assert(offsetof(xt_stats, redirected) == (1 + XT_VERDICT_COUNT) * sizeof(xt_counter));
static_assert(offsetof(xt_config, client_ifindex) == 16 + 3 * sizeof(xt_rate));
static_assert(offsetof(xt_config, http_ports) == 24 + 3 * sizeof(xt_rate));
static_assert(sizeof(xt_heartbeat) == 24);
static_assert(sizeof(xt_flow_key) == 40);
static_assert(offsetof(xt_flow_key, client_port) == 32);
static_assert(sizeof(xt_bypass) == 24);
static_assert(offsetof(xt_bypass, kind) == 8);
static_assert(offsetof(xt_bypass, body_end) == 16);
static_assert(offsetof(xt_stats, passed) + XT_DROP_SYN_GLOBAL * sizeof(xt_counter) ==
              offsetof(xt_stats, syn_global));
static_assert(sizeof(xt_drop_tally) == 24);
static_assert(offsetof(xt_drop_tally, last_jiffies) == 20);
static_assert(sizeof(xt_drop_pending) == sizeof(xt_addr) + sizeof(xt_drop_tally));
static_assert(sizeof(xt_source_buckets) == 2 * sizeof(xt_gcra));
static_assert(XT_FLOOR_SLOTS == 1u << 16, "one debt-floor slot per value of xt_addr_slot(), a 16-bit hash");
static_assert(offsetof(xt_config, present) == 6);
static_assert(sizeof(xt_host_slot) == 24);
static_assert((XT_HOST_TABLE_BUCKETS & (XT_HOST_TABLE_BUCKETS - 1)) == 0, "a power of two");
