// One token bucket per client (an address, an API key, a placeholder value), bounded in number.
//
// Eviction: when `max_clients` buckets exist and a new client arrives, the least recently used
// bucket is forgotten. A forgotten client starts again with a full bucket, so eviction can only be
// lenient, never stricter: a client gains at most `capacity` extra tokens, and only when
// `max_clients` other clients were seen since its own last request (and its bucket was not yet
// refilled by then). Memory is about 100 bytes plus the key length per client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "policy/token_bucket.hpp"

namespace xt::policy {

class ClientBuckets {
public:
    explicit ClientBuckets(std::size_t max_clients);

    // The client's bucket, created full when unknown; marks it most recently used.
    TokenBucket& get(std::string_view client);

    std::size_t size() const { return index_.size(); }
    std::size_t max_clients() const { return max_clients_; }
    uint64_t evictions() const { return evictions_; }
    bool contains(std::string_view client) const { return index_.count(client) != 0; }

private:
    struct Entry {
        std::string client;
        TokenBucket bucket;
    };
    std::size_t max_clients_;
    uint64_t evictions_ = 0;
    std::list<Entry> lru_;  // front = most recently used; nodes never move in memory
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // keys view lru_ nodes
};

}  // namespace xt::policy
