#include "input/http_ports.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "input/validation.hpp"

namespace xt {

std::optional<HttpPorts> HttpPorts::recorded(const xt_config& config) {
    std::vector<uint16_t> ports;
    for (const uint16_t port : config.http_ports)
        if (port != 0) ports.push_back(port);
    if (ports.empty()) return std::nullopt;
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    return HttpPorts(std::move(ports));
}

void HttpPorts::store(xt_config& config) const {
    std::fill(std::begin(config.http_ports), std::end(config.http_ports), 0);
    std::copy_n(ports_.begin(), std::min<std::size_t>(ports_.size(), XT_MAX_HTTP_PORTS),
                config.http_ports);
}

tl::expected<HttpPorts, std::vector<PortProblem>> check_http_ports(std::span<const PortValue> values) {
    std::vector<PortProblem> problems;
    if (values.empty()) problems.push_back({std::nullopt, "expected at least one TCP port"});
    if (values.size() > XT_MAX_HTTP_PORTS)
        problems.push_back({std::nullopt, fmt::format("{} ports given; the XDP program matches at "
                                                      "most {}", values.size(), XT_MAX_HTTP_PORTS)});
    std::vector<uint16_t> ports;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto& value = values[i];
        if (!value.number || *value.number == 0 || *value.number > 65535) {
            problems.push_back({i, fmt::format("expected a TCP port (1-65535), got {}", value.shown)});
            continue;
        }
        const auto port = static_cast<uint16_t>(*value.number);
        if (std::find(ports.begin(), ports.end(), port) != ports.end())
            problems.push_back({i, fmt::format("port {} listed twice", port)});
        else
            ports.push_back(port);
    }
    if (!problems.empty()) return tl::unexpected(std::move(problems));
    std::sort(ports.begin(), ports.end());
    return HttpPorts(std::move(ports));
}

Result<HttpPorts> parse_http_ports(std::string_view option, std::span<const std::string> values) {
    std::vector<PortValue> parsed;
    for (const auto& text : values) parsed.push_back({parse_whole(text), text});
    auto ports = check_http_ports(parsed);
    if (!ports) return failf(ErrorKind::invalid_input, "{}: {}", option, ports.error().front().message);
    return *ports;
}

}  // namespace xt
