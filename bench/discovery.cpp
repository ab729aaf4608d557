// What service discovery costs the hot path: PolicyEngine::decide on an endpoint whose backend has
// a proxy limit (its address set read from a BackendDirectory snapshot) side by side with the same
// endpoint without one, and the snapshot read alone, also right after a swap. Google Benchmark, no
// root, no DNS (an injected resolver).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "config/load_config.hpp"
#include "discovery/directory.hpp"
#include "input/address.hpp"
#include "policy/engine.hpp"

namespace {

using namespace xt;

// Four addresses behind the name; the flow goes to the last one (the longest scan).
discovery::Resolve four_addresses(int& generation) {
    return [&generation](const discovery::Source& s) -> Result<discovery::Lookup> {
        discovery::Lookup out;
        for (int i = 1; i <= 4; ++i)
            out.targets.push_back({*parse_address(fmt::format("10.0.{}.{}", generation % 200, i)), s.port});
        return out;
    };
}

config::Config load(bool proxy_limit) {
    const std::string limit =
        proxy_limit ? R"(,"extra_config":{"qos/ratelimit/proxy":{"max_rate":1000000000,"capacity":1000000000}})" : "";
    auto c = config::parse_config(R"({"version":3,"endpoints":[{"endpoint":"/users/{id}","backend":[
        {"host":["http://api.internal:8080"])" + limit + "}]}]}");
    if (!c) throw std::runtime_error(c.error().message);
    return *c;
}

// The directory over `cfg`, its resolver answering for `generation`, its clock reading `now`.
std::shared_ptr<discovery::BackendDirectory> directory(const config::Config& cfg, int& generation, uint64_t& now) {
    auto dir = discovery::BackendDirectory::create(cfg, four_addresses(generation), [&now] { return now; },
                                                   discovery::DirectoryOptions::from(cfg.gateway));
    if (!dir) throw std::runtime_error(dir.error().message);
    return *dir;
}

void decide(benchmark::State& state, bool proxy_limit) {
    int generation = 0;
    uint64_t now = 1;
    const config::Config cfg = load(proxy_limit);
    auto engine = policy::PolicyEngine::create(cfg, [&] { return now; }, directory(cfg, generation, now));
    if (!engine) throw std::runtime_error(engine.error().message);
    std::vector<http::HeaderField> headers;
    policy::RequestInfo r;
    r.method = "GET";
    r.target = "/users/7";
    r.headers = &headers;
    r.client = *parse_address("192.0.2.1");
    r.backend = *parse_address("10.0.0.4");
    r.backend_port = 8080;
    for (auto _ : state) {
        ++now;
        benchmark::DoNotOptimize(engine->decide(r));
    }
    if (engine->counters().allowed != static_cast<uint64_t>(state.iterations())) state.SkipWithError("not allowed");
}

void BM_DecideWithoutProxyLimit(benchmark::State& state) { decide(state, false); }
void BM_DecideProxyLimitFromDirectory(benchmark::State& state) { decide(state, true); }

// The reader's check when nothing changed (every request) and its reload after a swap (once per
// change of any set).
void snapshot_read(benchmark::State& state, bool swap_every_time) {
    int generation = 0;
    uint64_t now = 1;
    const config::Config cfg = load(true);
    const auto dir = directory(cfg, generation, now);
    discovery::BackendDirectory::Reader reader(*dir);
    const xt_addr a = *parse_address("10.0.0.4");
    for (auto _ : state) {
        if (swap_every_time) {
            state.PauseTiming();
            ++generation;
            now += 60'000'000'000ull;
            dir->refresh(now);
            state.ResumeTiming();
        }
        benchmark::DoNotOptimize(reader.current().serves(0, a, 8080));
    }
}

void BM_SnapshotReadUnchanged(benchmark::State& state) { snapshot_read(state, false); }
void BM_SnapshotReadAfterSwap(benchmark::State& state) { snapshot_read(state, true); }

BENCHMARK(BM_DecideWithoutProxyLimit);
BENCHMARK(BM_DecideProxyLimitFromDirectory);
BENCHMARK(BM_SnapshotReadUnchanged);
BENCHMARK(BM_SnapshotReadAfterSwap);

}  // namespace

BENCHMARK_MAIN();
