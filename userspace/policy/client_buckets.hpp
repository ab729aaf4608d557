// One token bucket per client (an address or its prefix, an API key, a placeholder value), bounded
// in number, and never forgotten while it still matters.
//
// Forgetting: a bucket is dropped only when forgetting it changes nothing, that is when it would
// have refilled to capacity by now (a full bucket is the same as none). The buckets are ordered by
// that moment (the GCRA "theoretical arrival time", tat), so the table finds the one to drop in
// O(log n). An attacker who fills the table with other addresses cannot wipe a spent client's
// bucket: that bucket is not full, so it stays.
//
// Full table: when `max_clients` buckets exist and none is full yet, a new client gets no bucket of
// its own. It shares the limit's overflow bucket (`overflow_clients` clients' worth: the limit's
// rate and capacity times that), or, with OnClientsFull::reject, it is refused as if its bucket were
// empty until the earliest bucket refills. A client that already has a bucket is never affected.
// Each stretch of time during which new clients met a full table is one "episode" (counted, so the
// daemon logs it once).
//
// Memory: about 200 bytes per client plus the key beyond 15 bytes (a map node, an ordered-set node,
// the key), at most max_clients of them per limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "config/gateway_config.hpp"
#include "policy/token_bucket.hpp"

namespace xt::policy {

struct ClientTableOptions {
    std::size_t max_clients = 65536;
    config::FlowLimits::OnClientsFull on_full = config::FlowLimits::OnClientsFull::overflow;
    uint64_t overflow_clients = 64;

    static ClientTableOptions from(const config::FlowLimits& flows);
};

class ClientBuckets {
public:
    // `params`: the limit's bucket (the overflow bucket is derived from it).
    ClientBuckets(ClientTableOptions options, const BucketParams& params);

    struct Take {
        TokenBucket::Outcome outcome;
        bool overflow = false;       // the client got no bucket of its own (table full)
    };
    // Takes one token from the client's bucket (created full when unknown and there is room).
    Take take(std::string_view client, uint64_t now_ns);

    std::size_t size() const { return buckets_.size(); }
    std::size_t max_clients() const { return options_.max_clients; }
    bool contains(std::string_view client) const { return buckets_.find(client) != buckets_.end(); }
    uint64_t forgotten() const { return forgotten_; }        // full buckets dropped to make room
    uint64_t overflow_requests() const { return overflow_requests_; }
    uint64_t overflow_episodes() const { return overflow_episodes_; }

private:
    using Order = std::set<std::pair<uint64_t, const std::string*>>;  // (tat, key): full first
    struct Entry {
        TokenBucket bucket;
        Order::iterator in_order;
    };
    // Makes room for one more bucket if a full one can be forgotten; false when none can.
    bool make_room(uint64_t now_ns);
    Take take_overflow(uint64_t now_ns);

    ClientTableOptions options_;
    BucketParams params_;
    BucketParams overflow_params_;
    TokenBucket overflow_;
    // Looked up by string_view without building a std::string per request (C++20 heterogeneous
    // lookup); node-based, so keys stay put for Order.
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
    };
    std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> buckets_;
    Order order_;
    bool in_episode_ = false;
    uint64_t forgotten_ = 0;
    uint64_t overflow_requests_ = 0;
    uint64_t overflow_episodes_ = 0;
};

}  // namespace xt::policy
