// The TCP ports the gateway treats as HTTP: the one type and the one rule set behind
// `xdp-throttle attach --http-port`, `xdp-throttled --http-port`, the config's
// "xdp-throttle".http_ports and what the loader records in xt_config.http_ports.
#pragma once

#include <cstdint>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "abi.h"
#include "common/result.hpp"

namespace xt {

inline constexpr uint16_t kDefaultHttpPort = 80;

// One value of a port list as the operator wrote it.
struct PortValue {
    std::optional<uint64_t> number;  // nullopt: not a whole number
    std::string shown;               // the value in messages: "70000", "abc", `string "80"`
};

// A problem with one value (`index`) or with the list as a whole (no index). `message` names the
// value but not where it came from: the caller prefixes the option or the JSON path.
struct PortProblem {
    std::optional<std::size_t> index;
    std::string message;
};

// Sorted, distinct, 1..XT_MAX_HTTP_PORTS ports, each 1..65535: only check_http_ports() and
// recorded() make other values than the default {80}.
class HttpPorts {
public:
    HttpPorts() = default;
    const std::vector<uint16_t>& values() const { return ports_; }
    bool operator==(const HttpPorts&) const = default;

    // The ports a pinned xt_config records (its non-zero entries); nullopt when it records none.
    static std::optional<HttpPorts> recorded(const xt_config& config);
    // Into xt_config.http_ports, the unused entries 0 (no TCP port is 0).
    void store(xt_config& config) const;

private:
    explicit HttpPorts(std::vector<uint16_t> ports) : ports_(std::move(ports)) {}
    friend tl::expected<HttpPorts, std::vector<PortProblem>> check_http_ports(
        std::span<const PortValue> values);
    std::vector<uint16_t> ports_{kDefaultHttpPort};
};

// The rules, wherever the list comes from: at least one port, at most XT_MAX_HTTP_PORTS, each a
// whole number 1..65535, none twice. Returns every problem, in the order of the values.
tl::expected<HttpPorts, std::vector<PortProblem>> check_http_ports(std::span<const PortValue> values);

// A command line's port option (repeatable, every value as typed): the first problem is the error,
// prefixed by `option` ("--http-port: port 80 listed twice").
Result<HttpPorts> parse_http_ports(std::string_view option, std::span<const std::string> values);

}  // namespace xt
