// Test tool: a transparent bridge between two interfaces through xt::afxdp::Engine.
//   xt_afxdp_bridge --a IFACE --b IFACE [--seconds N] [--config krakend.json] [--trace 1] [--ring N]
// Attaches tests/gateway/xsk_redirect.bpf.c to both interfaces (native mode), hands its XSKMAPs to
// the engine, forwards until SIGINT/SIGTERM or N seconds, prints counters, detaches. With --config
// every frame goes through the flow table and policy engine (A is the client side), so rejections
// are synthesized on the wire.
#include <linux/if_link.h>
#include <net/if.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "afxdp/engine.hpp"
#include "afxdp/flow_handler.hpp"
#include "config/load_config.hpp"
#include "flow/flow_table.hpp"
#include "packet/tcp_frame.hpp"
#include "policy/engine.hpp"
#include "xsk_redirect.skel.h"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

struct SkeletonDeleter {
    void operator()(xsk_redirect* s) const { xsk_redirect__destroy(s); }
};

// Our test program on one interface, detached on scope exit.
struct Attached {
    std::unique_ptr<xsk_redirect, SkeletonDeleter> skel;
    int ifindex = 0;
    Attached() = default;
    Attached(Attached&& o) noexcept : skel(std::move(o.skel)), ifindex(std::exchange(o.ifindex, 0)) {}
    Attached& operator=(Attached&&) = delete;
    ~Attached() {
        if (ifindex) bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, nullptr);
    }
};

std::optional<Attached> attach(const std::string& ifname) {
    Attached a;
    a.skel.reset(xsk_redirect__open_and_load());
    if (!a.skel) {
        fmt::print(stderr, "cannot load xsk_redirect: {}\n", std::strerror(errno));
        return std::nullopt;
    }
    const int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
    if (!ifindex) {
        fmt::print(stderr, "no interface {}\n", ifname);
        return std::nullopt;
    }
    const int rc = bpf_xdp_attach(ifindex, bpf_program__fd(a.skel->progs.xsk_redirect),
                                  XDP_FLAGS_DRV_MODE, nullptr);
    if (rc) {
        fmt::print(stderr, "cannot attach to {}: {}\n", ifname, std::strerror(-rc));
        return std::nullopt;
    }
    a.ifindex = ifindex;
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    std::string if_a, if_b, config_path;
    double seconds = 0;
    bool trace = false;
    uint32_t ring = 1024;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--a") if_a = argv[i + 1];
        else if (flag == "--b") if_b = argv[i + 1];
        else if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
        else if (flag == "--config") config_path = argv[i + 1];
        else if (flag == "--trace") trace = std::string(argv[i + 1]) == "1";
        else if (flag == "--ring") ring = static_cast<uint32_t>(std::stoul(argv[i + 1]));
        else {
            fmt::print(stderr, "unknown flag {}\n", flag);
            return 2;
        }
    }
    if (if_a.empty() || if_b.empty()) {
        fmt::print(stderr, "usage: {} --a IFACE --b IFACE [--seconds N] [--config FILE]\n", argv[0]);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    std::optional<xt::policy::PolicyEngine> policy;
    std::optional<xt::flow::FlowTable> flows;
    if (!config_path.empty()) {
        auto config = xt::config::load_config(config_path);
        if (!config) {
            fmt::print(stderr, "{}\n", config.error().message);
            return 2;
        }
        auto engine = xt::policy::PolicyEngine::create(*config, xt::policy::monotonic_clock());
        if (!engine) {
            fmt::print(stderr, "{}\n", engine.error().message);
            return 2;
        }
        policy.emplace(std::move(*engine));
        flows.emplace(xt::flow::FlowTableOptions::from(config->gateway), *policy,
                      xt::policy::monotonic_clock());
    }

    auto a = attach(if_a);
    auto b = attach(if_b);
    if (!a || !b) return 1;
    xt::afxdp::EngineConfig ec;
    ec.ring_size = ring;
    ec.frame_count = 0;  // the default: enough for every ring
    ec.ports[0] = {if_a, {}, bpf_map__fd(a->skel->maps.xsks)};  // every RX queue
    ec.ports[1] = {if_b, {}, bpf_map__fd(b->skel->maps.xsks)};
    auto engine = xt::afxdp::Engine::create(ec);
    if (!engine) {
        fmt::print(stderr, "{}\n", engine.error().message);
        return 1;
    }
    fmt::print("bridging {} <-> {} through AF_XDP{}: sockets {} frames {} ring {}\n", if_a, if_b,
               flows ? " with the flow table" : "", (*engine)->socket_count(), (*engine)->frame_count(),
               ec.ring_size);
    std::fflush(stdout);

    const xt::afxdp::Handler forward_all = [](xt::afxdp::Port, std::span<uint8_t>, xt::afxdp::Injector&) {
        return xt::afxdp::Disposition::forward;
    };
    const xt::afxdp::Handler through_flows = flows ? xt::afxdp::flow_handler(*flows) : forward_all;
    // --trace 1: one line per frame and per synthesized frame, for debugging the lab.
    auto describe = [](std::span<const uint8_t> f) {
        auto p = xt::packet::parse_frame(f);
        if (p.kind != xt::packet::FrameKind::tcp) return std::string("non-tcp");
        return fmt::format("{}->{} seq {} ack {} flags {:#x} len {}", p.tcp.ends.src_port,
                           p.tcp.ends.dst_port, p.tcp.seq, p.tcp.ack, p.tcp.flags, p.tcp.payload_len);
    };
    struct TracingInjector : xt::afxdp::Injector {
        xt::afxdp::Injector* inner = nullptr;
        decltype(describe)* describe_fn = nullptr;
        bool send(xt::afxdp::Port out, std::span<const uint8_t> f) override {
            fmt::print(stderr, "   inject {} {}\n", xt::afxdp::to_string(out), (*describe_fn)(f));
            return inner->send(out, f);
        }
    };
    const xt::afxdp::Handler handler = !trace ? through_flows
        : xt::afxdp::Handler([&](xt::afxdp::Port in, std::span<uint8_t> frame, xt::afxdp::Injector& inject) {
              TracingInjector tracing;
              tracing.inner = &inject;
              tracing.describe_fn = &describe;
              const auto d = through_flows(in, frame, tracing);
              fmt::print(stderr, "{} {} -> {}\n", xt::afxdp::to_string(in), describe(frame),
                         d == xt::afxdp::Disposition::forward ? "forward" : "drop");
              return d;
          });
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    auto last_sweep = std::chrono::steady_clock::now();
    while (!g_stop.load()) {
        if (seconds > 0 && std::chrono::steady_clock::now() >= deadline) break;
        auto r = (*engine)->poll_once(100, handler);
        if (!r) {
            fmt::print(stderr, "{}\n", r.error().message);
            return 1;
        }
        if (flows && std::chrono::steady_clock::now() - last_sweep > std::chrono::seconds(1)) {
            flows->expire_idle();
            last_sweep = std::chrono::steady_clock::now();
        }
    }
    const auto& s = (*engine)->stats();
    fmt::print("rx A {} B {} | tx A {} B {} | dropped {} tx_ring_full {} injected {} "
               "inject_failed {} kick_errors {} fill_short {} free_frames {}\n",
               s.rx[0], s.rx[1], s.tx[0], s.tx[1], s.dropped, s.tx_ring_full, s.injected,
               s.inject_failed, s.kick_errors, s.fill_short, (*engine)->free_frames());
    fmt::print("rx by socket {} | kicks {} again {}\n", fmt::join(s.rx_by_socket, " "), s.kicks,
               s.kick_again);
    if (flows) {
        const auto& c = flows->counters();
        fmt::print("flows: created {} active {} requests {} rejected {} responses {} bypassed {}\n",
                   c.flows_created, flows->size(), c.requests, c.rejected, c.responses, c.bypassed_flows);
    }
    return 0;
}
