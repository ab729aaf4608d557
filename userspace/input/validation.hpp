// Validation of operator input for the CLI verbs, kept out of the CLI binary so the unit tests can
// exercise it without privileges. Every value arrives as the string the operator typed; every error
// names the option and the value. Nothing here touches the kernel.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"
#include "input/address.hpp"
#include "common/result.hpp"

namespace xt {

// Decimal digits as a number: nullopt unless `text` is digits only. Above 64 bits it saturates to
// UINT64_MAX, which no option's range admits (parse_count refuses it too), so "too large" is
// reported with the value as typed instead of as "not a number".
std::optional<uint64_t> parse_whole(std::string_view text);

// A whole number in [min, max] for option `option` ("--rate"): "--rate abc: not a whole number".
Result<uint64_t> parse_count(std::string_view option, std::string_view value, uint64_t min = 0,
                             uint64_t max = UINT64_MAX);

// All values must parse, or nothing is returned (the first bad value is the error).
Result<std::vector<Cidr>> parse_cidr_list(const std::vector<std::string>& values);
Result<std::vector<xt_addr>> parse_address_list(const std::vector<std::string>& values);

inline void set_config_flag(xt_config& config, uint32_t bit, bool on) {
    if (on)
        config.flags |= bit;
    else
        config.flags &= ~bit;
}

// A setting that is one bit of xt_config.flags, with the operator's word for each state: E's first
// enumerator is the bit clear, its second the bit set. Policy and clock mode are two of them.
template <typename E>
struct FlagSetting {
    uint32_t bit;
    std::string_view command;  // where the word is typed, for errors: "limit clock"
    std::array<std::string_view, 2> words;

    Result<E> parse(std::string_view text) const {
        for (std::size_t i = 0; i < words.size(); ++i)
            if (text == words[i]) return static_cast<E>(i);
        return failf(ErrorKind::invalid_input, "{} {}: expected '{}' or '{}'", command, text,
                     words[0], words[1]);
    }
    std::string_view name(E value) const { return words[static_cast<std::size_t>(value)]; }
    E read(const xt_config& config) const { return static_cast<E>((config.flags & bit) != 0); }
    void write(xt_config& config, E value) const { set_config_flag(config, bit, value == static_cast<E>(1)); }
};

// ip policy (deny|allow): deny drops listed sources, allow passes only listed ones.
enum class Policy { deny, allow };
inline constexpr FlagSetting<Policy> kPolicy{XT_CFG_POLICY_ALLOW, "policy", {"deny", "allow"}};

// limit spike --rate N [--every DURATION] --burst N [--per address|prefix] [--prefix-v4 N]
//             [--prefix-v6 N]
struct SpikeRequest {
    std::optional<std::string> rate, every, burst, per, prefix_v4, prefix_v6;
};
struct SpikeSettings {
    xt_rate rate{};
    bool per_prefix = false;
    std::optional<uint8_t> prefix_v4, prefix_v6;  // unset: keep what the config has
};
Result<SpikeSettings> validate_spike(const SpikeRequest& request);

// A prefix length sources are grouped by, wherever it is set (per-prefix spike buckets:
// `--prefix-v4`, `--prefix-v6`, the config's l3.spike_prefix_v4/v6; client buckets of the `ip`
// strategy: ipv4_prefix/ipv6_prefix): 1-32 for IPv4, 1-128 for IPv6. 0 is refused:
// in xt_config it stands for the default (/24, /64), which is asked for by leaving the setting out,
// never by a "/0" that reads like one bucket for every source. The message names the value only;
// callers prefix the option or the JSON path.
enum class AddressFamily { v4, v6 };
Result<uint8_t> check_prefix_length(AddressFamily family, uint64_t length);
void apply_spike(xt_config& config, const SpikeSettings& settings);

// limit syn --rate N --burst N [--every DURATION] [--global-rate N --global-burst N]
// The command describes the whole SYN stage: without --global-* the global bucket is off.
struct SynRequest {
    std::optional<std::string> rate, burst, every, global_rate, global_burst;
};
struct SynSettings {
    xt_rate per_source{};
    xt_rate global{};  // rate 0: off
};
Result<SynSettings> validate_syn(const SynRequest& request);
void apply_syn(xt_config& config, const SynSettings& settings);

enum class LimitStage { spike, syn };
Result<LimitStage> parse_limit_stage(std::string_view text);
// `limit off syn` turns off the per-source and the global SYN buckets.
void apply_limit_off(xt_config& config, LimitStage stage);

// limit clock (exact|coarse): which clock the buckets and ban deadlines read (XT_CFG_COARSE_CLOCK,
// whose error bound abi.h states). Only the flag changes; limits and rules are kept.
enum class ClockMode { exact, coarse };
inline constexpr FlagSetting<ClockMode> kClockMode{XT_CFG_COARSE_CLOCK, "limit clock", {"exact", "coarse"}};

// ban add IP... --for DURATION [--reason TEXT]
struct BanRequest {
    std::vector<std::string> addresses;
    std::optional<std::string> duration, reason;
};
struct BanSettings {
    std::vector<xt_addr> addresses;
    uint64_t duration_ns = 0;
    std::string reason;
};
Result<BanSettings> validate_ban(const BanRequest& request);

// stats --watch SECONDS (1..86400) and top -n N (1..XT_TOP_DROPS_MAX).
Result<uint64_t> validate_watch_seconds(std::string_view value);
Result<size_t> validate_top_count(std::string_view value);

}  // namespace xt
