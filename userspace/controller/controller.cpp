// A request's path through the controller, top to bottom:
//   the XDP program on A (or B) redirects an HTTP segment into an XSKMAP while the heartbeat is fresh
//   -> afxdp::Engine::poll_once hands the frame to serve_frame()
//   -> FlowTable::on_frame: TCP tracking, HTTP parsing, PolicyEngine decisions
//   -> the verdict on the wire: forward out of the other port, drop, synthesized answers
//   -> flows the table gave up on are written to xt_bypass, so the kernel bridges them from now on;
//      so are the response bodies the table lets skip us (until each body's last byte)
// Around it, in the same loop: the heartbeat, idle-flow and bypass expiry, periodic counters.
#include "controller/controller.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <cerrno>
#include <optional>
#include <vector>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "controller/autoban_writer.hpp"
#include "controller/daemon_config.hpp"
#include "discovery/directory.hpp"
#include "controller/state_file.hpp"
#include "flow/flow_table.hpp"
#include "maps/gateway_maps.hpp"
#include "loader/attachment.hpp"
#include "maps/config.hpp"
#include "maps/paths.hpp"
#include "policy/engine.hpp"

namespace xt::controller {

namespace {

constexpr uint64_t kSweepIntervalNs = 1'000'000'000;
constexpr uint64_t kBypassSweepIntervalNs = 2'000'000'000;
// How long a whole-flow entry lives without a segment bridged because of it (the program stores
// its clock in last_ns at every one). The program never tells us when a bypassed connection ends;
// a new connection reusing its 4-tuple is safe anyway (its SYN deletes the entry in the program),
// so this only bounds how long a dead connection's entry occupies the LRU: long, so that a quiet
// WebSocket is not cut. A tunnel idle for longer comes back to the flow table, which picks it up
// mid-stream like any connection it has not seen start.
constexpr uint64_t kFlowBypassIdleNs = 3'600'000'000'000;
constexpr int kPollTimeoutMs = 20;  // well under the heartbeat interval
constexpr int kDrainRounds = 16;    // bounds drain(): a saturated ring is never empty

xt_flow_key kernel_flow_key(const flow::FlowKey& k) {
    xt_flow_key out{};
    out.client = k.client;
    out.server = k.server;
    out.client_port = htons(k.client_port);
    out.server_port = htons(k.server_port);
    return out;
}

flow::FlowKey table_flow_key(const xt_flow_key& k) {
    return flow::FlowKey{k.client, k.server, ntohs(k.client_port), ntohs(k.server_port)};
}

// A change of the kernel's bypass table the flow table asked for; applied after each round, in
// the order asked (a body skip that ends before the next one begins, or before the flow is
// bypassed whole, must be removed before that entry is written, not after).
struct BypassChange {
    enum class Kind { remove_body_skip, body_skip, flow } kind;
    flow::FlowKey flow;
    uint32_t body_start = 0;
    uint32_t body_end = 0;
};

// The XDP hook of `ifindex` must hold our program: pins survive a detach, a bridge does not.
Status require_attached(uint32_t ifindex, const std::string& name, const std::string& client_iface) {
    const auto attachment = XT_TRY(query_attachment(static_cast<int>(ifindex)));
    if (!attachment || !attachment->ours)
        return failf(ErrorKind::not_found,
                     "{}: xdp-throttle is not attached (its pinned state is left from an earlier "
                     "attach): run 'xdp-throttle attach {} --peer ...' first", name, client_iface);
    return {};
}

// Serves the frames already in the RX rings without waiting for more: rounds until one finds the
// rings empty, at most kDrainRounds. Each round transmits what it forwards.
Status drain(afxdp::Engine& engine, const afxdp::Handler& handler) {
    for (int round = 0; round < kDrainRounds; ++round)
        if (XT_TRY(engine.poll_once(0, handler)) == 0) break;
    return {};
}

bool process_alive(uint32_t pid) {
    return pid != 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

}  // namespace

struct Controller::State {
    config::Config config;
    ControllerOptions options;
    LogSink log;
    InterfaceMaps maps;
    GatewayMaps gateway;
    GatewayPorts ports;
    // Declaration order is destruction order reversed: the engine (sockets) goes first, the
    // table before the policy engine it points to, the policy engine before the autoban writer
    // its rejection observer calls.
    std::shared_ptr<discovery::BackendDirectory> directory;  // backend addresses, kept fresh by:
    std::unique_ptr<discovery::Refresher> refresher;
    std::unique_ptr<AutobanWriter> autoban;
    std::unique_ptr<policy::PolicyEngine> policy;
    std::unique_ptr<flow::FlowTable> table;
    std::unique_ptr<afxdp::Engine> engine;
    std::vector<BypassChange> bypass_changes;  // filled while serving, applied after each round
    uint64_t bypass_entries_written = 0;
    uint64_t bypass_entries_expired = 0;
    uint64_t body_skips_written = 0;
    uint64_t body_skips_removed = 0;
    uint64_t bypass_write_errors = 0;
    flow::FlowCounters reported{};  // the counters at the previous report, for the rates
    uint64_t overflow_episodes_logged = 0;

    void note_client_overflow();

    afxdp::Disposition serve_frame(afxdp::Port ingress, std::span<uint8_t> frame, afxdp::Injector& inject);
    Status beat(uint64_t now_ns);
    void flush_bypasses(uint64_t now_ns);
    void note_kernel_activity();
    Result<std::size_t> expire_bypasses(uint64_t now_ns);
    void report(uint64_t elapsed_ns);
    std::string breaker_section(const std::vector<policy::PolicyEngine::BreakerView>& breakers);
    void write_state(std::vector<policy::PolicyEngine::BreakerView> breakers);
    bool state_write_failed = false;  // logged once, not at every report
    uint64_t max_flows = 0;           // the flow table's bound, for the state file
    bool autoban_enabled = false;
    void log_line(const std::string& line) const {
        if (log) log(line);
    }
};

// The same steps as afxdp::flow_handler, plus noting the changes of the kernel's bypass table.
afxdp::Disposition Controller::State::serve_frame(afxdp::Port ingress, std::span<uint8_t> frame,
                                                  afxdp::Injector& inject) {
    flow::Verdict verdict = table->on_frame(frame);
    // Injected frames leave after this frame: trimmed or released segments follow in order, an
    // answer follows the response it must not overtake.
    for (const auto& f : verdict.onward) inject.send(afxdp::other(ingress), f);
    for (const auto& f : verdict.back) inject.send(ingress, f);
    using Kind = BypassChange::Kind;
    if (verdict.body_skip_done) bypass_changes.push_back({Kind::remove_body_skip, *verdict.body_skip_done});
    if (const auto& skip = verdict.body_skip)
        bypass_changes.push_back({Kind::body_skip, skip->flow, skip->start_seq, skip->end_seq});
    if (verdict.bypass_flow) bypass_changes.push_back({Kind::flow, *verdict.bypass_flow});
    return verdict.forwards() ? afxdp::Disposition::forward : afxdp::Disposition::drop;
}

Status Controller::State::beat(uint64_t now_ns) {
    xt_heartbeat hb{};
    hb.last_ns = now_ns;
    hb.timeout_ns = options.heartbeat_timeout_ns;
    hb.pid = static_cast<uint32_t>(::getpid());
    return write_heartbeat(gateway, hb);
}

void Controller::State::flush_bypasses(uint64_t now_ns) {
    // A failed write leaves the flow coming to us: still served, just not cheaper. A failed
    // removal leaves a body entry that bridges only bytes already past (retransmissions); the
    // sweep deletes it.
    for (const auto& change : bypass_changes) {
        const xt_flow_key key = kernel_flow_key(change.flow);
        switch (change.kind) {
        case BypassChange::Kind::remove_body_skip:
            if (delete_bypass(gateway, key)) ++body_skips_removed;
            else ++bypass_write_errors;
            break;
        case BypassChange::Kind::body_skip:
            if (add_body_skip(gateway, key, change.body_start, change.body_end, now_ns)) ++body_skips_written;
            else ++bypass_write_errors;
            break;
        case BypassChange::Kind::flow:
            if (add_bypass(gateway, key, now_ns)) ++bypass_entries_written;
            else ++bypass_write_errors;
            break;
        }
    }
    bypass_changes.clear();
}

// Body segments the kernel bridges never reach the flow table: before it expires idle flows, it
// learns when the kernel last bridged one of each skipped body (the entry's last_ns). One lookup
// per body in flight, not a walk of the map. An entry that is gone (evicted from the LRU) makes
// the body's segments come to us again: no activity to report.
void Controller::State::note_kernel_activity() {
    for (const auto& key : table->body_skips()) {
        const auto entry = read_bypass(gateway, kernel_flow_key(key));
        if (entry && *entry && (*entry)->kind == XT_BYPASS_RESPONSE_BODY)
            table->kernel_activity(key, (*entry)->last_ns);
    }
}

// Ages the kernel's entries by idle time (now - last_ns). Whole flows: kFlowBypassIdleNs. Body
// skips live as long as the flow table has them; one it has not (its flow expired, or a controller
// before us wrote it) is stale. Any other kind is no one's.
Result<std::size_t> Controller::State::expire_bypasses(uint64_t now_ns) {
    return expire_bypass(gateway, [&](const BypassEntry& e) {
        switch (e.value.kind) {
        case XT_BYPASS_FLOW:
            return bypass_idle_ns(e.value, now_ns) > kFlowBypassIdleNs;
        case XT_BYPASS_RESPONSE_BODY: {
            const auto info = table->info(table_flow_key(e.flow));
            return !info || !info->body_skip;
        }
        default:
            return true;
        }
    });
}

// Once per episode (a stretch of time in which new clients met a full client table), not per
// request: an attacker filling the table must not also fill the log.
void Controller::State::note_client_overflow() {
    const uint64_t episodes = policy->counters().client_overflow_episodes;
    if (episodes <= overflow_episodes_logged) return;
    overflow_episodes_logged = episodes;
    const auto& flows = config.gateway.flows;
    const bool reject = flows.on_clients_full == config::FlowLimits::OnClientsFull::reject;
    log_line(fmt::format("client table full: a client limit holds {} buckets that are all still in use "
                         "(flows.max_clients_per_limit); new clients {} until one refills (episode {})",
                         flows.max_clients_per_limit,
                         reject ? "get the limit's 429 (flows.on_clients_full \"reject\")"
                                : fmt::format("share the limit's overflow bucket ({} clients' worth, "
                                              "flows.overflow_clients)", flows.overflow_clients),
                         episodes));
}

// "| breakers NAME:STATE failures N opens N, ..." (nothing without breakers): appended last, so
// the fields before keep their places for the scripts that read them.
std::string Controller::State::breaker_section(const std::vector<policy::PolicyEngine::BreakerView>& breakers) {
    if (breakers.empty()) return {};
    std::string out = " | breakers ";
    for (std::size_t i = 0; i < breakers.size(); ++i) {
        const auto& b = breakers[i];
        out += fmt::format("{}{}:{} failures {} opens {}", i ? ", " : "", b.name, policy::to_string(b.state),
                           b.failures, b.opens);
    }
    return out;
}

void Controller::State::write_state(std::vector<policy::PolicyEngine::BreakerView> breakers) {
    if (options.state_file.empty()) return;
    DaemonState st;
    st.iface = ports.client_iface;
    st.peer = ports.server_iface;
    st.pid = static_cast<uint32_t>(::getpid());
    st.written_unix = static_cast<uint64_t>(::time(nullptr));
    st.requests = table->counters().requests;
    st.rejected = table->counters().rejected;
    st.breakers = std::move(breakers);
    st.tables.push_back({"flows", table->size(), max_flows});
    for (auto& t : policy->client_tables())
        st.tables.push_back({"client buckets " + t.limit, t.entries, t.max_entries});
    if (autoban_enabled) st.tables.push_back({"autoban windows", autoban->windows(), autoban->max_windows()});
    if (auto written = write_state_file(options.state_file, state_json(st)); !written) {
        if (!state_write_failed) log_line(fmt::format("state file not written: {}", written.error().message));
        state_write_failed = true;
    } else {
        state_write_failed = false;
    }
}

void Controller::State::report(uint64_t elapsed_ns) {
    auto breakers = policy->breakers();
    const flow::FlowCounters& last = reported;
    const auto& c = table->counters();
    const auto& e = engine->stats();
    const policy::PolicyEngine::Counters pc = policy->counters();
    const double seconds = static_cast<double>(elapsed_ns) / 1e9;
    const auto per_s = [seconds](uint64_t now, uint64_t before) {
        return seconds > 0 ? static_cast<double>(now - before) / seconds : 0.0;
    };
    log_line(fmt::format(
        "flows {} active, {} created, {} closed, {} expired, {} evicted, {} refused (table full), {} "
        "bypassed ({} tunnels) | requests {} ({:.0f}/s), rejected {} ({:.0f}/s), responses {} | "
        "clients overflow {} (episodes {}), forgotten {} | uninspectable: closed {}, parse_error {}, "
        "head_too_large {}, buffer_limit {}, h2c {}, gap {}, responses_unfollowed {}, "
        "tombstones_full {} | "
        "frames rx A {} B {}, tx A {} B {}, injected {} | "
        "tx_ring_full {} inject_failed {} fill_short {} | bypass entries +{} -{} (errors {}) | "
        "body skips {} (+{} -{}), {:.1f} MB not seen | "
        "bots {} (empty {}, deny {}, pattern {}, cache hits {}){} | {}",
        table->size(), c.flows_created, c.flows_closed, c.flows_expired, c.flows_evicted,
        c.refused_full, c.bypassed_flows, c.bypass_tunnel, c.requests, per_s(c.requests, last.requests),
        c.rejected, per_s(c.rejected, last.rejected), c.responses, pc.client_overflow_requests,
        pc.client_overflow_episodes, pc.clients_forgotten, c.closed_uninspectable,
        c.uninspectable_parse_error, c.uninspectable_head_too_large, c.uninspectable_buffer_limit,
        c.uninspectable_h2c, c.uninspectable_gap, c.responses_unfollowed, c.tombstones_full,
        e.rx[0], e.rx[1], e.tx[0], e.tx[1], e.injected, e.tx_ring_full, e.inject_failed, e.fill_short,
        bypass_entries_written, bypass_entries_expired, bypass_write_errors, c.body_skips,
        body_skips_written, body_skips_removed, static_cast<double>(c.body_bytes_skipped) / 1e6,
        pc.bots.bots(), pc.bots.empty, pc.bots.deny, pc.bots.pattern, pc.bots.cache_hits,
        breaker_section(breakers), autoban->stats()));
    if (directory->size() > 0) {
        const auto d = directory->counters();
        log_line(fmt::format("discovery: backends {}, lookups {}, failed {} (hosts failing now {}), "
                             "set changes {}", directory->size(), d.lookups, d.failures, d.failing,
                             d.changes));
    }
    reported = c;
    write_state(std::move(breakers));
}

Controller::Controller(std::unique_ptr<State> state) : state_(std::move(state)) {}
Controller::~Controller() = default;

const std::string& Controller::client_iface() const { return state_->ports.client_iface; }
const std::string& Controller::server_iface() const { return state_->ports.server_iface; }

Result<std::unique_ptr<Controller>> Controller::create(config::Config config, ControllerOptions options,
                                                       LogSink log) {
    auto state = std::make_unique<State>();
    state->options = options;
    state->log = std::move(log);
    const std::string iface = config.gateway.iface;

    std::error_code fs_error;
    if (!std::filesystem::is_directory(pin_dir(iface), fs_error))
        return failf(ErrorKind::not_found,
                     "{}: xdp-throttle is not attached ({} does not exist): run 'xdp-throttle attach {} "
                     "--peer SERVER_SIDE_IFACE' first{}", iface, pin_dir(iface).string(), iface,
                     std::getenv(kBpffsEnv) ? "" : " (or set XDP_THROTTLE_BPFFS to the bpffs it used)");
    state->maps = XT_TRY(InterfaceMaps::open(iface));
    const xt_config stored = XT_TRY(read_config(state->maps));
    state->ports = XT_TRY(gateway_ports(stored, iface));
    state->gateway = XT_TRY(GatewayMaps::open(iface));
    if (!config.gateway.peer.empty() && config.gateway.peer != state->ports.server_iface)
        return failf(ErrorKind::invalid_input,
                     "{} is bridged to {}, not to {}: re-attach with 'xdp-throttle attach {} --peer {}' "
                     "or fix the peer", iface, state->ports.server_iface, config.gateway.peer, iface,
                     config.gateway.peer);
    config.gateway.peer = state->ports.server_iface;
    if (!config.gateway.http_ports)  // neither file nor flag: what the attach recorded
        config.gateway.http_ports = HttpPorts::recorded(stored).value_or(HttpPorts{});
    XT_TRY(require_attached(state->ports.client_ifindex, iface, iface));
    XT_TRY(require_attached(state->ports.server_ifindex, state->ports.server_iface, iface));

    // Two controllers would steal each other's XSKMAP slots; a heartbeat left by a dead one is fine.
    const xt_heartbeat beat = XT_TRY(read_heartbeat(state->gateway));
    if (heartbeat_fresh(beat, monotonic_now_ns()) && beat.pid != static_cast<uint32_t>(::getpid()) &&
        process_alive(beat.pid))
        return failf(ErrorKind::busy, "another controller (pid {}) is serving {}: stop it first", beat.pid,
                     iface);

    // Backend names are resolved here, before anything is steered to us; from then on the
    // refresher thread re-resolves them and the policy engine follows without a restart.
    state->directory = XT_TRY(discovery::BackendDirectory::create(
        config, discovery::system_resolve(), policy::monotonic_clock(),
        discovery::DirectoryOptions::from(config.gateway), state->log));
    state->policy = std::make_unique<policy::PolicyEngine>(
        XT_TRY(policy::PolicyEngine::create(config, policy::monotonic_clock(), state->directory)));
    state->autoban = std::make_unique<AutobanWriter>(config, state->maps, state->log);
    if (!config.gateway.autoban.rules.empty())
        state->policy->set_rejection_observer(
            [writer = state->autoban.get()](const policy::RequestInfo& request,
                                            const policy::Reject& reject) {
                writer->on_reject(request, reject);
            });
    state->max_flows = config.gateway.flows.max_flows;
    state->autoban_enabled = !config.gateway.autoban.rules.empty();
    state->table = std::make_unique<flow::FlowTable>(flow::FlowTableOptions::from(config.gateway),
                                                     *state->policy, policy::monotonic_clock());
    // The circuit breakers learn how each request they admitted ended, as the wire showed it.
    State* raw = state.get();
    state->policy->set_log([raw](const std::string& line) { raw->log_line(line); });
    if (!state->policy->breakers().empty())  // no call per response without a breaker
        state->table->set_response_observer([raw](const flow::ResponseRecord& r) {
            if (r.breaker) raw->policy->backend_result(*r.breaker, r.outcome, r.status);
        });

    afxdp::EngineConfig ec;
    ec.bind_mode = options.bind_mode;
    ec.ring_size = options.ring_size;
    ec.ports[0] = {state->ports.client_iface, {}, state->gateway.xsk_client.get()};
    ec.ports[1] = {state->ports.server_iface, {}, state->gateway.xsk_server.get()};
    state->engine = XT_TRY(afxdp::Engine::create(ec));
    // Last: a controller that cannot start leaves the kernel settings as they were (its sockets in
    // the XSKMAPs are harmless: nothing is steered to them without a fresh heartbeat).
    XT_TRY(apply_kernel_settings(state->maps, config.gateway));
    state->config = std::move(config);
    if (state->directory->next_due() != UINT64_MAX)
        state->refresher = std::make_unique<discovery::Refresher>(state->directory);
    return std::make_unique<Controller>(std::move(state));
}

Status Controller::run(const std::atomic<bool>& stop) {
    State& s = *state_;
    const afxdp::Handler handler = [&s](afxdp::Port in, std::span<uint8_t> frame, afxdp::Injector& inject) {
        return s.serve_frame(in, frame, inject);
    };
    uint64_t now = monotonic_now_ns();
    uint64_t last_beat = 0, last_sweep = now, last_bypass_sweep = now, last_report = now;
    Status result;
    s.log_line(fmt::format("serving {} (client side) <-> {} (server side): {} AF_XDP sockets, {} "
                           "endpoints, HTTP ports {}, heartbeat every {} ms (timeout {} ms)",
                           s.ports.client_iface, s.ports.server_iface, s.engine->socket_count(),
                           s.config.endpoints.size(), fmt::join(s.config.gateway.http_ports->values(), ","),
                           s.options.heartbeat_interval_ns / 1'000'000,
                           s.options.heartbeat_timeout_ns / 1'000'000));
    while (!stop.load(std::memory_order_relaxed)) {
        now = monotonic_now_ns();
        if (now - last_beat >= s.options.heartbeat_interval_ns) {
            if (result = s.beat(now); !result) break;
            last_beat = now;
        }
        auto polled = s.engine->poll_once(kPollTimeoutMs, handler);
        if (!polled) {
            result = tl::unexpected(polled.error());
            break;
        }
        if (!s.bypass_changes.empty()) {
            // Entries are written once the rings are drained. From the write on, the kernel
            // bridges the flow's (or body's) segments at once; one still waiting in our ring would
            // reach the client after later ones, and on a short path (veth: min RTT a few us)
            // the sender's RACK takes such reordering for loss: spurious retransmissions and a
            // congestion window cut at the start of every download. Drained, only segments in
            // flight during the write itself can still be overtaken.
            if (result = drain(*s.engine, handler); !result) break;
            s.flush_bypasses(monotonic_now_ns());
        }
        s.table->expire_responses();  // the front of each deadline FIFO: cheap every round
        s.autoban->flush();
        now = monotonic_now_ns();
        if (now - last_sweep >= kSweepIntervalNs) {
            s.note_kernel_activity();
            s.table->expire_idle();
            s.note_client_overflow();
            s.autoban->note_episodes();
            last_sweep = now;
        }
        if (now - last_bypass_sweep >= kBypassSweepIntervalNs) {
            if (auto expired = s.expire_bypasses(now)) s.bypass_entries_expired += *expired;
            last_bypass_sweep = now;
        }
        if (s.options.stats_interval_ns && now - last_report >= s.options.stats_interval_ns) {
            s.report(now - last_report);
            last_report = now;
        }
    }
    // Fail-open at once: the kernel bridges everything from the next packet on. Then the frames
    // already in our RX rings are served (a few rounds, bounded), so a clean stop loses nothing
    // that TCP would have to retransmit.
    if (auto cleared = clear_heartbeat(s.gateway); !cleared && result) result = cleared;
    if (result) (void)drain(*s.engine, handler);
    s.autoban->flush();
    s.report(monotonic_now_ns() - last_report);
    return result;
}

}  // namespace xt::controller
