#include <charconv>

#include "input/validation.hpp"
#include "input/duration.hpp"
#include "common/rate.hpp"

namespace xt {
namespace {

constexpr const char* kDefaultEvery = "1s";

Result<xt_rate> rate_from(std::string_view stage, const std::optional<std::string>& rate_text,
                          const std::optional<std::string>& burst_text,
                          const std::optional<std::string>& every_text, std::string_view rate_opt,
                          std::string_view burst_opt) {
    if (!rate_text) return failf(0, "{} needs {} N", stage, rate_opt);
    if (!burst_text) return failf(0, "{} needs {} N", stage, burst_opt);
    auto rate = parse_count(rate_opt, *rate_text, 1);
    if (!rate) return tl::unexpected(rate.error());
    auto burst = parse_count(burst_opt, *burst_text, 1);
    if (!burst) return tl::unexpected(burst.error());
    const std::string every_value = every_text.value_or(kDefaultEvery);
    auto every = parse_duration_ns(every_value);
    if (!every) return failf(0, "--every {}", every.error().message);
    if (*every == 0) return failf(0, "--every {}: the period must be longer than 0", every_value);
    auto r = make_rate(*rate, *every, *burst);
    if (!r) return failf(0, "{} {} {} {} --every {}: {}", rate_opt, *rate, burst_opt, *burst,
                         every_value, r.error().message);
    return r;
}

Result<uint8_t> prefix_len(std::string_view option, const std::string& value, unsigned max) {
    auto n = parse_count(option, value, 1, max);
    if (!n) return tl::unexpected(n.error());
    return static_cast<uint8_t>(*n);
}

}  // namespace

Result<uint64_t> parse_count(std::string_view option, std::string_view value, uint64_t min,
                             uint64_t max) {
    uint64_t n = 0;
    const char* end = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), end, n);
    if (value.empty() || ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range))
        return failf(0, "{} {}: not a whole number", option, value);
    if (ec == std::errc::result_out_of_range || n < min || n > max) {
        if (max == UINT64_MAX) return failf(0, "{} {}: must be at least {}", option, value, min);
        return failf(0, "{} {}: must be between {} and {}", option, value, min, max);
    }
    return n;
}

Result<std::vector<Cidr>> parse_cidr_list(const std::vector<std::string>& values) {
    if (values.empty()) return fail("no CIDR given");
    std::vector<Cidr> out;
    for (const auto& v : values) {
        auto c = parse_cidr(v);
        if (!c) return failf(0, "{}; nothing was applied", c.error().message);
        out.push_back(*c);
    }
    return out;
}

Result<std::vector<xt_addr>> parse_address_list(const std::vector<std::string>& values) {
    if (values.empty()) return fail("no address given");
    std::vector<xt_addr> out;
    for (const auto& v : values) {
        auto a = parse_address(v);
        if (!a) return failf(0, "{}; nothing was applied", a.error().message);
        out.push_back(*a);
    }
    return out;
}

Result<Policy> parse_policy(std::string_view text) {
    if (text == "deny") return Policy::deny;
    if (text == "allow") return Policy::allow;
    return failf(0, "policy {}: expected 'deny' or 'allow'", text);
}

std::string_view policy_name(Policy policy) { return policy == Policy::deny ? "deny" : "allow"; }

Policy config_policy(const xt_config& config) {
    return (config.flags & XT_CFG_POLICY_ALLOW) ? Policy::allow : Policy::deny;
}

void apply_policy(xt_config& config, Policy policy) {
    if (policy == Policy::allow)
        config.flags |= XT_CFG_POLICY_ALLOW;
    else
        config.flags &= ~static_cast<uint32_t>(XT_CFG_POLICY_ALLOW);
}

Result<ClockMode> parse_clock_mode(std::string_view text) {
    if (text == "exact") return ClockMode::exact;
    if (text == "coarse") return ClockMode::coarse;
    return failf(0, "limit clock {}: expected 'exact' or 'coarse'", text);
}

std::string_view clock_mode_name(ClockMode mode) { return mode == ClockMode::exact ? "exact" : "coarse"; }

ClockMode config_clock_mode(const xt_config& config) {
    return (config.flags & XT_CFG_COARSE_CLOCK) ? ClockMode::coarse : ClockMode::exact;
}

void apply_clock_mode(xt_config& config, ClockMode mode) {
    if (mode == ClockMode::coarse)
        config.flags |= XT_CFG_COARSE_CLOCK;
    else
        config.flags &= ~static_cast<uint32_t>(XT_CFG_COARSE_CLOCK);
}

Result<SpikeSettings> validate_spike(const SpikeRequest& request) {
    auto rate = rate_from("limit spike", request.rate, request.burst, request.every, "--rate",
                          "--burst");
    if (!rate) return tl::unexpected(rate.error());
    SpikeSettings s;
    s.rate = *rate;
    const std::string per = request.per.value_or("address");
    if (per == "prefix")
        s.per_prefix = true;
    else if (per != "address")
        return failf(0, "--per {}: expected 'address' or 'prefix'", per);
    if (!s.per_prefix && (request.prefix_v4 || request.prefix_v6))
        return fail("--prefix-v4/--prefix-v6 only apply with --per prefix");
    if (request.prefix_v4) {
        auto n = prefix_len("--prefix-v4", *request.prefix_v4, 32);
        if (!n) return tl::unexpected(n.error());
        s.prefix_v4 = *n;
    }
    if (request.prefix_v6) {
        auto n = prefix_len("--prefix-v6", *request.prefix_v6, 128);
        if (!n) return tl::unexpected(n.error());
        s.prefix_v6 = *n;
    }
    return s;
}

void apply_spike(xt_config& config, const SpikeSettings& settings) {
    config.spike = settings.rate;
    if (settings.per_prefix)
        config.flags |= XT_CFG_SPIKE_PER_PREFIX;
    else
        config.flags &= ~static_cast<uint32_t>(XT_CFG_SPIKE_PER_PREFIX);
    if (settings.prefix_v4) config.spike_prefix_v4 = *settings.prefix_v4;
    if (settings.prefix_v6) config.spike_prefix_v6 = *settings.prefix_v6;
}

Result<SynSettings> validate_syn(const SynRequest& request) {
    auto per_source = rate_from("limit syn", request.rate, request.burst, request.every, "--rate",
                                "--burst");
    if (!per_source) return tl::unexpected(per_source.error());
    SynSettings s;
    s.per_source = *per_source;
    if (request.global_rate.has_value() != request.global_burst.has_value())
        return fail("--global-rate and --global-burst go together");
    if (request.global_rate) {
        auto global = rate_from("limit syn", request.global_rate, request.global_burst, request.every,
                                "--global-rate", "--global-burst");
        if (!global) return tl::unexpected(global.error());
        s.global = *global;
    }
    return s;
}

void apply_syn(xt_config& config, const SynSettings& settings) {
    config.syn = settings.per_source;
    config.syn_global = settings.global;
}

Result<LimitStage> parse_limit_stage(std::string_view text) {
    if (text == "spike") return LimitStage::spike;
    if (text == "syn") return LimitStage::syn;
    return failf(0, "limit {}: expected 'spike' or 'syn'", text);
}

void apply_limit_off(xt_config& config, LimitStage stage) {
    if (stage == LimitStage::spike) {
        config.spike = rate_off();
    } else {
        config.syn = rate_off();
        config.syn_global = rate_off();
    }
}

Result<BanSettings> validate_ban(const BanRequest& request) {
    auto addresses = parse_address_list(request.addresses);
    if (!addresses) return tl::unexpected(addresses.error());
    if (!request.duration) return fail("ban add needs --for DURATION (e.g. --for 10m)");
    auto duration = parse_duration_ns(*request.duration);
    if (!duration) return failf(0, "--for {}", duration.error().message);
    if (*duration == 0) return failf(0, "--for {}: a ban must last longer than 0", *request.duration);
    BanSettings s;
    s.addresses = std::move(*addresses);
    s.duration_ns = *duration;
    s.reason = request.reason.value_or("");
    if (s.reason.size() > XT_BAN_REASON_LEN)
        return failf(0, "--reason '{}': at most {} bytes", s.reason, XT_BAN_REASON_LEN);
    return s;
}

Result<uint64_t> validate_watch_seconds(std::string_view value) {
    return parse_count("--watch", value, 1, 86400);
}

Result<size_t> validate_top_count(std::string_view value) {
    auto n = parse_count("-n", value, 1, XT_TOP_DROPS_MAX);
    if (!n) return tl::unexpected(n.error());
    return static_cast<size_t>(*n);
}

}  // namespace xt
