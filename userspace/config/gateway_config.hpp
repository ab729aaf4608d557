// The configuration of gateway mode, as loaded from a KrakenD-shaped JSON file (see
// load_config.hpp). Plain data: loading fills it, nothing here acts on the system.
//
// KrakenD's own blocks keep KrakenD's meaning (rates per `every`, capacity, strategies, the status
// codes they lead to); what KrakenD has no word for lives under the root extra_config namespace
// "xdp-throttle" (GatewaySettings below; documented field by field in examples/README.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"
#include "input/address.hpp"
#include "input/http_ports.hpp"

namespace xt::config {

inline constexpr const char* kOwnNamespace = "xdp-throttle";

// The status codes the gateway answers (policy/engine.cpp decides them, check-config --json reports
// them): KrakenD's own, except 503 for an open breaker (KrakenD: 500), which clients can act on.
inline constexpr unsigned kSharedLimitStatus = 503;  // service, endpoint and proxy buckets
inline constexpr unsigned kClientLimitStatus = 429;
inline constexpr unsigned kOpenBreakerStatus = 503;
inline constexpr unsigned kBotStatus = 403;
// The KrakenD namespaces this project enforces.
inline constexpr std::string_view kRouterNs = "qos/ratelimit/router";
inline constexpr std::string_view kServiceNs = "qos/ratelimit/service";
inline constexpr std::string_view kProxyNs = "qos/ratelimit/proxy";
inline constexpr std::string_view kCircuitBreakerNs = "qos/circuit-breaker";
inline constexpr std::string_view kBotDetectorNs = "security/bot-detector";
inline constexpr uint64_t kDefaultTimeoutNs = 2'000'000'000;  // KrakenD's `timeout` default

// A token bucket as KrakenD writes it: `max_rate` tokens per `every`, holding at most `capacity`.
// max_rate may be fractional (0.5 per 1s); capacity is already defaulted (never 0 once loaded).
struct TokenRate {
    double max_rate = 0;
    uint64_t capacity = 0;
    uint64_t every_ns = 1'000'000'000;
};

enum class ClientStrategy { ip, header, param };

const char* to_string(ClientStrategy strategy);

// `client_max_rate`/`client_capacity` with the `strategy` that says who a client is and `key`
// (the header name for `header`, the placeholder name for `param`, an optional forwarded-for header
// for `ip`, honoured only from trusted proxies).
struct ClientRateLimit {
    TokenRate rate;
    ClientStrategy strategy = ClientStrategy::ip;
    std::string key;
    // false: the block names no strategy. We limit per address then; KrakenD CE
    // (krakend-ratelimit v3.3.1) logs "Unknown strategy" and applies no per-client limit at all.
    bool strategy_given = true;
};

// `qos/ratelimit/router` (per endpoint) and `qos/ratelimit/service` (root) share this shape:
// `shared` is the one bucket for everybody (503 when empty), `client` a bucket per client (429).
struct RateLimit {
    std::optional<TokenRate> shared;
    std::optional<ClientRateLimit> client;
};

// `qos/circuit-breaker`: seconds as in KrakenD (policy/circuit_breaker.hpp has the semantics).
struct CircuitBreaker {
    uint64_t interval_s = 0;
    uint64_t timeout_s = 0;
    uint64_t max_errors = 0;
    bool log_status_change = false;
    std::string name;
};

// `security/bot-detector` (service or endpoint scope), enforced by policy/bot_detector.hpp.
struct BotDetector {
    std::vector<std::string> allow;
    std::vector<std::string> deny;
    std::vector<std::string> patterns;
    uint64_t cache_size = 0;
    bool empty_user_agent_is_bot = false;
};

// One entry of `backend[].host`: "http://127.0.0.1:8080" -> scheme http, host 127.0.0.1, port 8080.
struct BackendHost {
    std::string url;     // as written
    std::string scheme;  // "http" when absent
    std::string host;    // name or address literal (IPv6 without brackets)
    uint16_t port = 80;  // the scheme's default when absent
};

// KrakenD's `sd`: how `host` becomes the set of addresses the backend is reached at.
//   static  each host entry is an address or a name resolved to addresses (A/AAAA), its URL's port
//   dns     each host entry is a DNS SRV name; the records' targets (resolved to A/AAAA) with the
//           records' ports form the set ("dns-shared" is KrakenD's variant sharing the lookup
//           between backends: the same set here)
enum class ServiceDiscovery { static_hosts, dns_srv };

// Where each loaded namespace block was written: v2 namespace name -> JSON path of the block (under
// its 1.x name when it was written so).
using BlockPaths = std::map<std::string, std::string, std::less<>>;

struct Backend {
    std::string json_path;  // "$.endpoints[2].backend[0]", for messages and metrics labels
    BlockPaths blocks;
    std::vector<BackendHost> hosts;
    ServiceDiscovery sd = ServiceDiscovery::static_hosts;
    std::string sd_scheme = "http";  // KrakenD's scheme for SRV-discovered hosts; not used on the wire
    std::string url_pattern;
    std::optional<TokenRate> proxy_limit;  // qos/ratelimit/proxy
    std::optional<CircuitBreaker> circuit_breaker;
};

// How the `ip` strategy groups client addresses into one bucket: an attacker owns a whole IPv6 /64
// (2^64 addresses), so IPv6 clients are keyed by their /64 unless configured otherwise.
struct ClientPrefixes {
    uint8_t v4 = 32;
    uint8_t v6 = 64;
};

struct Endpoint {
    std::string json_path;  // "$.endpoints[2]"
    BlockPaths blocks;
    std::string pattern;    // "/users/{id}" (with the leading '/' KrakenD adds when it is missing)
    std::string route;      // as KrakenD's router (gin) registers it: "/users/:id"
    std::string method;     // upper case, "GET" when absent
    // KrakenD CE's router registers GET, POST, PUT, PATCH and DELETE only; an endpoint with another
    // method loads (and is enforced here) but KrakenD skips it with "Unsupported method".
    bool krakend_registers = true;
    // `timeout`, else the root's, else KrakenD's 2 s: a backend that sends no response head within
    // it is a circuit-breaker failure.
    uint64_t timeout_ns = kDefaultTimeoutNs;
    std::optional<RateLimit> router_limit;  // qos/ratelimit/router
    std::optional<ClientPrefixes> client_prefixes;  // its own "xdp-throttle" block; else the root's
    std::optional<BotDetector> bot_detector;
    std::vector<Backend> backends;
};

// ---- this project's own namespace ("xdp-throttle" in the root extra_config) ----

// L3/L4 limits enforced by the XDP program. Each rate is already in its kernel form
// (xt::make_rate validated it); rate == 0 means the stage is off.
struct L3Limits {
    xt_rate spike{};       // packets per source
    xt_rate syn{};         // TCP SYNs per source
    xt_rate syn_global{};  // TCP SYNs of all sources together
    bool spike_per_prefix = false;
    uint8_t spike_prefix_v4 = 24;
    uint8_t spike_prefix_v6 = 64;
};

// Bounds of the controller's state; what happens at each bound is documented in examples/README.md.
struct FlowLimits {
    uint64_t max_flows = 65536;
    uint64_t max_head_bytes = 64 * 1024;  // above nginx's default (~32 KB): see http::StreamLimits
    uint64_t max_buffered_bytes_per_flow = 65536;
    uint64_t idle_timeout_ns = 60'000'000'000;
    uint64_t max_clients_per_limit = 65536;  // client buckets kept per client limit
    // When every bucket is live (none would be full by now): new clients share one overflow bucket
    // per limit holding `overflow_clients` clients' worth (rate and capacity times that), or are
    // refused with the limit's 429.
    enum class OnClientsFull { overflow, reject } on_clients_full = OnClientsFull::overflow;
    uint64_t overflow_clients = 64;
};

// `autoban` in the "xdp-throttle" namespace: rejections that ban their client's L3 source address in
// the XDP ban box (userspace/policy/autoban.hpp has the semantics). No rules: off.
enum class AutobanOn { client_limit, bot };
const char* to_string(AutobanOn on);

struct AutobanRule {
    std::string json_path;  // "$.extra_config[\"xdp-throttle\"].autoban.rules[0]"
    AutobanOn on = AutobanOn::client_limit;
    uint64_t count = 1;      // rejections of kind `on` ...
    uint64_t within_ns = 0;  // ... within this sliding window (0 only when count is 1) ...
    uint64_t ban_for_ns = 0; // ... ban the source for this long
};

struct Autoban {
    std::vector<AutobanRule> rules;
    std::vector<Cidr> never;  // never banned (nor are trusted_proxies)
    uint64_t max_bans_per_minute = 100;
    // Per-source sliding windows kept at most (all rules together); see examples/README.md for the
    // memory cost and what happens when it is full.
    uint64_t max_windows = 65536;
};

// What the controller does with a connection it cannot follow (a parse error, an oversized head, a
// gap it cannot fill, h2c): close it (the default), or stop inspecting it and let the backend judge
// (fail-open: the connection escapes every HTTP-layer limit from then on).
enum class OnUninspectable { close, bypass };

// Which backend responses a circuit breaker counts as failures ("breaker_failures").
enum class BreakerFailures {
    server_errors,  // "5xx" (default): status 500 and above
    strict,         // "strict": anything but 200 and 201, as KrakenD's default status handler
};

struct GatewaySettings {
    std::string iface;  // client side (empty: given on the command line)
    std::string peer;   // server side
    // nullopt: the file names none (the daemon takes the ports the attach recorded, else {80}).
    std::optional<HttpPorts> http_ports;
    std::vector<Cidr> trusted_proxies;  // whose forwarded-for header the `ip` strategy believes
    bool service_limit_all_paths = true;  // false: service limits count matched endpoints only
    L3Limits l3;
    FlowLimits flows;
    OnUninspectable on_uninspectable = OnUninspectable::close;
    ClientPrefixes client_prefixes;  // for the service limit, and endpoints without their own
    // How often backend host names (sd "static") are resolved again; SRV names follow their TTL
    // (at least 1s, at most this).
    uint64_t resolve_interval_ns = 30'000'000'000;
    BreakerFailures breaker_failures = BreakerFailures::server_errors;
    Autoban autoban;
};

// A backend the gateway cannot see on the wire (a pub/sub or cloud-function backend: its traffic
// leaves the API gateway as something else than HTTP to `host`). Its proxy limit and circuit
// breaker, if any, are dropped at load time (kept out of Backend), and listed here.
struct UnenforceableBackend {
    std::string json_path;  // "$.endpoints[2].backend[0]"
    std::string reason;     // "host scheme \"kafka\"", "namespace \"backend/lambda\""
    std::vector<std::string> dropped;  // the namespaces that cannot apply ("qos/ratelimit/proxy")
};

// A namespace found in some extra_config that this project does not enforce, listed once.
struct IgnoredNamespace {
    std::string name;
    std::string first_path;  // where it was first seen
    std::size_t occurrences = 0;
};

struct Config {
    std::string source;  // file name, or "<string>"
    BlockPaths blocks;   // of the root extra_config
    std::vector<Endpoint> endpoints;
    std::optional<RateLimit> service_limit;  // qos/ratelimit/service
    std::optional<BotDetector> bot_detector; // root security/bot-detector
    GatewaySettings gateway;
    std::vector<IgnoredNamespace> ignored_namespaces;
    std::vector<UnenforceableBackend> unenforceable_backends;
    std::vector<std::string> warnings;  // accepted, but probably not what the operator meant
};

}  // namespace xt::config
