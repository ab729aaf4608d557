// Automatic bans: rejections the policy engine gives one client turn into a ban of the client's L3
// source address in the XDP ban box (config: `autoban` in the "xdp-throttle" namespace).
//
//   on_reject() counts each rejection of a rule's kind (`client_limit`: the 429s of a client rate
//   limit, `bot`: the bot detector's 403s) in a sliding window per (rule, source address); the
//   `count`-th rejection within `within` orders a ban for `ban_for`. The caller writes the order
//   (the controller: maps/bans add_bans, origin controller); this file only decides, with an
//   injected clock and an injected ban box lookup, so tests are exact.
//
// Never banned, because a ban at L3 would hit someone else or no one:
//   - addresses under `never`, and the gateway's `trusted_proxies` (a proxy carries many clients);
//   - clients a limit identifies by a header or a parameter (the address is not the client);
//   - a `client_limit` rejection that had no client key (no identity to blame).
// An address already banned in the box (by the operator, or by a controller before a restart) is
// not banned again. At most `max_bans_per_minute` bans are ordered in any 60 s; beyond that they
// are counted (suppressed) instead: a bad rule cannot ban the world.
//
// The windows live in a bounded table (`max_windows`). An attacker spraying rejections from spoofed
// sources must not be able to push a real abuser's window out, so a window is forgotten only when
// every event in it is older than its rule's `within` (it could not contribute to a ban any more);
// when the table is full and none can be forgotten, the new source's rejection is not counted, and
// that is counted (windows_full) instead of evicting a live window.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "abi.h"
#include "config/gateway_config.hpp"
#include "policy/engine.hpp"

namespace xt::policy {

// "Is this address banned right now?" (the ban box, or a fake in tests).
using BanLookup = std::function<bool(const xt_addr& address)>;

struct BanOrder {
    xt_addr address{};
    uint64_t duration_ns = 0;
    std::string reason;       // for the ban box: at most XT_BAN_REASON_LEN bytes, names rule and endpoint
    std::string description;  // for the log: the same, in full
};

class Autoban {
public:
    // Reads config.gateway.autoban (no rules: on_reject never orders), trusted_proxies and the
    // client limits' strategies.
    Autoban(const config::Config& config, Clock clock, BanLookup is_banned);
    ~Autoban();
    Autoban(Autoban&&) noexcept;
    Autoban& operator=(Autoban&&) noexcept;

    // Counts one rejection; a ban to write, or nothing.
    std::optional<BanOrder> on_reject(const RequestInfo& request, const Reject& reject);

    struct Counters {
        uint64_t ordered = 0;          // bans ordered (the caller writes them)
        uint64_t suppressed = 0;       // bans over max_bans_per_minute, not ordered
        uint64_t suppressed_episodes = 0;
        uint64_t never = 0;            // rejections of a rule's kind from a client that cannot be banned
        uint64_t already_banned = 0;   // a window reached its count for an address banned already
        uint64_t windows_forgotten = 0;  // stale windows dropped to make room
        uint64_t windows_full = 0;     // rejections not counted: the table was full of live windows
        uint64_t windows_full_episodes = 0;
    };
    Counters counters() const;
    std::size_t windows() const;  // live entries of the window table

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace xt::policy
