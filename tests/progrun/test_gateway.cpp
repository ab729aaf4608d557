// Gateway mode (bpf/abi.h, "gateway mode"; bpf/stage_steer.h): which frames are bridged through
// XT_MAP_PORTS, which go to the controller's AF_XDP sockets, and that the L3/L4 stages judge only
// the client side. Each test runs in a network namespace of its own with a real veth pair (A, B)
// whose ifindexes the frames arrive on (BPF_PROG_TEST_RUN's ctx.ingress_ifindex), and, where the
// steering itself is checked, real AF_XDP sockets bound to their queues in the XSKMAPs.
//
// Without BPF_F_TEST_XDP_LIVE_FRAMES nothing is transmitted: XDP_REDIRECT is the program's answer
// when bpf_redirect_map() found its target. Both targets answer XDP_REDIRECT, so the counters
// `redirected` (the bridge) and `to_controller` (a socket) tell them apart: each test is a table of
// steps (progrun_fixture.hpp, Step) whose runner checks both at every step.
#include <bpf/bpf.h>
#include <arpa/inet.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mman.h>
#include <xdp/xsk.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

constexpr const char* kClient = "192.0.2.10";
constexpr const char* kServer = "198.51.100.20";
constexpr uint16_t kClientPort = 40000;

// One AF_XDP socket in copy mode on one queue, with its own small UMEM. Never receives anything
// here: it exists so that the XSKMAP lookup of the program finds a bound socket.
class XskSocket {
public:
    static std::unique_ptr<XskSocket> bind(const char* ifname, uint32_t queue) {
        auto s = std::unique_ptr<XskSocket>(new XskSocket);
        s->area_ = mmap(nullptr, kAreaSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (s->area_ == MAP_FAILED) {
            ADD_FAILURE() << "mmap: " << std::strerror(errno);
            s->area_ = nullptr;
            return nullptr;
        }
        if (int err = xsk_umem__create(&s->umem_, s->area_, kAreaSize, &s->fill_, &s->comp_, nullptr)) {
            ADD_FAILURE() << "xsk_umem__create: " << std::strerror(-err);
            return nullptr;
        }
        xsk_socket_config config{};
        config.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS;
        config.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS;
        config.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;  // the XSKMAP is ours
        config.bind_flags = XDP_COPY;
        if (int err = xsk_socket__create(&s->socket_, ifname, queue, s->umem_, &s->rx_, &s->tx_, &config)) {
            ADD_FAILURE() << "xsk_socket__create on " << ifname << " queue " << queue << ": "
                          << std::strerror(-err);
            return nullptr;
        }
        return s;
    }
    ~XskSocket() {
        if (socket_) xsk_socket__delete(socket_);
        if (umem_) xsk_umem__delete(umem_);
        if (area_) munmap(area_, kAreaSize);
    }
    int fd() const { return xsk_socket__fd(socket_); }

private:
    XskSocket() = default;
    static constexpr size_t kAreaSize = 4096 * 4096;  // XSK_RING_*__DEFAULT_NUM_DESCS frames
    void* area_ = nullptr;
    xsk_umem* umem_ = nullptr;
    xsk_socket* socket_ = nullptr;
    xsk_ring_prod fill_{}, tx_{};
    xsk_ring_cons comp_{}, rx_{};
};

class GatewayTest : public ProgRunTest {
protected:
    // The veth pair: A faces the clients, B the servers.
    static constexpr const char* kPortA = "xtgwa";
    static constexpr const char* kPortB = "xtgwb";

    void SetUp() override {
        ProgRunTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        // A private network namespace per test: the veths vanish with it, whatever happens.
        ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno);
        const std::string create = std::string("ip link add ") + kPortA +
                                   " numrxqueues 2 numtxqueues 2 type veth peer name " + kPortB +
                                   " numrxqueues 2 numtxqueues 2 && ip link set " + kPortA +
                                   " up && ip link set " + kPortB + " up";
        ASSERT_EQ(std::system(create.c_str()), 0) << create;
        port_a_ = if_nametoindex(kPortA);
        port_b_ = if_nametoindex(kPortB);
        ASSERT_NE(port_a_, 0u);
        ASSERT_NE(port_b_, 0u);

        config_.flags |= XT_CFG_GATEWAY;
        config_.client_ifindex = port_a_;
        config_.server_ifindex = port_b_;
        config_.http_ports[0] = 80;
        apply_config();
        link(port_a_, port_b_);
        link(port_b_, port_a_);
        beat(kT0 - 100 * kMillisecond, kSecond);
    }

    void link(uint32_t from, uint32_t to) {
        bpf_devmap_val value{};
        value.ifindex = to;
        value.bpf_prog.fd = -1;
        ASSERT_EQ(bpf_map_update_elem(map_fd(XT_NAME(XT_MAP_PORTS)), &from, &value, BPF_ANY), 0)
            << std::strerror(errno);
    }

    void beat(uint64_t last_ns, uint64_t timeout_ns) {
        const uint32_t zero = 0;
        const xt_heartbeat heartbeat{.last_ns = last_ns, .timeout_ns = timeout_ns, .pid = 1, .pad = 0};
        ASSERT_EQ(bpf_map_update_elem(map_fd(XT_NAME(XT_MAP_HEARTBEAT)), &zero, &heartbeat, BPF_ANY), 0)
            << std::strerror(errno);
    }

    // A socket on queue `queue` of a port, inserted into that port's XSKMAP.
    std::unique_ptr<XskSocket> socket_on(const char* port, uint32_t queue) {
        auto socket = XskSocket::bind(port, queue);
        if (!socket) return nullptr;
        const char* map = std::string_view(port) == kPortA ? XT_NAME(XT_MAP_XSK_CLIENT)
                                                           : XT_NAME(XT_MAP_XSK_SERVER);
        const int fd = socket->fd();
        EXPECT_EQ(bpf_map_update_elem(map_fd(map), &queue, &fd, BPF_ANY), 0) << std::strerror(errno);
        return socket;
    }

    void bypass(const char* client, uint16_t client_port, const char* server, uint16_t server_port) {
        write_bypass(flow(client, client_port, server, server_port),
                     {.last_ns = kT0, .kind = XT_BYPASS_FLOW, .body_start = 0, .body_end = 0, .pad = 0});
    }

    // The test connection's response body [start, end) (server sequence numbers) skips the
    // controller; the entry was written (or last refreshed) at `last_ns`.
    void body_skip(uint32_t start, uint32_t end, uint64_t last_ns = kT0) {
        write_bypass(flow(kClient, kClientPort, kServer, 80),
                     {.last_ns = last_ns, .kind = XT_BYPASS_RESPONSE_BODY, .body_start = start,
                      .body_end = end, .pad = 0});
    }

    void write_bypass(const xt_flow_key& key, const xt_bypass& value) {
        ASSERT_EQ(bpf_map_update_elem(map_fd(XT_NAME(XT_MAP_BYPASS)), &key, &value, BPF_ANY), 0)
            << std::strerror(errno);
    }

    // The test connection's bypass entry, if it has one.
    std::optional<xt_bypass> test_flow_entry() {
        const xt_flow_key key = flow(kClient, kClientPort, kServer, 80);
        xt_bypass value{};
        if (bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_BYPASS)), &key, &value) != 0) return std::nullopt;
        return value;
    }

    static xt_flow_key flow(const char* client, uint16_t client_port, const char* server,
                            uint16_t server_port) {
        xt_flow_key key{};
        key.client = source_key(client);
        key.server = source_key(server);
        key.client_port = htons(client_port);
        key.server_port = htons(server_port);
        return key;
    }

    // A step arriving on `port` (0: without ingress context) that passes the stages and goes to
    // the stack (Steer::none), the other port or the controller; or is dropped with `verdict`.
    static Step on(uint32_t port, Frame frame, Steer steer, std::string note = "", uint32_t queue = 0) {
        return {.note = std::move(note), .steer = steer, .frame = std::move(frame), .ifindex = port,
                .rx_queue = queue};
    }
    static Step dropped(uint32_t port, Frame frame, xt_verdict verdict, std::string note = "") {
        return {.verdict = verdict, .note = std::move(note), .frame = std::move(frame), .ifindex = port};
    }

    uint32_t port_a_ = 0;
    uint32_t port_b_ = 0;
};

// Client -> server on A.
Frame request(uint8_t flags, size_t payload, uint16_t dport = 80, const char* src = kClient) {
    return PacketBuilder().eth().ipv4(src, kServer).tcp(kClientPort, dport, flags).payload(payload).build();
}
// Server -> client on B.
Frame response(uint8_t flags, size_t payload, uint16_t sport = 80) {
    return PacketBuilder().eth(kServerMac, kClientMac).ipv4(kServer, kClient).tcp(sport, kClientPort, flags)
        .payload(payload).build();
}
// Server -> client on B: `payload` bytes at sequence number `seq` (response body segments).
Frame response_at(uint32_t seq, size_t payload, uint8_t flags = kAck | kPsh) {
    return PacketBuilder().eth(kServerMac, kClientMac).ipv4(kServer, kClient)
        .tcp(80, kClientPort, flags, {.seq = seq}).payload(payload).build();
}

TEST_F(GatewayTest, HostModeStillPassesToTheStack) {
    config_.flags &= ~static_cast<uint32_t>(XT_CFG_GATEWAY);
    apply_config();
    run_steps({
        on(port_a_, request(kAck | kPsh, 100), Steer::none),
        on(port_b_, response(kAck | kPsh, 100), Steer::none),
        on(0, request(kAck, 0), Steer::none, "no ingress context"),
    });
}

TEST_F(GatewayTest, EverythingButHttpIsBridgedBothWays) {
    const Frame frames[] = {
        PacketBuilder().eth().arp_request(kClient, kServer).build(),
        PacketBuilder().eth().ipv4(kClient, kServer).icmp().build(),
        PacketBuilder().eth().ipv4(kClient, kServer).udp(5353, 53).payload(20).build(),
        PacketBuilder().eth().ipv6("2001:db8::1", "2001:db8::2").icmpv6_ns("2001:db8::2").build(),
        request(kAck | kPsh, 100, 22),  // payload, but not to an HTTP port
    };
    Steps steps;
    for (const auto& frame : frames) {
        steps.push_back(on(port_a_, frame, Steer::bridge, "bridged frames passed the stages"));
        steps.push_back(on(port_b_, frame, Steer::bridge));
    }
    run_steps(steps);
}

TEST_F(GatewayTest, HttpSegmentsGoToTheControllerSocket) {
    auto client_socket = socket_on(kPortA, 0);
    auto server_socket = socket_on(kPortB, 0);
    ASSERT_TRUE(client_socket && server_socket);
    run_steps({
        // A: payload, SYN, FIN and RST need the controller; a pure ACK does not.
        on(port_a_, request(kAck | kPsh, 100), Steer::controller),
        on(port_a_, request(kSyn, 0), Steer::controller),
        on(port_a_, request(kFin | kAck, 0), Steer::controller),
        on(port_a_, request(kRst, 0), Steer::controller),
        on(port_a_, request(kAck, 0), Steer::bridge, "a pure ACK is bridged"),
        // B: responses with payload, FIN or RST; not a SYN-ACK or a pure ACK.
        on(port_b_, response(kAck | kPsh, 1000), Steer::controller),
        on(port_b_, response(kFin | kAck, 0), Steer::controller),
        on(port_b_, response(kRst, 0), Steer::controller),
        on(port_b_, response(kSyn | kAck, 0), Steer::bridge),
        on(port_b_, response(kAck, 0), Steer::bridge),
        // Direction matters: on B a segment *to* port 80 is not a response; on A one *from* it is
        // not a request.
        on(port_b_, request(kAck | kPsh, 100), Steer::bridge),
        on(port_a_, response(kAck | kPsh, 100), Steer::bridge),
    });
}

TEST_F(GatewayTest, Ipv6AndConfiguredPortsAreSteered) {
    config_.http_ports[0] = 8080;
    config_.http_ports[1] = 8443;
    apply_config();
    auto socket = socket_on(kPortA, 0);
    ASSERT_TRUE(socket);
    const auto v6 = [](uint16_t dport) {
        return PacketBuilder().eth().ipv6("2001:db8::1", "2001:db8::2").tcp(kClientPort, dport, kAck | kPsh)
            .payload(50).build();
    };
    run_steps({
        on(port_a_, v6(8443), Steer::controller),
        on(port_a_, request(kAck | kPsh, 10, 8080), Steer::controller),
        on(port_a_, v6(80), Steer::bridge, "80 is no longer configured"),
    });
}

TEST_F(GatewayTest, QueueWithoutSocketIsBridged) {
    auto socket = socket_on(kPortA, 0);
    ASSERT_TRUE(socket);
    run_steps({
        on(port_a_, request(kAck | kPsh, 100), Steer::bridge, "queue 1 has no socket", 1),
        on(port_a_, request(kAck | kPsh, 100), Steer::controller, "queue 0 has one", 0),
    });
}

TEST_F(GatewayTest, NoSocketAtAllIsBridged) {
    // Heartbeat fresh but no controller socket yet (starting, or crashed without clearing it).
    run_steps({
        on(port_a_, request(kAck | kPsh, 100), Steer::bridge),
        on(port_b_, response(kAck | kPsh, 100), Steer::bridge),
    });
}

TEST_F(GatewayTest, StaleOrAbsentHeartbeatFailsOpen) {
    auto client_socket = socket_on(kPortA, 0);
    auto server_socket = socket_on(kPortB, 0);
    ASSERT_TRUE(client_socket && server_socket);
    beat(kT0 - kSecond, kSecond);
    run_steps({on(port_a_, request(kAck | kPsh, 100), Steer::controller, "exactly the timeout old: fresh")});
    beat(kT0 - kSecond - 1, kSecond);
    run_steps({
        on(port_a_, request(kAck | kPsh, 100), Steer::bridge, "one ns older: stale"),
        on(port_b_, response(kAck | kPsh, 100), Steer::bridge, "one ns older: stale"),
    });
    beat(0, kSecond);
    run_steps({on(port_a_, request(kAck | kPsh, 100), Steer::bridge, "the daemon cleared it on exit")});
    beat(kT0 + 3 * kMillisecond, kSecond);
    run_steps({on(port_a_, request(kAck | kPsh, 100), Steer::controller,
                  "from the \"future\" (coarse clock lag): fresh")});
}

TEST_F(GatewayTest, BypassedFlowIsBridgedBothWays) {
    auto client_socket = socket_on(kPortA, 0);
    auto server_socket = socket_on(kPortB, 0);
    ASSERT_TRUE(client_socket && server_socket);
    bypass(kClient, kClientPort, kServer, 80);
    const Frame other = PacketBuilder().eth().ipv4(kClient, kServer).tcp(kClientPort + 1, 80, kAck | kPsh)
                            .payload(10).build();
    run_steps({
        on(port_a_, request(kAck | kPsh, 100), Steer::bridge),
        on(port_b_, response(kAck | kPsh, 100), Steer::bridge, "one key serves both directions"),
        on(port_a_, other, Steer::controller, "another connection of the same client is still inspected"),
    });
}

TEST_F(GatewayTest, ClientSynReopensABypassedFourTuple) {
    auto client_socket = socket_on(kPortA, 0);
    ASSERT_TRUE(client_socket);
    bypass(kClient, kClientPort, kServer, 80);
    // A new connection reusing the 4-tuple of a bypassed one: its SYN goes to the controller and
    // the stale entry is gone, so the new connection's requests are inspected too.
    run_steps({on(port_a_, request(kSyn, 0), Steer::controller)});
    const xt_flow_key key = flow(kClient, kClientPort, kServer, 80);
    xt_bypass value{};
    EXPECT_NE(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_BYPASS)), &key, &value), 0);
    run_steps({on(port_a_, request(kAck | kPsh, 100), Steer::controller)});
}

TEST_F(GatewayTest, ClientSynDeletesTheEntryEvenWithoutAController) {
    // Whole-flow entries live up to an hour of idle time: a connection opened on the same 4-tuple
    // while the controller is away must not inherit one when it comes back.
    bypass(kClient, kClientPort, kServer, 80);
    beat(0, kSecond);
    run_steps({on(port_a_, request(kSyn, 0), Steer::bridge, "no controller: bridged")});
    EXPECT_FALSE(test_flow_entry());
    body_skip(1000, 100000);
    beat(kT0 - 2 * kSecond, kSecond);
    run_steps({on(port_a_, request(kSyn, 0), Steer::bridge, "stale heartbeat: bridged")});
    EXPECT_FALSE(test_flow_entry()) << "a response-body entry goes the same way";
}

// A response body skipping the controller (abi.h, XT_BYPASS_RESPONSE_BODY): server payload
// strictly before the body's last byte is bridged; everything else of the flow still goes to it.
TEST_F(GatewayTest, ResponseBodySkipBridgesOnlyServerBytesBeforeTheLastOne) {
    auto client_socket = socket_on(kPortA, 0);
    auto server_socket = socket_on(kPortB, 0);
    ASSERT_TRUE(client_socket && server_socket);
    constexpr uint32_t kStart = 0x10000000, kEnd = kStart + 100'000;
    body_skip(kStart, kEnd);
    run_steps({
        on(port_b_, response_at(kStart, 1448), Steer::bridge, "the body's first segment"),
        on(port_b_, response_at(kStart + 50'000, 1448), Steer::bridge, "inside"),
        on(port_b_, response_at(kEnd - 1 - 1448, 1448), Steer::bridge, "ends just before the last byte"),
        on(port_b_, response_at(kEnd - 1448, 1448), Steer::controller, "carries the last byte"),
        on(port_b_, response_at(kEnd - 1, 1), Steer::controller, "the last byte alone"),
        on(port_b_, response_at(kEnd, 500), Steer::controller, "after the body: the next head"),
        on(port_b_, response_at(kStart - 100, 1000), Steer::controller, "starts before the body"),
        on(port_b_, response_at(kStart + 1000, 1000, kAck | kFin), Steer::controller, "FIN inside"),
        on(port_b_, response_at(kStart + 1000, 0, kAck | kRst), Steer::controller, "RST inside"),
        on(port_b_, response_at(kStart + 1000, 0, kAck), Steer::bridge, "a pure ACK, as always"),
        on(port_a_, request(kAck | kPsh, 100), Steer::controller, "requests of the flow: inspected"),
        on(port_a_, request(kAck | kFin, 0), Steer::controller, "the client's FIN too"),
    });
}

TEST_F(GatewayTest, ResponseBodySkipAcrossTheSequenceWrap) {
    auto server_socket = socket_on(kPortB, 0);
    ASSERT_TRUE(server_socket);
    constexpr uint32_t kStart = 0xffff0000u;
    constexpr uint32_t kEnd = kStart + 200'000u;  // wraps past 2^32
    body_skip(kStart, kEnd);
    run_steps({
        on(port_b_, response_at(0xfffffc00u, 1448), Steer::bridge, "straddles the wrap"),
        on(port_b_, response_at(1000, 1448), Steer::bridge, "after the wrap, inside"),
        on(port_b_, response_at(kEnd - 1000, 1000), Steer::controller, "carries the last byte"),
        on(port_b_, response_at(kStart - 1448, 1448), Steer::controller, "just before the body"),
    });
}

TEST_F(GatewayTest, BridgedSegmentsRefreshTheEntry) {
    auto server_socket = socket_on(kPortB, 0);
    ASSERT_TRUE(server_socket);
    constexpr uint32_t kStart = 5000, kEnd = kStart + 100'000;
    body_skip(kStart, kEnd, kT0 - 30 * kSecond);
    run_steps({on(port_b_, response_at(kEnd - 10, 10), Steer::controller, "not bridged")});
    ASSERT_TRUE(test_flow_entry());
    EXPECT_EQ(test_flow_entry()->last_ns, kT0 - 30 * kSecond) << "only what the entry bridges refreshes it";
    run_steps({on(port_b_, response_at(kStart, 1448), Steer::bridge)});
    EXPECT_EQ(test_flow_entry()->last_ns, kT0);
    const uint64_t later = kT0 + 7 * kSecond;
    beat(later - 100 * kMillisecond, kSecond);
    run_steps({{.at_ns = later, .note = "bridged later", .steer = Steer::bridge,
                .frame = response_at(kStart + 1448, 1448), .ifindex = port_b_}});
    EXPECT_EQ(test_flow_entry()->last_ns, later);
    EXPECT_EQ(test_flow_entry()->kind, XT_BYPASS_RESPONSE_BODY) << "the program writes last_ns only";
    EXPECT_EQ(test_flow_entry()->body_end, kEnd);

    write_bypass(flow(kClient, kClientPort, kServer, 80),
                 {.last_ns = 1, .kind = XT_BYPASS_FLOW, .body_start = 0, .body_end = 0, .pad = 0});
    run_steps({on(port_a_, request(kAck | kPsh, 100), Steer::bridge, "a whole-flow entry")});
    EXPECT_EQ(test_flow_entry()->last_ns, later) << "whole-flow entries are refreshed too";
}

TEST_F(GatewayTest, EntriesOfAnUnknownKindBridgeNothing) {
    auto client_socket = socket_on(kPortA, 0);
    auto server_socket = socket_on(kPortB, 0);
    ASSERT_TRUE(client_socket && server_socket);
    write_bypass(flow(kClient, kClientPort, kServer, 80),
                 {.last_ns = kT0, .kind = 0, .body_start = 0, .body_end = 0xffffffffu, .pad = 0});
    run_steps({
        on(port_a_, request(kAck | kPsh, 100), Steer::controller),
        on(port_b_, response(kAck | kPsh, 100), Steer::controller),
    });
}

TEST_F(GatewayTest, StagesJudgeTheClientSideOnly) {
    deny(kClient);
    deny(kServer);
    const Frame bad = PacketBuilder().eth().ipv4(kClient, kServer, {.ihl = 4}).tcp(1, 80, kAck).build();
    run_steps({
        dropped(port_a_, request(kAck | kPsh, 100), XT_DROP_IP_DENY),
        on(port_b_, response(kAck | kPsh, 100), Steer::bridge,
           "the server's frames on B are never judged, even from a denied address"),
        dropped(port_a_, bad, XT_DROP_MALFORMED),
        on(port_b_, bad, Steer::bridge, "malformed: bridged unchanged from B"),
    });
}

TEST_F(GatewayTest, BansAndLimitsStillApplyOnTheClientSide) {
    config_.syn = rate(1, kSecond, 1);
    apply_config();
    ban("192.0.2.99", kT0 + kSecond);
    run_steps({
        dropped(port_a_, request(kAck | kPsh, 10, 80, "192.0.2.99"), XT_DROP_BANNED),
        on(port_a_, request(kSyn, 0), Steer::bridge, "no socket: bridged"),
        dropped(port_a_, request(kSyn, 0), XT_DROP_SYN_SOURCE, "per-source SYN bucket of 1"),
    });
}

TEST_F(GatewayTest, UnknownPortOrMissingBridgeEntryGoesToTheStack) {
    run_steps({on(if_nametoindex("lo"), request(kAck | kPsh, 100), Steer::none,
                  "the program on a third interface behaves as in host mode")});
    const uint32_t b = port_b_;
    ASSERT_EQ(bpf_map_delete_elem(map_fd(XT_NAME(XT_MAP_PORTS)), &b), 0);
    run_steps({
        on(port_b_, response(kAck, 0), Steer::none, "a port without a bridge entry: the stack, never a drop"),
        on(port_a_, request(kAck, 0), Steer::bridge),
    });
}

TEST_F(GatewayTest, CountersStayConsistent) {
    auto socket = socket_on(kPortA, 0);
    ASSERT_TRUE(socket);
    deny("192.0.2.66");
    run_steps({
        on(port_a_, request(kAck | kPsh, 100), Steer::controller),
        on(port_a_, request(kAck, 0), Steer::bridge),
        dropped(port_a_, request(kAck, 0, 80, "192.0.2.66"), XT_DROP_IP_DENY),
        on(port_b_, response(kAck, 0), Steer::bridge),
    });
    const auto s = stats();
    EXPECT_EQ(s.seen.packets, 4u);
    EXPECT_EQ(s.passed.packets + s.ip_deny.packets, s.seen.packets);
    EXPECT_EQ(s.redirected.packets + s.to_controller.packets, s.passed.packets);
    EXPECT_EQ(s.to_controller.bytes, request(kAck | kPsh, 100).size());
}

}  // namespace
}  // namespace xt::test
