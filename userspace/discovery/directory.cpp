#include "discovery/directory.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "input/address.hpp"
#include "input/duration.hpp"

namespace xt::discovery {

bool needs_addresses(const config::Backend& backend) {
    return backend.proxy_limit.has_value() || backend.circuit_breaker.has_value();
}

bool Snapshot::serves(std::size_t slot, const xt_addr& addr, uint16_t port) const {
    if (slot >= sets.size()) return false;
    // Sets are a handful of addresses: a scan beats any index.
    for (const Target& t : sets[slot])
        if (t.port == port && t.addr == addr) return true;
    return false;
}

DirectoryOptions DirectoryOptions::from(const config::GatewaySettings& settings) {
    DirectoryOptions o;
    o.resolve_interval_ns = settings.resolve_interval_ns;
    o.ttl_floor_ns = std::min(o.ttl_floor_ns, o.resolve_interval_ns);
    o.first_retry_ns = std::min(o.first_retry_ns, o.resolve_interval_ns);
    return o;
}

Result<std::shared_ptr<BackendDirectory>> BackendDirectory::create(const config::Config& config,
                                                                   Resolve resolve, Clock clock,
                                                                   DirectoryOptions options, LogSink log) {
    std::shared_ptr<BackendDirectory> dir(new BackendDirectory());
    dir->resolve_ = std::move(resolve);
    dir->clock_ = std::move(clock);
    dir->options_ = options;
    dir->log_ = std::move(log);
    const uint64_t now = dir->clock_();
    std::vector<std::string> problems;
    for (std::size_t e = 0; e < config.endpoints.size(); ++e) {
        const auto& backends = config.endpoints[e].backends;
        for (std::size_t b = 0; b < backends.size(); ++b) {
            const config::Backend& backend = backends[b];
            if (!needs_addresses(backend)) continue;
            Entry entry{{e, b}, backend.json_path, {}};
            const bool srv = backend.sd == config::ServiceDiscovery::dns_srv;
            for (const auto& host : backend.hosts) {
                SourceState s;
                s.source = {srv ? Source::Kind::srv : Source::Kind::host, host.host, host.port};
                if (auto literal = parse_address(host.host); literal && !srv) {
                    s.good = {Target{*literal, host.port}};  // never asked, never changes
                    entry.sources.push_back(std::move(s));
                    continue;
                }
                auto got = dir->resolve_(s.source);
                ++dir->lookups_;
                if (got) {
                    s.good = std::move(got->targets);
                    dir->schedule_success(s, got->ttl_s, now);
                } else if (srv && got.error().kind != ErrorKind::not_found) {
                    // DNS itself is in trouble, not the name: start without this host's set
                    // rather than leave every limit of the gateway off (no controller = fail-open).
                    ++dir->failures_;
                    s.failures_in_episode = 1;
                    s.backoff_ns = options.first_retry_ns;
                    s.due = now + s.backoff_ns;
                    dir->log_line(fmt::format("backend {} {}: lookup failed at start ({}); its limits "
                                              "apply once it answers (retrying from {})",
                                              backend.json_path, host.host, got.error().message,
                                              format_duration(s.backoff_ns)));
                } else {
                    problems.push_back(
                        srv ? fmt::format("{}: SRV name \"{}\" has no usable target: {}", backend.json_path,
                                          host.host, got.error().message)
                            : fmt::format("{}: backend host \"{}\" does not resolve to an address ({})",
                                          backend.json_path, host.host, got.error().message));
                }
                entry.sources.push_back(std::move(s));
            }
            dir->entries_.push_back(std::move(entry));
        }
    }
    if (!problems.empty()) {
        std::string message;
        for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
        return fail(ErrorKind::not_found, std::move(message));
    }
    dir->failing_ = 0;
    for (const auto& entry : dir->entries_)
        for (const auto& s : entry.sources) dir->failing_ += s.backoff_ns != 0;
    dir->publish();
    for (std::size_t i = 0; i < dir->entries_.size(); ++i) {
        const Entry& entry = dir->entries_[i];
        std::string names;
        for (const auto& s : entry.sources) names += (names.empty() ? "" : ", ") + s.source.name;
        dir->log_line(fmt::format("backend {} ({}{}): {}", entry.json_path,
                                  entry.sources.empty() || entry.sources[0].source.kind == Source::Kind::host
                                      ? "" : "SRV ",
                                  names, format_targets(dir->current_->sets[i])));
    }
    return dir;
}

void BackendDirectory::schedule_success(SourceState& s, std::optional<uint32_t> ttl_s, uint64_t now) {
    s.backoff_ns = 0;
    s.failures_in_episode = 0;
    uint64_t wait = options_.resolve_interval_ns;
    if (ttl_s) wait = std::clamp<uint64_t>(uint64_t{*ttl_s} * 1'000'000'000ull, options_.ttl_floor_ns,
                                 options_.resolve_interval_ns);
    s.due = now + wait;
}

std::optional<std::size_t> BackendDirectory::slot(BackendRef ref) const {
    for (std::size_t i = 0; i < entries_.size(); ++i)
        if (entries_[i].ref.endpoint == ref.endpoint && entries_[i].ref.backend == ref.backend) return i;
    return std::nullopt;
}

std::shared_ptr<const Snapshot> BackendDirectory::snapshot() const {
    std::lock_guard lock(publish_mutex_);
    return current_;
}

void BackendDirectory::publish() {
    auto next = std::make_shared<Snapshot>();
    next->generation = generation_.load(std::memory_order_relaxed) + 1;
    for (const auto& entry : entries_) {
        std::vector<Target> set;
        for (const auto& s : entry.sources) set.insert(set.end(), s.good.begin(), s.good.end());
        normalize(set);
        next->sets.push_back(std::move(set));
    }
    {
        std::lock_guard lock(publish_mutex_);
        current_ = std::move(next);
    }
    generation_.store(current_->generation, std::memory_order_release);
}

BackendDirectory::Reader::Reader(const BackendDirectory& directory)
    : directory_(&directory), cached_(directory.snapshot()) {}

const Snapshot& BackendDirectory::Reader::current() {
    if (directory_->generation_.load(std::memory_order_acquire) != cached_->generation)
        cached_ = directory_->snapshot();
    return *cached_;
}

bool BackendDirectory::look_up(Entry& entry, SourceState& s, uint64_t now) {
    ++lookups_;
    auto got = resolve_(s.source);
    if (!got) {
        ++failures_;
        if (s.failures_in_episode++ == 0) {
            ++failing_;
            log_line(fmt::format("backend {} {}: lookup failed ({}); keeping {}", entry.json_path,
                                 s.source.name, got.error().message, format_targets(s.good)));
        }
        s.backoff_ns = s.backoff_ns == 0 ? options_.first_retry_ns
                                         : std::min(s.backoff_ns * 2, options_.resolve_interval_ns);
        s.due = now + s.backoff_ns;
        return false;
    }
    if (s.failures_in_episode > 0) {
        --failing_;
        log_line(fmt::format("backend {} {}: lookup answers again (after {} failed)", entry.json_path,
                             s.source.name, s.failures_in_episode));
    }
    schedule_success(s, got->ttl_s, now);
    if (got->targets == s.good) return false;
    ++changes_;
    log_line(fmt::format("backend {} {}: {} -> {}", entry.json_path, s.source.name, format_targets(s.good),
                         format_targets(got->targets)));
    s.good = std::move(got->targets);
    return true;
}

uint64_t BackendDirectory::refresh(uint64_t now) {
    bool changed = false;
    for (auto& entry : entries_)
        for (auto& s : entry.sources)
            if (s.due <= now) changed = look_up(entry, s, now) || changed;
    if (changed) publish();
    return next_due();
}

uint64_t BackendDirectory::next_due() const {
    uint64_t due = UINT64_MAX;
    for (const auto& entry : entries_)
        for (const auto& s : entry.sources) due = std::min(due, s.due);
    return due;
}

BackendDirectory::Counters BackendDirectory::counters() const {
    return {lookups_.load(), failures_.load(), changes_.load(), failing_.load()};
}

Refresher::Refresher(std::shared_ptr<BackendDirectory> directory)
    : directory_(std::move(directory)), thread_([this] { loop(); }) {}

Refresher::~Refresher() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void Refresher::loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        lock.unlock();
        const uint64_t due = directory_->refresh(directory_->now());
        lock.lock();
        if (stop_) break;
        const uint64_t now = directory_->now();
        // Nothing due (literals only) still wakes now and then: cheap, and stop needs no special case.
        const uint64_t wait_ns = due == UINT64_MAX ? 3'600'000'000'000ull : (due > now ? due - now : 0);
        wake_.wait_for(lock, std::chrono::nanoseconds(wait_ns), [this] { return stop_; });
    }
}

}  // namespace xt::discovery
