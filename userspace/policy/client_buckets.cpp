#include "policy/client_buckets.hpp"

#include <algorithm>

namespace xt::policy {

ClientTableOptions ClientTableOptions::from(const config::FlowLimits& flows) {
    ClientTableOptions o;
    o.max_clients = std::max<uint64_t>(flows.max_clients_per_limit, 1);
    o.on_full = flows.on_clients_full;
    o.overflow_clients = std::max<uint64_t>(flows.overflow_clients, 1);
    return o;
}

ClientBuckets::ClientBuckets(ClientTableOptions options, const BucketParams& params)
    : options_(options), params_(params) {
    options_.max_clients = std::max<std::size_t>(options_.max_clients, 1);
    // N clients' worth: N times the rate (interval / N) and N times the capacity.
    const uint64_t n = std::max<uint64_t>(options_.overflow_clients, 1);
    overflow_params_.interval_ns = std::max<uint64_t>(params.interval_ns / n, 1);
    overflow_params_.capacity = params.capacity * n;
    overflow_params_.tolerance_ns = (overflow_params_.capacity - 1) * overflow_params_.interval_ns;
    buckets_.reserve(std::min<std::size_t>(options_.max_clients, 4096));
}

bool ClientBuckets::make_room(uint64_t now_ns) {
    if (buckets_.size() < options_.max_clients) return true;
    const auto earliest = order_.begin();
    if (earliest == order_.end() || earliest->first > now_ns) return false;  // every bucket is live
    const std::string* key = earliest->second;
    order_.erase(earliest);
    buckets_.erase(*key);
    ++forgotten_;
    return true;
}

ClientBuckets::Take ClientBuckets::take_overflow(uint64_t now_ns) {
    if (!in_episode_) {
        in_episode_ = true;
        ++overflow_episodes_;
    }
    ++overflow_requests_;
    Take t;
    t.overflow = true;
    if (options_.on_full == config::FlowLimits::OnClientsFull::reject) {
        // As if its bucket were empty until the earliest bucket refills and frees a place.
        t.outcome.wait_ns = std::max<uint64_t>(order_.begin()->first - now_ns, 1);
        return t;
    }
    t.outcome = overflow_.take(overflow_params_, now_ns);
    return t;
}

ClientBuckets::Take ClientBuckets::take(std::string_view client, uint64_t now_ns) {
    auto it = buckets_.find(client);
    if (it == buckets_.end()) {
        if (!make_room(now_ns)) return take_overflow(now_ns);
        in_episode_ = false;
        it = buckets_.emplace(std::string(client), Entry{}).first;
        it->second.in_order = order_.emplace(it->second.bucket.tat_ns(), &it->first).first;
    }
    Entry& e = it->second;
    Take t;
    t.outcome = e.bucket.take(params_, now_ns);
    if (t.outcome.admitted) {  // the tat moved: re-file it
        order_.erase(e.in_order);
        e.in_order = order_.emplace(e.bucket.tat_ns(), &it->first).first;
    }
    return t;
}

}  // namespace xt::policy
