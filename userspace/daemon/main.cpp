// xdp-throttled: the gateway controller daemon. Wiring only: the command line, signals, the log
// sink; everything else is xt::controller (userspace/controller/).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include "controller/controller.hpp"
#include "controller/daemon_config.hpp"
#include "controller/state_file.hpp"
#include "input/duration.hpp"
#include "input/http_ports.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage = R"(usage: xdp-throttled --config FILE [--iface A] [--peer B] [--http-port N]...
                     [--heartbeat-timeout DURATION] [--stats-interval DURATION]
                     [--bind-mode auto|copy|zero-copy] [--ring-size N] [--state-file PATH]

The gateway controller. Needs 'xdp-throttle attach A --peer B' first (A: client side, B: server
side). Loads FILE (KrakenD's krakend.json structure plus the "xdp-throttle" namespace; an invalid
file is refused with every problem listed and nothing applied), writes the file's L3/L4 limits and
HTTP ports into A's pinned config, opens an AF_XDP socket on every RX queue of A and B, and
enforces the file's HTTP rate limits on the segments the XDP program steers to it. While it runs it
beats a heartbeat in the pinned maps; without a fresh heartbeat (stopped, crashed, stuck) the
program bridges everything in the kernel (fail-open). SIGINT/SIGTERM: clears the heartbeat at once
and exits 0, leaving the bridge forwarding.

Flags override the file's "xdp-throttle" namespace. Pins are read under
$XDP_THROTTLE_BPFFS/xdp-throttle/A (default /sys/fs/bpf), like the CLI.

options:
)";

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

void log_line(const std::string& line) {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    fmt::print(stderr, "{:%H:%M:%S}.{:03} xdp-throttled[{}]: {}\n",
               fmt::localtime(std::chrono::system_clock::to_time_t(now)), ms.count(), ::getpid(), line);
    std::fflush(stderr);
}

uint64_t duration_option(const po::variables_map& vm, const char* name, uint64_t fallback) {
    if (!vm.count(name)) return fallback;
    auto ns = xt::parse_duration_ns(vm[name].as<std::string>());
    if (!ns) throw po::error(fmt::format("--{}: {}", name, ns.error().message));
    return *ns;
}

xt::afxdp::BindMode bind_mode_option(const po::variables_map& vm) {
    const std::string mode = vm.count("bind-mode") ? vm["bind-mode"].as<std::string>() : "auto";
    if (mode == "auto") return xt::afxdp::BindMode::automatic;
    if (mode == "copy") return xt::afxdp::BindMode::copy;
    if (mode == "zero-copy") return xt::afxdp::BindMode::zero_copy;
    throw po::error(fmt::format("--bind-mode: expected auto, copy or zero-copy, got '{}'", mode));
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description options("");
    options.add_options()
        ("config,c", po::value<std::string>(), "gateway config (krakend.json shape)")
        ("iface,i", po::value<std::string>(), "client-side interface A (overrides the file)")
        ("peer,p", po::value<std::string>(), "server-side interface B (checked against the attach)")
        ("http-port", po::value<std::vector<std::string>>(), "HTTP port to inspect, repeatable (overrides the file)")
        ("heartbeat-timeout", po::value<std::string>(), "steering stops this long after the last beat (default 1s)")
        ("stats-interval", po::value<std::string>(), "log counters this often (default 5s, 0 = never)")
        ("bind-mode", po::value<std::string>(), "AF_XDP bind: auto (default: zero-copy where the driver has it), copy, zero-copy")
        ("ring-size", po::value<uint32_t>(), "entries of each AF_XDP ring, a power of two (default 1024)")
        ("state-file", po::value<std::string>(), "JSON state (circuit breakers, counters) rewritten at every stats report (default /run/xdp-throttle/A.json, \"\" = none)")
        ("help,h", "show this help")
        ("version", "print the version");
    xt::controller::Overrides overrides;
    xt::controller::ControllerOptions controller_options;
    std::string config_path;
    std::optional<std::string> state_file;  // defaulted once the interface is known
    try {
        po::variables_map vm;
        const auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
        po::store(po::command_line_parser(argc, argv).options(options).style(style).run(), vm);
        po::notify(vm);
        if (vm.count("help")) {
            fmt::print("{}{}", kUsage, fmt::streamed(options));
            return 0;
        }
        if (vm.count("version")) {
            fmt::print("xdp-throttled {}\n", XT_VERSION);
            return 0;
        }
        if (!vm.count("config")) throw po::error("--config FILE is required");
        config_path = vm["config"].as<std::string>();
        if (vm.count("iface")) overrides.iface = vm["iface"].as<std::string>();
        if (vm.count("peer")) overrides.peer = vm["peer"].as<std::string>();
        if (vm.count("http-port")) {
            auto ports = xt::parse_http_ports("--http-port", vm["http-port"].as<std::vector<std::string>>());
            if (!ports) throw po::error(ports.error().message);
            overrides.http_ports = std::move(*ports);
        }
        controller_options.heartbeat_timeout_ns =
            duration_option(vm, "heartbeat-timeout", controller_options.heartbeat_timeout_ns);
        if (controller_options.heartbeat_timeout_ns < 2 * controller_options.heartbeat_interval_ns)
            throw po::error("--heartbeat-timeout must be at least 200ms (two beats)");
        controller_options.stats_interval_ns =
            duration_option(vm, "stats-interval", controller_options.stats_interval_ns);
        controller_options.bind_mode = bind_mode_option(vm);
        if (vm.count("ring-size")) controller_options.ring_size = vm["ring-size"].as<uint32_t>();
        if (vm.count("state-file")) state_file = vm["state-file"].as<std::string>();
    } catch (const po::error& e) {
        fmt::print(stderr, "xdp-throttled: {}\n(see 'xdp-throttled --help')\n", e.what());
        return 2;
    }

    auto config = xt::controller::load_daemon_config(config_path, overrides);
    if (!config) {
        fmt::print(stderr, "{}\n", config.error().message);
        return 1;
    }
    for (const auto& warning : config->warnings) log_line(fmt::format("{}: warning: {}", config_path, warning));
    for (const auto& ns : config->ignored_namespaces)
        log_line(fmt::format("ignored namespace \"{}\" ({}x, first at {})", ns.name, ns.occurrences, ns.first_path));

    controller_options.state_file =
        state_file.value_or(xt::controller::default_state_file(config->gateway.iface).string());

    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);

    auto controller = xt::controller::Controller::create(std::move(*config), controller_options, log_line);
    if (!controller) {
        fmt::print(stderr, "xdp-throttled: {}\n", controller.error().message);
        return 1;
    }
    auto ran = (*controller)->run(g_stop);
    if (!ran) {
        log_line(fmt::format("stopped on an error (heartbeat cleared, the kernel bridges): {}", ran.error().message));
        return 1;
    }
    log_line("stopped: heartbeat cleared, the kernel bridges all traffic");
    return 0;
}
