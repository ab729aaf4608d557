#include "policy/bot_detector.hpp"

#include <algorithm>
#include <functional>
#include <list>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <re2/re2.h>
#include <re2/set.h>

#include "config/bot_patterns.hpp"

namespace xt::policy {

const char* to_string(BotRule rule) {
    switch (rule) {
    case BotRule::empty: return "empty";
    case BotRule::allow: return "allow";
    case BotRule::deny: return "deny";
    case BotRule::pattern: return "pattern";
    case BotRule::none: return "none";
    }
    return "?";
}

void BotCounters::add(const BotVerdict& verdict) {
    if (verdict.cached) ++cache_hits;
    if (!verdict.bot) return;
    switch (verdict.by) {
    case BotRule::empty: ++empty; break;
    case BotRule::deny: ++deny; break;
    case BotRule::pattern: ++pattern; break;
    case BotRule::allow:
    case BotRule::none: break;
    }
}

std::string_view first_user_agent(const std::vector<http::HeaderField>* headers) {
    if (!headers) return {};
    return http::find_header(*headers, "User-Agent").value_or(std::string_view{});
}

namespace {

// Looked up by string_view: no std::string built per request (C++20 heterogeneous lookup).
struct ViewHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
};
using StringSet = std::unordered_set<std::string, ViewHash, std::equal_to<>>;

// The RE2::Set's program and DFA cache live within this budget. RE2's default (8 MiB) is too small
// for ~1,500 crawler patterns: the set would not compile, or its DFA would give up while matching.
// Memory is taken as the DFA grows, not up front.
constexpr int64_t kSetMaxMem = int64_t{512} << 20;

// Least-recently-used verdicts keyed by the whole User-Agent. The map's keys view the strings held
// by the list's nodes, which never move.
class VerdictCache {
public:
    explicit VerdictCache(std::size_t capacity) : capacity_(capacity) {}

    std::optional<BotVerdict> get(std::string_view key) {
        auto it = index_.find(key);
        if (it == index_.end()) return std::nullopt;
        order_.splice(order_.begin(), order_, it->second);
        return it->second->second;
    }

    void put(std::string_view key, const BotVerdict& verdict) {
        if (capacity_ == 0) return;
        if (order_.size() >= capacity_) {
            index_.erase(std::string_view(order_.back().first));
            order_.pop_back();
        }
        order_.emplace_front(std::string(key), verdict);
        index_.emplace(std::string_view(order_.front().first), order_.begin());
    }

private:
    using Entry = std::pair<std::string, BotVerdict>;
    std::size_t capacity_;
    std::list<Entry> order_;  // most recent first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
};

// Length of the valid UTF-8 sequence starting at s[i], or 0 when the byte there starts none (Go's
// utf8.DecodeRune: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = at(i);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > s.size() || at(i + 1) < lo || at(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
    return n;
}

// Go's regexp reads a string as runes and takes every byte that is not valid UTF-8 for U+FFFD, so
// `.` matches it; RE2 in UTF-8 mode matches nothing there. The string Go's regexp sees, when it
// differs from `ua` (almost never: User-Agents are ASCII).
std::optional<std::string> as_go_runes(std::string_view ua) {
    if (std::all_of(ua.begin(), ua.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
        return std::nullopt;
    std::string out;
    bool replaced = false;
    for (std::size_t i = 0; i < ua.size();) {
        if (const std::size_t n = utf8_sequence(ua, i)) {
            out.append(ua.substr(i, n));
            i += n;
        } else {
            out.append("\xEF\xBF\xBD");  // U+FFFD
            replaced = true;
            ++i;
        }
    }
    if (!replaced) return std::nullopt;
    return out;
}

}  // namespace

struct BotDetector::Impl {
    bool empty_is_bot = false;
    StringSet allow;
    StringSet deny;
    std::vector<std::string> patterns;
    std::optional<RE2::Set> set;
    // Used only if the set's DFA runs out of memory on some input: one RE2 per pattern, built on
    // first need, so a verdict is never lost (slow, but correct).
    std::vector<std::unique_ptr<RE2>> one_by_one;
    std::vector<int> matched;  // scratch for RE2::Set::Match, kept to avoid an allocation per call
    std::optional<VerdictCache> cache;

    std::optional<std::size_t> first_pattern(std::string_view raw) {
        if (!set) return std::nullopt;
        const std::optional<std::string> runes = as_go_runes(raw);
        const std::string_view ua = runes ? std::string_view(*runes) : raw;
        RE2::Set::ErrorInfo error{};
        if (set->Match(re2::StringPiece(ua.data(), ua.size()), &matched, &error))
            return static_cast<std::size_t>(*std::min_element(matched.begin(), matched.end()));
        if (error.kind == RE2::Set::kNoError) return std::nullopt;
        if (one_by_one.empty())
            for (const auto& p : patterns)
                one_by_one.push_back(std::make_unique<RE2>(p, config::bot_pattern_options()));
        for (std::size_t i = 0; i < one_by_one.size(); ++i)
            if (RE2::PartialMatch(re2::StringPiece(ua.data(), ua.size()), *one_by_one[i])) return i;
        return std::nullopt;
    }

    BotVerdict decide(std::string_view ua) {
        if (ua.empty()) return {empty_is_bot, BotRule::empty};
        if (allow.find(ua) != allow.end()) return {false, BotRule::allow};
        if (deny.find(ua) != deny.end()) return {true, BotRule::deny};
        if (auto index = first_pattern(ua)) return {true, BotRule::pattern, *index};
        return {false, BotRule::none};
    }
};

BotDetector::BotDetector() : impl_(std::make_unique<Impl>()) {}
BotDetector::~BotDetector() = default;
BotDetector::BotDetector(BotDetector&&) noexcept = default;
BotDetector& BotDetector::operator=(BotDetector&&) noexcept = default;

Result<BotDetector> BotDetector::create(const config::BotDetector& config) {
    BotDetector detector;
    Impl& impl = *detector.impl_;
    impl.empty_is_bot = config.empty_user_agent_is_bot;
    impl.allow.insert(config.allow.begin(), config.allow.end());
    impl.deny.insert(config.deny.begin(), config.deny.end());
    impl.patterns = config.patterns;
    if (!config.patterns.empty()) {
        RE2::Options options = config::bot_pattern_options();
        options.set_max_mem(kSetMaxMem);
        impl.set.emplace(options, RE2::UNANCHORED);
        for (std::size_t i = 0; i < config.patterns.size(); ++i) {
            std::string error;
            if (impl.set->Add(config.patterns[i], &error) < 0)
                return failf(ErrorKind::invalid_input, "patterns[{}]: {}", i, error);
        }
        if (!impl.set->Compile())
            return failf(ErrorKind::unsupported,
                         "{} patterns do not fit in RE2's memory budget ({} MiB)",
                         config.patterns.size(), kSetMaxMem >> 20);
    }
    if (config.cache_size > 0) impl.cache.emplace(config.cache_size);
    return detector;
}

BotVerdict BotDetector::judge(std::string_view user_agent) {
    Impl& impl = *impl_;
    if (impl.cache) {
        if (auto hit = impl.cache->get(user_agent)) {
            hit->cached = true;
            return *hit;
        }
    }
    const BotVerdict verdict = impl.decide(user_agent);
    if (impl.cache) impl.cache->put(user_agent, verdict);
    return verdict;
}

const std::vector<std::string>& BotDetector::patterns() const { return impl_->patterns; }

}  // namespace xt::policy
