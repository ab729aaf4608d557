// attach, detach, status.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string>
#include <vector>

#include "input/bridge.hpp"
#include "input/http_ports.hpp"
#include "verbs.hpp"

namespace xt::cli {
namespace {

std::string single_iface(const ParsedArgs& parsed, std::string_view verb) {
    if (parsed.positionals.size() != 1)
        throw UsageError(parsed.positionals.empty()
                             ? fmt::format("{} needs an interface name", verb)
                             : fmt::format("{} takes one interface, got {}", verb,
                                           fmt::join(parsed.positionals, " ")),
                         std::string(verb));
    unwrap(validate_ifname(parsed.positionals[0]));
    return parsed.positionals[0];
}

// Bytes as status prints memory: binary units, one decimal.
std::string format_bytes(uint64_t bytes) {
    if (bytes >= (1u << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1u << 20));
    if (bytes >= (1u << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1u << 10));
    return fmt::format("{} B", bytes);
}

nlohmann::json tables_json(const std::vector<TableFill>& tables) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& t : tables)
        out[t.table] = {{"map", t.map}, {"entries", t.entries}, {"max_entries", t.max_entries},
                        {"memlock_bytes", t.memlock_bytes}};
    return out;
}

void print_tables(const std::string& iface, const Result<std::vector<TableFill>>& tables) {
    if (!tables) {
        fmt::print("\nkernel tables of {}: cannot read them: {}\n", iface, tables.error().message);
        return;
    }
    fmt::print("\nkernel tables of {} (entries / size, fill, kernel memory):\n", iface);
    for (const auto& t : *tables)
        fmt::print("  {:<17} {:<16} {:>8} / {:<8} {:>5.1f}%  {:>10}\n", t.table, t.map, t.entries,
                   t.max_entries, t.max_entries ? 100.0 * t.entries / t.max_entries : 0.0,
                   format_bytes(t.memlock_bytes));
}

}  // namespace

int run_attach(const ParsedArgs& parsed) {
    const std::string iface = single_iface(parsed, "attach");
    const AttachMode mode = unwrap(parse_attach_mode(parsed.value("mode").value_or("native")));
    const auto peer = parsed.value("peer");
    if (!peer && parsed.vm.count("http-port"))
        throw UsageError("--http-port applies to gateway mode only (attach A --peer B)", "attach");
    if (peer) unwrap(validate_bridge_ends(iface, *peer));
    const HttpPorts http_ports =
        parsed.vm.count("http-port")
            ? unwrap(parse_http_ports("--http-port",
                                      parsed.vm["http-port"].as<std::vector<std::string>>()))
            : HttpPorts{};
    std::vector<TableSize> sizes;
    if (parsed.vm.count("size"))
        for (const auto& text : parsed.vm["size"].as<std::vector<std::string>>()) {
            const TableSize size = unwrap(parse_table_size("--size", text));
            if (std::any_of(sizes.begin(), sizes.end(), [&](const TableSize& t) { return t.table == size.table; }))
                throw UsageError(fmt::format("--size {}: the {} table is sized twice", text, size.table), "attach");
            sizes.push_back(size);
        }
    unwrap(check_privileges());
    unwrap(interface_index(iface));
    if (peer) unwrap(interface_index(*peer));
    prepare_bpffs();
    const auto lock = unwrap(PinRootLock::acquire());
    const auto result = unwrap(peer ? attach_gateway(iface, *peer, mode, http_ports, sizes)
                                    : attach(iface, mode, sizes));
    const std::string_view state = result.config_created ? "new state with default settings"
                                                         : "existing rules, bans and counters kept";
    if (peer)
        fmt::print("xdp-throttle gateway {} <-> {} attached ({} mode, program id {}, HTTP ports {}); "
                   "{}\n", iface, *peer, attach_mode_name(mode), result.prog_id,
                   fmt::join(http_ports.values(), ","), state);
    else
        fmt::print("xdp-throttle attached to {} ({} mode, program id {}); {}\n", iface,
                   attach_mode_name(mode), result.prog_id, state);
    return 0;
}

int run_detach(const ParsedArgs& parsed) {
    const std::string iface = single_iface(parsed, "detach");
    const bool purge = parsed.flag("purge");
    unwrap(check_privileges());
    prepare_bpffs();
    const auto lock = unwrap(PinRootLock::acquire());
    const auto result = unwrap(detach(iface, purge));
    if (result.peer)
        fmt::print("xdp-throttle gateway {} <-> {} detached{}\n", iface, *result.peer,
                   result.purged ? "; rules, bans and counters deleted"
                                 : "; rules, bans and counters kept (--purge deletes them)");
    else if (result.detached)
        fmt::print("xdp-throttle detached from {}{}\n", iface,
                   result.purged ? "; rules, bans and counters deleted"
                                 : "; rules, bans and counters kept (--purge deletes them)");
    else if (result.purged)
        fmt::print("xdp-throttle was not attached to {}; its rules, bans and counters deleted\n", iface);
    else
        fmt::print("xdp-throttle was not attached to {} and had no state there\n", iface);
    return 0;
}

int run_status(const ParsedArgs& parsed) {
    expect_no_arguments(parsed, "status");
    unwrap(check_privileges());
    prepare_bpffs();
    const auto multiprog = probe_multiprog();
    const auto interfaces = unwrap(interfaces_status());
    std::vector<Result<std::vector<TableFill>>> tables;
    for (const auto& s : interfaces)
        tables.push_back(s.has_pins ? interface_tables(s) : fail(ErrorKind::not_found, "no pins"));
    if (parsed.flag("json")) {
        nlohmann::json list = nlohmann::json::array();
        for (size_t i = 0; i < interfaces.size(); ++i) {
            const auto& s = interfaces[i];
            list.push_back({{"iface", s.iface},
                            {"attached", s.attached},
                            {"mode", s.mode ? nlohmann::json(attach_mode_name(*s.mode)) : nlohmann::json()},
                            {"prog_id", s.prog_id ? nlohmann::json(*s.prog_id) : nlohmann::json()},
                            {"pin_dir", s.pin_dir.string()},
                            {"gateway_peer", s.gateway_peer ? nlohmann::json(*s.gateway_peer) : nlohmann::json()},
                            {"gateway_side", !s.gateway_peer ? nlohmann::json()
                                             : nlohmann::json(s.gateway_server_side ? "server" : "client")},
                            {"tables", tables[i] ? tables_json(*tables[i]) : nlohmann::json()}});
            if (s.has_pins && !tables[i]) list.back()["tables_error"] = tables[i].error().message;
        }
        print_json({{"multiprog_supported", multiprog.supported},
                    {"multiprog_reason", multiprog.reason},
                    {"interfaces", list}});
        return 0;
    }
    fmt::print("multi-program XDP (libxdp dispatcher): {}\n  {}\n",
               multiprog.supported ? "supported" : "not supported", multiprog.reason);
    if (interfaces.empty()) {
        fmt::print("xdp-throttle is not attached anywhere and has no state\n");
        return 0;
    }
    fmt::print("{:<16} {:<9} {:<7} {:>8}  {}\n", "interface", "attached", "mode", "prog id", "pin dir");
    for (const auto& s : interfaces)
        fmt::print("{:<16} {:<9} {:<7} {:>8}  {}\n", s.iface, s.attached ? "yes" : "no",
                   s.mode ? attach_mode_name(*s.mode) : "-",
                   s.prog_id ? std::to_string(*s.prog_id) : "-",
                   s.has_pins ? s.pin_dir.string()
                              : s.gateway_peer ? fmt::format("(in {}'s)", *s.gateway_peer) : "(none)");
    for (const auto& s : interfaces)
        if (s.gateway_peer && !s.gateway_server_side)
            fmt::print("gateway {} <-> {} (client side {}, server side {})\n", s.iface,
                       *s.gateway_peer, s.iface, *s.gateway_peer);
    for (size_t i = 0; i < interfaces.size(); ++i)
        if (interfaces[i].has_pins) print_tables(interfaces[i].iface, tables[i]);
    return 0;
}

}  // namespace xt::cli
