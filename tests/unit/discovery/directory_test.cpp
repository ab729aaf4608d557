// BackendDirectory with an injected resolver and clock: load-time rules, TTL-driven scheduling,
// keep-last-good, snapshot swaps, and a proxy limit that follows a changed set.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/load_config.hpp"
#include "discovery/directory.hpp"
#include "input/address.hpp"
#include "policy/engine.hpp"

using namespace xt::discovery;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;

xt_addr addr(const char* text) { return *xt::parse_address(text); }

Target target(const char* a, uint16_t port) { return {addr(a), port}; }

// Answers by name; a name mapped to an Error fails with it. Thread-safe (the Refresher test).
struct FakeDns {
    struct Answer {
        std::vector<Target> targets;  // for SRV: the records' targets with their ports
        std::optional<uint32_t> ttl_s;
        std::optional<xt::ErrorKind> error;
    };
    std::mutex mutex;
    std::map<std::string, Answer> answers;
    int calls = 0;

    void set(const std::string& name, Answer a) {
        std::lock_guard lock(mutex);
        answers[name] = std::move(a);
    }
    void answer(const std::string& name, std::vector<Target> targets, std::optional<uint32_t> ttl_s = {}) {
        set(name, Answer{std::move(targets), ttl_s, std::nullopt});
    }
    void fail(const std::string& name, xt::ErrorKind kind) { set(name, Answer{{}, {}, kind}); }

    Resolve resolve() {
        return [this](const Source& s) -> xt::Result<Lookup> {
            std::lock_guard lock(mutex);
            ++calls;
            auto it = answers.find(s.name);
            if (it == answers.end()) return xt::fail(xt::ErrorKind::not_found, s.name + ": NXDOMAIN");
            if (it->second.error) return xt::fail(*it->second.error, s.name + ": failed");
            Lookup out;
            for (Target t : it->second.targets) {
                if (s.kind == Source::Kind::host) t.port = s.port;  // a name gives addresses only
                out.targets.push_back(t);
            }
            normalize(out.targets);
            out.ttl_s = it->second.ttl_s;
            return out;
        };
    }
};

struct Lab {
    uint64_t now = 5 * kSecond;
    FakeDns dns;
    std::vector<std::string> log;
    xt::config::Config config;

    explicit Lab(const std::string& backends_json, const std::string& own = "") {
        auto loaded = xt::config::parse_config(
            R"({"version":3,)" + (own.empty() ? std::string() : R"("extra_config":{"xdp-throttle":)" + own + "},") +
            R"("endpoints":[{"endpoint":"/a","backend":)" + backends_json + "}]}");
        if (!loaded) throw std::runtime_error(loaded.error().message);
        config = *loaded;
    }
    xt::Result<std::shared_ptr<BackendDirectory>> create() {
        return BackendDirectory::create(config, dns.resolve(), [this] { return now; },
                                        DirectoryOptions::from(config.gateway),
                                        [this](const std::string& line) { log.push_back(line); });
    }
    std::size_t log_count(const std::string& needle) const {
        std::size_t n = 0;
        for (const auto& l : log) n += l.find(needle) != std::string::npos;
        return n;
    }
};

const char* kProxy = R"("extra_config":{"qos/ratelimit/proxy":{"max_rate":1,"capacity":1}})";

std::string backend(const std::string& hosts, const std::string& more = "") {
    return R"({"host":[)" + hosts + "]," + (more.empty() ? "" : more + ",") + kProxy + "}";
}

}  // namespace

TEST(BackendDirectory, StaticNamesResolvedAtLoadAndOnTheInterval) {
    Lab lab("[" + backend(R"("http://api.internal:8080","http://10.9.9.9:81")") + R"(,{"host":["http://untracked:80"]}])",
            R"({"resolve_interval":"10s"})");
    lab.dns.answer("api.internal", {target("10.0.0.2", 0), target("10.0.0.3", 0)});
    auto dir = lab.create();
    ASSERT_TRUE(dir) << dir.error().message;
    ASSERT_EQ((*dir)->size(), 1u);  // the backend without a proxy limit is not resolved at all
    EXPECT_FALSE((*dir)->slot({0, 1}));
    const std::size_t slot = *(*dir)->slot({0, 0});
    auto snap = (*dir)->snapshot();
    EXPECT_TRUE(snap->serves(slot, addr("10.0.0.2"), 8080));
    EXPECT_TRUE(snap->serves(slot, addr("10.0.0.3"), 8080));
    EXPECT_TRUE(snap->serves(slot, addr("10.9.9.9"), 81));
    EXPECT_FALSE(snap->serves(slot, addr("10.0.0.2"), 81));    // wrong port
    EXPECT_FALSE(snap->serves(slot, addr("10.0.0.4"), 8080));  // not in the set
    EXPECT_EQ(lab.log_count("backend $.endpoints[0].backend[0] (api.internal, 10.9.9.9): "
                            "10.0.0.2:8080, 10.0.0.3:8080, 10.9.9.9:81"), 1u);
    // The literal is never asked again; the name after resolve_interval.
    EXPECT_EQ((*dir)->next_due(), lab.now + 10 * kSecond);
    const int calls = lab.dns.calls;
    EXPECT_EQ((*dir)->refresh(lab.now + 9 * kSecond), lab.now + 10 * kSecond);
    EXPECT_EQ(lab.dns.calls, calls);
    lab.dns.answer("api.internal", {target("10.0.0.3", 0), target("10.0.0.4", 0)});
    lab.now += 10 * kSecond;
    EXPECT_EQ((*dir)->refresh(lab.now), lab.now + 10 * kSecond);
    EXPECT_EQ(lab.dns.calls, calls + 1);
    snap = (*dir)->snapshot();
    EXPECT_FALSE(snap->serves(slot, addr("10.0.0.2"), 8080));
    EXPECT_TRUE(snap->serves(slot, addr("10.0.0.4"), 8080));
    EXPECT_EQ(lab.log_count("backend $.endpoints[0].backend[0] api.internal: 10.0.0.2:8080, 10.0.0.3:8080 -> "
                            "10.0.0.3:8080, 10.0.0.4:8080"), 1u);
    EXPECT_EQ((*dir)->counters().changes, 1u);
}

TEST(BackendDirectory, UnresolvableStaticNameFailsTheLoadWithItsPath) {
    Lab lab("[" + backend(R"("http://nope.invalid:80")") + "," + backend(R"("http://also-nope:80")") + "]");
    auto dir = lab.create();
    ASSERT_FALSE(dir);
    // Every problem at once.
    EXPECT_NE(dir.error().message.find("$.endpoints[0].backend[0]: backend host \"nope.invalid\""), std::string::npos)
        << dir.error().message;
    EXPECT_NE(dir.error().message.find("$.endpoints[0].backend[1]: backend host \"also-nope\""), std::string::npos);
}

TEST(BackendDirectory, SrvSetFollowsItsTtlWithFloorAndCeiling) {
    Lab lab("[" + backend(R"("_api._tcp.example")", R"("sd":"dns")") + "]", R"({"resolve_interval":"60s"})");
    lab.dns.answer("_api._tcp.example", {target("10.0.0.2", 8080), target("10.0.0.3", 9090)}, 5);
    auto dir = lab.create();
    ASSERT_TRUE(dir) << dir.error().message;
    const std::size_t slot = *(*dir)->slot({0, 0});
    EXPECT_TRUE((*dir)->snapshot()->serves(slot, addr("10.0.0.3"), 9090));  // the SRV record's port
    EXPECT_FALSE((*dir)->snapshot()->serves(slot, addr("10.0.0.3"), 8080));
    EXPECT_EQ(lab.log_count("(SRV _api._tcp.example): 10.0.0.2:8080, 10.0.0.3:9090"), 1u);
    EXPECT_EQ((*dir)->next_due(), lab.now + 5 * kSecond);  // TTL 5
    lab.dns.answer("_api._tcp.example", {target("10.0.0.2", 8080)}, 0);
    lab.now += 5 * kSecond;
    EXPECT_EQ((*dir)->refresh(lab.now), lab.now + 1 * kSecond);  // TTL 0: the 1s floor
    lab.dns.answer("_api._tcp.example", {target("10.0.0.2", 8080)}, 86400);
    lab.now += 1 * kSecond;
    EXPECT_EQ((*dir)->refresh(lab.now), lab.now + 60 * kSecond);  // a day: the resolve_interval ceiling
}

TEST(BackendDirectory, SrvAtLoadDefinitiveIsAnErrorTransientStartsEmpty) {
    {
        Lab lab("[" + backend(R"("_typo._tcp.example")", R"("sd":"dns")") + "]");
        auto dir = lab.create();  // NXDOMAIN: a typo must not start a limit that never applies
        ASSERT_FALSE(dir);
        EXPECT_NE(dir.error().message.find("$.endpoints[0].backend[0]: SRV name \"_typo._tcp.example\""),
                  std::string::npos) << dir.error().message;
    }
    Lab lab("[" + backend(R"("_api._tcp.example")", R"("sd":"dns")") + "]");
    lab.dns.fail("_api._tcp.example", xt::ErrorKind::busy);  // SERVFAIL / timeout
    auto dir = lab.create();
    ASSERT_TRUE(dir) << dir.error().message;
    const std::size_t slot = *(*dir)->slot({0, 0});
    EXPECT_TRUE((*dir)->snapshot()->sets[slot].empty());
    EXPECT_EQ(lab.log_count("lookup failed at start"), 1u);
    EXPECT_EQ((*dir)->counters().failing, 1u);
    EXPECT_EQ((*dir)->next_due(), lab.now + kSecond);
    lab.dns.answer("_api._tcp.example", {target("10.0.0.2", 8080)}, 30);
    lab.now += kSecond;
    (*dir)->refresh(lab.now);
    EXPECT_TRUE((*dir)->snapshot()->serves(slot, addr("10.0.0.2"), 8080));
    EXPECT_EQ((*dir)->counters().failing, 0u);
    EXPECT_EQ(lab.log_count("lookup answers again"), 1u);
}

TEST(BackendDirectory, FailedRefreshKeepsTheLastGoodSetAndBacksOff) {
    Lab lab("[" + backend(R"("_api._tcp.example")", R"("sd":"dns")") + "]", R"({"resolve_interval":"5s"})");
    lab.dns.answer("_api._tcp.example", {target("10.0.0.2", 8080)}, 1);
    auto dir = lab.create();
    ASSERT_TRUE(dir) << dir.error().message;
    const std::size_t slot = *(*dir)->slot({0, 0});
    const uint64_t generation = (*dir)->snapshot()->generation;
    // Transient and definitive failures alike: at run time a set is never emptied by DNS trouble.
    lab.dns.fail("_api._tcp.example", xt::ErrorKind::busy);
    std::vector<uint64_t> waits;
    for (int i = 0; i < 5; ++i) {
        lab.now = (*dir)->next_due();
        waits.push_back(((*dir)->refresh(lab.now) - lab.now) / kSecond);
        if (i == 2) lab.dns.fail("_api._tcp.example", xt::ErrorKind::not_found);
    }
    EXPECT_EQ(waits, (std::vector<uint64_t>{1, 2, 4, 5, 5}));  // doubling, up to resolve_interval
    EXPECT_TRUE((*dir)->snapshot()->serves(slot, addr("10.0.0.2"), 8080));
    EXPECT_EQ((*dir)->snapshot()->generation, generation);  // nothing published
    EXPECT_EQ(lab.log_count("lookup failed"), 1u);          // once per episode
    EXPECT_EQ(lab.log_count("keeping 10.0.0.2:8080"), 1u);
    auto c = (*dir)->counters();
    EXPECT_EQ(c.failures, 5u);
    EXPECT_EQ(c.failing, 1u);
    // Recovery ends the episode; the next failure is a new one, logged again.
    lab.dns.answer("_api._tcp.example", {target("10.0.0.2", 8080)}, 1);
    lab.now = (*dir)->next_due();
    EXPECT_EQ((*dir)->refresh(lab.now), lab.now + kSecond);
    lab.dns.fail("_api._tcp.example", xt::ErrorKind::busy);
    lab.now = (*dir)->next_due();
    (*dir)->refresh(lab.now);
    EXPECT_EQ(lab.log_count("lookup failed"), 2u);
}

TEST(BackendDirectory, ReaderSeesSwapsOldSnapshotsStayIntact) {
    Lab lab("[" + backend(R"("api.internal:80")") + "]", R"({"resolve_interval":"1s"})");
    lab.dns.answer("api.internal", {target("10.0.0.2", 0)});
    auto dir = lab.create();
    ASSERT_TRUE(dir) << dir.error().message;
    BackendDirectory::Reader reader(**dir);
    const Snapshot* first = &reader.current();
    auto held = (*dir)->snapshot();
    EXPECT_EQ(&reader.current(), first);  // nothing changed: the same snapshot, no copy
    lab.now += kSecond;
    (*dir)->refresh(lab.now);  // same answer: no new snapshot
    EXPECT_EQ(&reader.current(), first);
    lab.dns.answer("api.internal", {target("10.0.0.7", 0)});
    lab.now += kSecond;
    (*dir)->refresh(lab.now);
    const Snapshot& second = reader.current();
    EXPECT_NE(&second, first);
    EXPECT_EQ(second.generation, held->generation + 1);
    EXPECT_TRUE(second.serves(0, addr("10.0.0.7"), 80));
    EXPECT_TRUE(held->serves(0, addr("10.0.0.2"), 80));  // a reader's old snapshot is immutable
}

TEST(BackendDirectory, ProxyLimitFollowsTheNewAddressWithoutARestart) {
    Lab lab("[" + backend(R"("http://api.internal:8080")") + "]", R"({"resolve_interval":"2s"})");
    lab.dns.answer("api.internal", {target("10.0.0.2", 0)});
    auto dir = lab.create();
    ASSERT_TRUE(dir) << dir.error().message;
    uint64_t now_ns = lab.now;  // the engine's own clock: buckets do not refill in this test
    auto engine = xt::policy::PolicyEngine::create(lab.config, [&] { return now_ns; }, *dir);
    ASSERT_TRUE(engine) << engine.error().message;
    auto send = [&](const char* to) {
        xt::policy::RequestInfo r;
        std::vector<xt::http::HeaderField> headers;
        r.method = "GET";
        r.target = "/a";
        r.headers = &headers;
        r.client = addr("192.0.2.1");
        r.backend = addr(to);
        r.backend_port = 8080;
        return std::holds_alternative<xt::policy::Allow>(engine->decide(r));
    };
    EXPECT_TRUE(send("10.0.0.2"));
    EXPECT_FALSE(send("10.0.0.2"));  // capacity 1
    EXPECT_TRUE(send("10.0.0.3"));   // not this backend: no proxy limit
    EXPECT_TRUE(send("10.0.0.3"));
    lab.dns.answer("api.internal", {target("10.0.0.3", 0)});
    lab.now += 2 * kSecond;
    (*dir)->refresh(lab.now);
    EXPECT_FALSE(send("10.0.0.3"));  // the bucket is the backend's: still empty, now for the new address
    EXPECT_TRUE(send("10.0.0.2"));   // the old address is no longer this backend
}

TEST(BackendDirectory, RefresherThreadPublishesChanges) {
    Lab lab("[" + backend(R"("_api._tcp.example")", R"("sd":"dns")") + "]");
    lab.dns.answer("_api._tcp.example", {target("10.0.0.2", 8080)}, 0);  // TTL 0: every second
    auto dir = BackendDirectory::create(lab.config, lab.dns.resolve(), xt::policy::monotonic_clock(),
                                        DirectoryOptions::from(lab.config.gateway));
    ASSERT_TRUE(dir) << dir.error().message;
    BackendDirectory::Reader reader(**dir);
    {
        Refresher refresher(*dir);
        lab.dns.answer("_api._tcp.example", {target("10.0.0.9", 8080)}, 0);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!reader.current().serves(0, addr("10.0.0.9"), 8080) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        EXPECT_TRUE(reader.current().serves(0, addr("10.0.0.9"), 8080));
    }  // the destructor stops and joins the thread promptly
}

TEST(BackendDirectory, ConfigFieldsAreChecked) {
    auto bad = xt::config::parse_config(R"({"version":3,"extra_config":{"xdp-throttle":{"resolve_interval":"100ms"}},
        "endpoints":[{"endpoint":"/a","backend":[{"host":["x"],"sd":"consul","sd_scheme":"ftp"}]}]})");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("$.endpoints[0].backend[0].sd: expected \"static\", \"dns\" or "
                                       "\"dns-shared\", got \"consul\""), std::string::npos) << bad.error().message;
    EXPECT_NE(bad.error().message.find("$.endpoints[0].backend[0].sd_scheme"), std::string::npos);
    EXPECT_NE(bad.error().message.find("resolve_interval: expected a duration from \"1s\" to \"24h\""),
              std::string::npos);
    auto good = xt::config::parse_config(R"({"version":3,"endpoints":[{"endpoint":"/a","backend":[
        {"host":["_api._tcp.example"],"sd":"dns","sd_scheme":"https"},{"host":["x"],"sd":"dns-shared"},{"host":["y"]}]}]})");
    ASSERT_TRUE(good) << good.error().message;
    const auto& b = good->endpoints[0].backends;
    EXPECT_EQ(b[0].sd, xt::config::ServiceDiscovery::dns_srv);
    EXPECT_EQ(b[0].sd_scheme, "https");
    EXPECT_EQ(b[1].sd, xt::config::ServiceDiscovery::dns_srv);
    EXPECT_EQ(b[2].sd, xt::config::ServiceDiscovery::static_hosts);
    EXPECT_EQ(good->gateway.resolve_interval_ns, 30 * kSecond);
}
