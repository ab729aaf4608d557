// xt_flood_gen: a bounded flood of one 64-byte UDP/IPv4 frame out of one interface, for
// bench/live_flood.sh (and, with spoofed sources, tests/e2e/test_spike_flood.sh). It test-runs an XDP_TX program with BPF_F_TEST_XDP_LIVE_FRAMES and the
// interface as the context's ingress_ifindex: the kernel then transmits every repetition out of
// that interface (xdp-trafficgen's method; xdp-trafficgen itself does not start on this kernel). It
// stops at --count frames or --seconds, whichever comes first. Frames are counted as sent even when
// the peer loses them: count at the receiver.
#include <arpa/inet.h>
#include <boost/program_options.hpp>
#include <bpf/bpf.h>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "bpf_support.hpp"
#include "support/packet_builder.hpp"
#include "common/fd.hpp"
#include "xt_bench_tx.skel.h"

namespace xt::bench {
namespace {

struct Options {
    std::string iface;
    std::string src_ip, dst_ip, dst_mac;
    uint64_t count = 5'000'000;
    double seconds = 5.0;
    uint32_t chunk = 262'144;  // frames per syscall: small enough to honour --seconds closely
    uint32_t batch = 64;  // frames the kernel runs before flushing them to the device (max 256)
    // Spoofed sources (bench/xdp_tx.bpf.c): 0 = every frame from --src.
    uint32_t spoof_pool = 0;
    uint32_t spoof_repeat = 1;
    std::string spoof_base = "100.64.0.0";
};

Options parse_options(int argc, char** argv) {
    namespace po = boost::program_options;
    Options o;
    po::options_description desc(
        "usage: xt_flood_gen --iface IFACE --src IP --dst IP --dst-mac MAC [options]");
    desc.add_options()
        ("help,h", "show this help")
        ("iface", po::value(&o.iface)->required(), "interface to transmit from")
        ("src", po::value(&o.src_ip)->required(), "IPv4 source address of the frames")
        ("dst", po::value(&o.dst_ip)->required(), "IPv4 destination address")
        ("dst-mac", po::value(&o.dst_mac)->required(), "destination MAC (the peer's)")
        ("count", po::value(&o.count)->default_value(o.count), "frames at most")
        ("seconds", po::value(&o.seconds)->default_value(o.seconds), "seconds at most (<= 60)")
        ("chunk", po::value(&o.chunk)->default_value(o.chunk), "frames per syscall")
        ("batch", po::value(&o.batch)->default_value(o.batch), "frames per kernel flush (<= 256)")
        ("spoof-pool", po::value(&o.spoof_pool)->default_value(o.spoof_pool),
         "spoofed sources: frame n comes from --spoof-base + (n / --spoof-repeat) % N (0: from --src)")
        ("spoof-repeat", po::value(&o.spoof_repeat)->default_value(o.spoof_repeat),
         "frames in a row from each spoofed source")
        ("spoof-base", po::value(&o.spoof_base)->default_value(o.spoof_base),
         "first spoofed IPv4 source");
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
        fmt::print("{}", fmt::streamed(desc));
        std::exit(0);
    }
    po::notify(vm);  // after --help: required options are not required to ask for help
    if (o.count == 0 || o.seconds <= 0 || o.chunk == 0)
        throw std::runtime_error("--count, --seconds and --chunk must be positive");
    if (o.seconds > 60) throw std::runtime_error("--seconds is capped at 60: floods stay bounded");
    if (o.spoof_repeat == 0) throw std::runtime_error("--spoof-repeat must be positive");
    for (const auto& [option, value] : {std::pair{"--src", &o.src_ip}, std::pair{"--dst", &o.dst_ip},
                                        std::pair{"--spoof-base", &o.spoof_base}}) {
        in_addr unused{};
        if (inet_pton(AF_INET, value->c_str(), &unused) != 1)
            throw std::runtime_error(fmt::format("{} '{}' is not an IPv4 address", option, *value));
    }
    return o;
}

test::MacAddress parse_mac(const std::string& text) {
    test::MacAddress m{};
    unsigned b[6];
    char tail;
    if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                    &tail) != 6)
        throw std::runtime_error(
            fmt::format("'{}' is not a MAC address (aa:bb:cc:dd:ee:ff)", text));
    for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(b[i]);
    return m;
}

test::MacAddress interface_mac(const std::string& iface) {
    const UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock.valid()) throw std::runtime_error("socket() failed");
    ifreq req{};
    std::strncpy(req.ifr_name, iface.c_str(), IFNAMSIZ - 1);
    if (ioctl(sock.get(), SIOCGIFHWADDR, &req) != 0)
        throw std::runtime_error(fmt::format("cannot read the MAC of {}", iface));
    test::MacAddress mac{};
    std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, mac.size());
    return mac;
}

int run(const Options& opt) {
    const unsigned ifindex = if_nametoindex(opt.iface.c_str());
    if (ifindex == 0) throw std::runtime_error(fmt::format("no interface {}", opt.iface));
    // 60 bytes: a minimum Ethernet frame (64 on the wire with the FCS).
    const auto frame = test::PacketBuilder()
                           .eth(interface_mac(opt.iface), parse_mac(opt.dst_mac))
                           .ipv4(opt.src_ip, opt.dst_ip)
                           .udp(40000, 9)
                           .payload(18)
                           .build();
    libbpf_set_print(nullptr);
    SkeletonPtr<xt_bench_tx, xt_bench_tx__destroy> skel(xt_bench_tx__open());
    if (!skel) throw std::runtime_error("cannot open the XDP_TX program");
    in_addr base{};
    inet_pton(AF_INET, opt.spoof_base.c_str(), &base);
    skel->rodata->spoof_pool = opt.spoof_pool;
    skel->rodata->spoof_repeat = opt.spoof_repeat;
    skel->rodata->spoof_base = ntohl(base.s_addr);
    if (xt_bench_tx__load(skel.get()) != 0)
        throw std::runtime_error("cannot load the XDP_TX program (root needed)");
    const int prog_fd = bpf_program__fd(skel->progs.xdp_flood_tx);

    xdp_md ctx{};
    ctx.data_end = static_cast<__u32>(frame.size());
    ctx.ingress_ifindex = ifindex;
    const uint64_t start = monotonic_ns();
    const uint64_t deadline = start + static_cast<uint64_t>(opt.seconds * 1e9);
    uint64_t sent = 0;
    while (sent < opt.count && monotonic_ns() < deadline) {
        const auto batch = static_cast<int>(std::min<uint64_t>(opt.chunk, opt.count - sent));
        LIBBPF_OPTS(bpf_test_run_opts, run_opts, .data_in = frame.data(),
                    .data_size_in = static_cast<__u32>(frame.size()), .ctx_in = &ctx,
                    .ctx_size_in = sizeof(ctx), .repeat = batch,
                    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = opt.batch);
        if (int err = bpf_prog_test_run_opts(prog_fd, &run_opts); err)
            throw std::runtime_error(
                fmt::format("live-frames test run failed: {}", std::strerror(-err)));
        sent += static_cast<uint64_t>(batch);
    }
    const double elapsed = static_cast<double>(monotonic_ns() - start) / 1e9;
    fmt::print("#flood sent={} seconds={:.6f} frame_bytes={} mpps_sent={:.3f}\n", sent, elapsed,
               frame.size(), static_cast<double>(sent) / elapsed / 1e6);
    return 0;
}

}  // namespace
}  // namespace xt::bench

int main(int argc, char** argv) {
    using namespace xt::bench;
    return run_main("xt_flood_gen", [&] { return run(parse_options(argc, argv)); });
}
