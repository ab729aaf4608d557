#include "policy/autoban.hpp"

#include <algorithm>
#include <deque>
#include <list>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "client_identity.hpp"
#include "input/address.hpp"
#include "input/duration.hpp"

namespace xt::policy {

namespace {

constexpr uint64_t kValveWindowNs = 60'000'000'000;  // max_bans_per_minute counts the last 60 s

struct WindowKey {
    xt_addr address{};
    std::size_t rule = 0;
    bool operator==(const WindowKey& o) const { return rule == o.rule && address == o.address; }
};

struct WindowKeyHash {
    std::size_t operator()(const WindowKey& k) const {
        uint64_t h = k.rule * 0x9E3779B97F4A7C15ull;
        for (uint32_t w : k.address.w) h = (h ^ w) * 0x100000001B3ull;
        return static_cast<std::size_t>(h ^ (h >> 29));
    }
};

// The times of a source's counted rejections still inside `within`, oldest first (at most `count`).
struct Window {
    std::vector<uint64_t> events;
    std::list<xt_addr>::iterator lru;  // its place in its rule's list
};

bool in_any(const std::vector<Cidr>& list, const xt_addr& address) {
    return std::any_of(list.begin(), list.end(), [&](const Cidr& c) { return cidr_contains(c, address); });
}

std::optional<config::AutobanOn> rule_kind(LimitKind limit) {
    switch (limit) {
    case LimitKind::service_client:
    case LimitKind::endpoint_client: return config::AutobanOn::client_limit;
    case LimitKind::bot: return config::AutobanOn::bot;
    default: return std::nullopt;
    }
}

}  // namespace

struct Autoban::Impl {
    config::Autoban settings;
    std::vector<Cidr> trusted_proxies;
    Clock clock;
    BanLookup is_banned;
    // The strategy of each client limit (nothing: the endpoint has none), for "is the client its
    // address?"; and each endpoint's name for reasons.
    std::optional<config::ClientStrategy> service_strategy;
    std::vector<std::optional<config::ClientStrategy>> endpoint_strategy;
    std::vector<std::string> endpoint_name;

    std::unordered_map<WindowKey, Window, WindowKeyHash> windows;
    std::vector<std::list<xt_addr>> lru;  // per rule, least recently counted first
    std::deque<uint64_t> recent_orders;   // times of the bans ordered in the last minute
    bool in_full_episode = false;
    bool in_suppressed_episode = false;
    Counters counters;

    // Whether a ban of the L3 source could be right: the source is the client, and nobody says never.
    bool bannable(const RequestInfo& request, const Reject& reject, config::AutobanOn kind) const {
        if (in_any(settings.never, request.client) || in_any(trusted_proxies, request.client))
            return false;
        if (kind != config::AutobanOn::client_limit) return true;
        if (reject.missing_client_key) return false;
        const std::optional<config::ClientStrategy> strategy =
            reject.limit == LimitKind::service_client ? service_strategy
            : reject.endpoint && *reject.endpoint < endpoint_strategy.size()
                ? endpoint_strategy[*reject.endpoint]
                : std::nullopt;
        // `ip` from a source that is not a trusted proxy (excluded above): the client is the source.
        return strategy == config::ClientStrategy::ip;
    }

    // The window of (rule, address), made when there is room (or a stale one can be forgotten).
    Window* window(std::size_t rule, const xt_addr& address, uint64_t now) {
        const WindowKey key{address, rule};
        if (auto it = windows.find(key); it != windows.end()) return &it->second;
        if (windows.size() >= settings.max_windows && !forget_one_stale(now)) {
            ++counters.windows_full;
            if (!in_full_episode) ++counters.windows_full_episodes;
            in_full_episode = true;
            return nullptr;
        }
        in_full_episode = false;
        lru[rule].push_back(address);
        Window& w = windows[key];
        w.lru = std::prev(lru[rule].end());
        return &w;
    }

    // A window whose newest event is older than its rule's `within` cannot contribute to a ban any
    // more. Each rule's list is ordered by newest event, so only its front needs looking at.
    bool forget_one_stale(uint64_t now) {
        for (std::size_t r = 0; r < lru.size(); ++r) {
            if (lru[r].empty()) continue;
            const WindowKey key{lru[r].front(), r};
            const auto it = windows.find(key);
            if (it->second.events.empty() || now - it->second.events.back() >= settings.rules[r].within_ns) {
                lru[r].pop_front();
                windows.erase(it);
                ++counters.windows_forgotten;
                return true;
            }
        }
        return false;
    }

    void forget_address(const xt_addr& address) {
        for (std::size_t r = 0; r < settings.rules.size(); ++r) {
            const auto it = windows.find(WindowKey{address, r});
            if (it == windows.end()) continue;
            lru[r].erase(it->second.lru);
            windows.erase(it);
        }
    }

    // Counts the event; true when the rule's count is reached within its window.
    bool count(std::size_t r, const xt_addr& address, uint64_t now) {
        const config::AutobanRule& rule = settings.rules[r];
        if (rule.count == 1) return true;  // no window needed
        Window* w = window(r, address, now);
        if (!w) return false;
        auto& ev = w->events;
        ev.erase(ev.begin(), std::find_if(ev.begin(), ev.end(),
                                          [&](uint64_t t) { return now - t < rule.within_ns; }));
        ev.push_back(now);
        if (ev.size() > rule.count) ev.erase(ev.begin());
        lru[r].splice(lru[r].end(), lru[r], w->lru);
        return ev.size() >= rule.count;
    }

    // The valve: at most max_bans_per_minute orders in any 60 s.
    bool valve_open(uint64_t now) {
        while (!recent_orders.empty() && now - recent_orders.front() >= kValveWindowNs)
            recent_orders.pop_front();
        return recent_orders.size() < settings.max_bans_per_minute;
    }

    BanOrder order(std::size_t r, const RequestInfo& request, const Reject& reject) const {
        const config::AutobanRule& rule = settings.rules[r];
        const std::string endpoint = reject.endpoint && *reject.endpoint < endpoint_name.size()
                                         ? endpoint_name[*reject.endpoint]
                                         : std::string("(no endpoint)");
        BanOrder o;
        o.address = request.client;
        o.duration_ns = rule.ban_for_ns;
        o.reason = fmt::format("auto#{} {} {}", r, config::to_string(rule.on), endpoint);
        if (o.reason.size() > XT_BAN_REASON_LEN) o.reason.resize(XT_BAN_REASON_LEN);
        const std::string within =
            rule.count > 1 ? fmt::format(" within {}", format_duration(rule.within_ns)) : "";
        o.description = fmt::format("{} banned for {}: autoban rule {} ({} {} rejection{}{}) on "
                                    "endpoint {} ({} {})",
                                    format_address(o.address), format_duration(rule.ban_for_ns),
                                    rule.json_path, rule.count, config::to_string(rule.on),
                                    rule.count == 1 ? "" : "s", within, endpoint, reject.status,
                                    to_string(reject.limit));
        return o;
    }
};

Autoban::Autoban(const config::Config& config, Clock clock, BanLookup is_banned)
    : impl_(std::make_unique<Impl>()) {
    Impl& impl = *impl_;
    impl.settings = config.gateway.autoban;
    impl.trusted_proxies = config.gateway.trusted_proxies;
    impl.clock = clock ? std::move(clock) : monotonic_clock();
    impl.is_banned = std::move(is_banned);
    if (config.service_limit && config.service_limit->client)
        impl.service_strategy = config.service_limit->client->strategy;
    for (const auto& ep : config.endpoints) {
        impl.endpoint_strategy.push_back(ep.router_limit && ep.router_limit->client
                                             ? std::optional(ep.router_limit->client->strategy)
                                             : std::nullopt);
        impl.endpoint_name.push_back(ep.method == "GET" ? ep.pattern : ep.method + " " + ep.pattern);
    }
    impl.lru.resize(impl.settings.rules.size());
}

Autoban::~Autoban() = default;
Autoban::Autoban(Autoban&&) noexcept = default;
Autoban& Autoban::operator=(Autoban&&) noexcept = default;

std::optional<BanOrder> Autoban::on_reject(const RequestInfo& request, const Reject& reject) {
    Impl& impl = *impl_;
    const auto kind = rule_kind(reject.limit);
    if (!kind) return std::nullopt;
    const auto& rules = impl.settings.rules;
    if (std::none_of(rules.begin(), rules.end(), [&](const auto& r) { return r.on == *kind; }))
        return std::nullopt;
    if (!impl.bannable(request, reject, *kind)) {
        ++impl.counters.never;
        return std::nullopt;
    }
    const uint64_t now = impl.clock();
    std::optional<std::size_t> reached;  // of the rules reached, the one banning longest
    for (std::size_t r = 0; r < rules.size(); ++r) {
        if (rules[r].on != *kind || !impl.count(r, request.client, now)) continue;
        if (!reached || rules[r].ban_for_ns > rules[*reached].ban_for_ns) reached = r;
    }
    if (!reached) return std::nullopt;
    if (impl.is_banned && impl.is_banned(request.client)) {
        ++impl.counters.already_banned;
        impl.forget_address(request.client);
        return std::nullopt;
    }
    // Suppressed: the windows stay full, so the next rejection after the valve opens bans.
    if (!impl.valve_open(now)) {
        ++impl.counters.suppressed;
        if (!impl.in_suppressed_episode) ++impl.counters.suppressed_episodes;
        impl.in_suppressed_episode = true;
        return std::nullopt;
    }
    impl.in_suppressed_episode = false;
    impl.recent_orders.push_back(now);
    ++impl.counters.ordered;
    impl.forget_address(request.client);
    return impl.order(*reached, request, reject);
}

Autoban::Counters Autoban::counters() const { return impl_->counters; }
std::size_t Autoban::windows() const { return impl_->windows.size(); }

}  // namespace xt::policy
