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
    if (!rate_text) return failf(ErrorKind::invalid_input, "{} needs {} N", stage, rate_opt);
    if (!burst_text) return failf(ErrorKind::invalid_input, "{} needs {} N", stage, burst_opt);
    const uint64_t rate = XT_TRY(parse_count(rate_opt, *rate_text, 1));
    const uint64_t burst = XT_TRY(parse_count(burst_opt, *burst_text, 1));
    const std::string every_value = every_text.value_or(kDefaultEvery);
    const uint64_t every = XT_TRY(parse_duration_ns(every_value).map_error(reword("--every {}")));
    if (every == 0)
        return failf(ErrorKind::invalid_input, "--every {}: the period must be longer than 0", every_value);
    return make_rate(rate, every, burst)
        .map_error(reword("{} {} {} {} --every {}: {}", rate_opt, rate, burst_opt, burst, every_value));
}

Result<uint8_t> prefix_len(std::string_view option, const std::string& value, AddressFamily family) {
    const uint64_t length = XT_TRY(parse_count(option, value));
    return check_prefix_length(family, length).map_error(reword("{} {}: {}", option, value));
}

// Every value must parse; the first bad one is the error.
template <typename T, typename Parse>
Result<std::vector<T>> parse_all(const std::vector<std::string>& values, std::string_view what,
                                 Parse parse) {
    if (values.empty()) return failf(ErrorKind::invalid_input, "no {} given", what);
    std::vector<T> out;
    for (const auto& v : values) out.push_back(XT_TRY(parse(v).map_error(reword("{}; nothing was applied"))));
    return out;
}

}  // namespace

Result<uint8_t> check_prefix_length(AddressFamily family, uint64_t length) {
    const uint64_t max = family == AddressFamily::v4 ? 32 : 128;
    if (length < 1 || length > max)
        return failf(ErrorKind::invalid_input, "must be between 1 and {}", max);
    return static_cast<uint8_t>(length);
}

std::optional<uint64_t> parse_whole(std::string_view text) {
    uint64_t n = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (text.empty() || ptr != end) return std::nullopt;
    if (ec == std::errc::result_out_of_range) return UINT64_MAX;
    if (ec != std::errc()) return std::nullopt;
    return n;
}

Result<uint64_t> parse_count(std::string_view option, std::string_view value, uint64_t min,
                             uint64_t max) {
    const auto n = parse_whole(value);
    if (!n) return failf(ErrorKind::invalid_input, "{} {}: not a whole number", option, value);
    if (*n == UINT64_MAX || *n < min || *n > max) {
        if (max == UINT64_MAX)
            return failf(ErrorKind::invalid_input, "{} {}: must be at least {}", option, value, min);
        return failf(ErrorKind::invalid_input, "{} {}: must be between {} and {}", option, value, min, max);
    }
    return *n;
}

Result<std::vector<Cidr>> parse_cidr_list(const std::vector<std::string>& values) {
    return parse_all<Cidr>(values, "CIDR", parse_cidr);
}

Result<std::vector<xt_addr>> parse_address_list(const std::vector<std::string>& values) {
    return parse_all<xt_addr>(values, "address", parse_address);
}

Result<SpikeSettings> validate_spike(const SpikeRequest& request) {
    SpikeSettings s;
    s.rate = XT_TRY(rate_from("limit spike", request.rate, request.burst, request.every, "--rate",
                              "--burst"));
    const std::string per = request.per.value_or("address");
    if (per == "prefix")
        s.per_prefix = true;
    else if (per != "address")
        return failf(ErrorKind::invalid_input, "--per {}: expected 'address' or 'prefix'", per);
    if (!s.per_prefix && (request.prefix_v4 || request.prefix_v6))
        return fail(ErrorKind::invalid_input, "--prefix-v4/--prefix-v6 only apply with --per prefix");
    if (request.prefix_v4) s.prefix_v4 = XT_TRY(prefix_len("--prefix-v4", *request.prefix_v4, AddressFamily::v4));
    if (request.prefix_v6) s.prefix_v6 = XT_TRY(prefix_len("--prefix-v6", *request.prefix_v6, AddressFamily::v6));
    return s;
}

void apply_spike(xt_config& config, const SpikeSettings& settings) {
    config.spike = settings.rate;
    set_config_flag(config, XT_CFG_SPIKE_PER_PREFIX, settings.per_prefix);
    if (settings.prefix_v4) config.spike_prefix_v4 = *settings.prefix_v4;
    if (settings.prefix_v6) config.spike_prefix_v6 = *settings.prefix_v6;
}

Result<SynSettings> validate_syn(const SynRequest& request) {
    SynSettings s;
    s.per_source = XT_TRY(rate_from("limit syn", request.rate, request.burst, request.every, "--rate",
                                    "--burst"));
    if (request.global_rate.has_value() != request.global_burst.has_value())
        return fail(ErrorKind::invalid_input, "--global-rate and --global-burst go together");
    if (request.global_rate)
        s.global = XT_TRY(rate_from("limit syn", request.global_rate, request.global_burst,
                                    request.every, "--global-rate", "--global-burst"));
    return s;
}

void apply_syn(xt_config& config, const SynSettings& settings) {
    config.syn = settings.per_source;
    config.syn_global = settings.global;
}

Result<LimitStage> parse_limit_stage(std::string_view text) {
    if (text == "spike") return LimitStage::spike;
    if (text == "syn") return LimitStage::syn;
    return failf(ErrorKind::invalid_input, "limit {}: expected 'spike' or 'syn'", text);
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
    BanSettings s;
    s.addresses = XT_TRY(parse_address_list(request.addresses));
    if (!request.duration)
        return fail(ErrorKind::invalid_input, "ban add needs --for DURATION (e.g. --for 10m)");
    s.duration_ns = XT_TRY(parse_duration_ns(*request.duration).map_error(reword("--for {}")));
    if (s.duration_ns == 0)
        return failf(ErrorKind::invalid_input, "--for {}: a ban must last longer than 0", *request.duration);
    s.reason = request.reason.value_or("");
    if (s.reason.size() > XT_BAN_REASON_LEN)
        return failf(ErrorKind::invalid_input, "--reason '{}': at most {} bytes", s.reason,
                     XT_BAN_REASON_LEN);
    return s;
}

Result<uint64_t> validate_watch_seconds(std::string_view value) {
    return parse_count("--watch", value, 1, 86400);
}

Result<size_t> validate_top_count(std::string_view value) {
    return parse_count("-n", value, 1, XT_TOP_DROPS_MAX).map([](uint64_t n) {
        return static_cast<size_t>(n);
    });
}

}  // namespace xt
