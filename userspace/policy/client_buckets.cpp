#include "policy/client_buckets.hpp"

#include <algorithm>

namespace xt::policy {

ClientBuckets::ClientBuckets(std::size_t max_clients) : max_clients_(std::max<std::size_t>(max_clients, 1)) {
    index_.reserve(std::min<std::size_t>(max_clients_, 4096));
}

TokenBucket& ClientBuckets::get(std::string_view client) {
    if (auto it = index_.find(client); it != index_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->bucket;
    }
    if (index_.size() >= max_clients_) {
        index_.erase(lru_.back().client);
        lru_.pop_back();
        ++evictions_;
    }
    lru_.push_front(Entry{std::string(client), TokenBucket{}});
    index_.emplace(lru_.front().client, lru_.begin());
    return lru_.front().bucket;
}

}  // namespace xt::policy
