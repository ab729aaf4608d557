// xt_bench_bot: the bot detector's costs with a public crawler list (tests/data/crawler-user-agents.json,
// 1,500 patterns): compiling the list, and judging one User-Agent (a browser's that matches none,
// a crawler's, and distinct browser UAs) with the cache off, so every call runs the RE2::Set; and
// the same browser UA answered by the cache.
// Google Benchmark; report the median of the repetitions. See docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/bot_detector.hpp"

namespace {

const std::vector<std::string>& crawler_patterns() {
    static const std::vector<std::string> patterns = [] {
        std::ifstream in(XT_BENCH_CRAWLER_LIST);
        if (!in) throw std::runtime_error("cannot read " XT_BENCH_CRAWLER_LIST);
        std::vector<std::string> out;
        for (const auto& entry : nlohmann::json::parse(in)) out.push_back(entry.at("pattern"));
        return out;
    }();
    return patterns;
}

xt::policy::BotDetector detector(uint64_t cache_size = 0) {
    xt::config::BotDetector cfg;
    cfg.patterns = crawler_patterns();
    cfg.cache_size = cache_size;
    auto made = xt::policy::BotDetector::create(cfg);
    if (!made) throw std::runtime_error(made.error().message);
    return std::move(*made);
}

// 150 bytes, a current desktop Edge on Windows: matches none of the list.
constexpr std::string_view kBrowserText =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.109 OPR/109.0.5097.1234";
static_assert(kBrowserText.size() == 150);
const std::string kBrowser(kBrowserText);
const std::string kCrawler = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

void BM_Compile1500(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(detector());
    state.counters["patterns"] = static_cast<double>(crawler_patterns().size());
}
BENCHMARK(BM_Compile1500)->Unit(benchmark::kMillisecond)->Iterations(3);

void judge_one(benchmark::State& state, const std::string& ua, bool expect_bot) {
    auto d = detector();
    if (d.judge(ua).bot != expect_bot) throw std::runtime_error("unexpected verdict for " + ua);
    for (auto _ : state) benchmark::DoNotOptimize(d.judge(ua));
    state.counters["ua_bytes"] = static_cast<double>(ua.size());
}
void BM_JudgeBrowser(benchmark::State& state) { judge_one(state, kBrowser, false); }
void BM_JudgeCrawler(benchmark::State& state) { judge_one(state, kCrawler, true); }
BENCHMARK(BM_JudgeBrowser)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JudgeCrawler)->Unit(benchmark::kMicrosecond);

// The same UA again with `cache_size` set: the cache answers.
void BM_JudgeBrowserCached(benchmark::State& state) {
    auto d = detector(10'000);
    d.judge(kBrowser);
    if (!d.judge(kBrowser).cached) throw std::runtime_error("the cache did not answer");
    for (auto _ : state) benchmark::DoNotOptimize(d.judge(kBrowser));
}
BENCHMARK(BM_JudgeBrowserCached)->Unit(benchmark::kMicrosecond);

// A different browser UA every call (the build number varies), as the gateway bench's wrk sends.
void BM_JudgeDistinctBrowsers(benchmark::State& state) {
    auto d = detector();
    std::vector<std::string> uas;
    for (int i = 0; i < 4096; ++i)
        uas.push_back(fmt::format("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                                  "like Gecko) Chrome/124.0.{}.{} Safari/537.36 Edg/124.0.2478.80",
                                  i, i * 7 % 1000));
    std::size_t i = 0;
    for (auto _ : state) benchmark::DoNotOptimize(d.judge(uas[i++ % uas.size()]));
}
BENCHMARK(BM_JudgeDistinctBrowsers)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
