// BackendDirectory: per backend definition that needs it, the set of (address, port) the backend
// is reached at, so a transparent gateway can tell which flows go to which backend.
//
// Readers (the controller's one serving thread) see an immutable Snapshot; a refresh builds a new
// one and publishes it with a generation bump, so the hot path costs one atomic load per request
// and never waits on DNS. Refreshes run elsewhere (Refresher: a thread of its own):
//   sd "static"  names re-resolved every resolve_interval (address literals never)
//   sd "dns"     SRV names re-resolved when their TTL runs out (at least 1s, at most resolve_interval)
// A failed refresh keeps the last good set (a transient DNS error must not lift a limit) and is
// retried with backoff from 1s up to resolve_interval; it is logged once per failure episode.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "config/gateway_config.hpp"
#include "discovery/resolver.hpp"
#include "discovery/target.hpp"

namespace xt::discovery {

// Monotonic nanoseconds (the same shape as policy::Clock; discovery sits below policy).
using Clock = std::function<uint64_t()>;
using LogSink = std::function<void(const std::string& line)>;

// Which backend definition: config.endpoints[endpoint].backends[backend].
struct BackendRef {
    std::size_t endpoint = 0;
    std::size_t backend = 0;
};

// Whether the controller must know a backend's addresses: it has something enforced per backend
// (a proxy limit). Backends without one are not resolved at all.
bool needs_addresses(const config::Backend& backend);

struct Snapshot {
    uint64_t generation = 0;
    std::vector<std::vector<Target>> sets;  // by slot, each normalized (sorted, no duplicates)

    bool serves(std::size_t slot, const xt_addr& addr, uint16_t port) const;
};

struct DirectoryOptions {
    uint64_t resolve_interval_ns = 30'000'000'000;  // static names; the ceiling of TTLs and backoff
    uint64_t ttl_floor_ns = 1'000'000'000;          // TTL 0 must not mean "ask all the time"
    uint64_t first_retry_ns = 1'000'000'000;        // after a failure; doubles up to the interval

    static DirectoryOptions from(const config::GatewaySettings& settings);
};

class BackendDirectory {
public:
    // Resolves every tracked backend's hosts once, now. Fails, listing every problem with its
    // backend's JSON path, when a static host does not resolve or an SRV name definitively has no
    // usable target (NXDOMAIN, no records): a typo must not start a gateway whose limit never
    // applies. An SRV lookup that fails transiently (timeout, SERVFAIL) starts with an empty set,
    // logged, and is retried from 1s on.
    static Result<std::shared_ptr<BackendDirectory>> create(const config::Config& config, Resolve resolve,
                                                            Clock clock, DirectoryOptions options,
                                                            LogSink log = {});

    // The slot of a tracked backend in every Snapshot; nothing for a backend not tracked.
    std::optional<std::size_t> slot(BackendRef ref) const;
    std::size_t size() const { return entries_.size(); }

    // The current snapshot (takes a short lock: for readers that do not keep a Reader).
    std::shared_ptr<const Snapshot> snapshot() const;

    // A hot-path view: current() is one atomic load while nothing changed. One per reading thread.
    class Reader {
    public:
        explicit Reader(const BackendDirectory& directory);
        const Snapshot& current();

    private:
        const BackendDirectory* directory_;
        std::shared_ptr<const Snapshot> cached_;
    };

    // Runs the lookups due at `now`, publishes a new snapshot when a set changed, and returns when
    // the next lookup is due (UINT64_MAX: never, every host is an address literal). One caller at
    // a time (the Refresher, or a test).
    uint64_t refresh(uint64_t now);
    uint64_t next_due() const;
    uint64_t now() const { return clock_(); }

    struct Counters {
        uint64_t lookups = 0;
        uint64_t failures = 0;       // failed lookups (each retry counts)
        uint64_t changes = 0;        // lookups whose answer differed from the set before
        uint64_t failing = 0;        // host entries whose last lookup failed (keeping an older set)
    };
    Counters counters() const;

private:
    struct SourceState {
        Source source;
        std::vector<Target> good;  // the last good answer
        uint64_t due = UINT64_MAX;
        uint64_t backoff_ns = 0;   // 0: not failing
        uint64_t failures_in_episode = 0;
    };
    struct Entry {
        BackendRef ref;
        std::string json_path;
        std::vector<SourceState> sources;
    };

    BackendDirectory() = default;
    // One lookup of `s`; true when its set changed.
    bool look_up(Entry& entry, SourceState& s, uint64_t now);
    void schedule_success(SourceState& s, std::optional<uint32_t> ttl_s, uint64_t now);
    void publish();
    void log_line(const std::string& line) const {
        if (log_) log_(line);
    }

    Resolve resolve_;
    Clock clock_;
    DirectoryOptions options_;
    LogSink log_;
    std::vector<Entry> entries_;

    mutable std::mutex publish_mutex_;  // guards current_ (held only to swap or copy the pointer)
    std::shared_ptr<const Snapshot> current_;
    std::atomic<uint64_t> generation_{0};

    std::atomic<uint64_t> lookups_{0}, failures_{0}, changes_{0}, failing_{0};
};

// Keeps a directory fresh on a thread of its own until destroyed (the destructor waits for a
// lookup in progress: at most the resolver's timeout).
class Refresher {
public:
    explicit Refresher(std::shared_ptr<BackendDirectory> directory);
    ~Refresher();
    Refresher(const Refresher&) = delete;
    Refresher& operator=(const Refresher&) = delete;

private:
    void loop();

    std::shared_ptr<BackendDirectory> directory_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace xt::discovery
