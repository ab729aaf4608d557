// Typed access to the gateway-mode maps of an interface pair (`xdp-throttle attach A --peer B`
// pins them under A's pin directory, next to the maps of InterfaceMaps): the DEVMAP of the bridge,
// the two XSKMAPs the controller's AF_XDP sockets go into, the controller heartbeat and the bypass
// table of flows the controller no longer needs to see. Semantics in bpf/abi.h.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"
#include "common/fd.hpp"
#include "common/result.hpp"

namespace xt {

struct GatewayMaps {
    std::string iface;  // the client side A (where the pins live)
    UniqueFd ports, xsk_client, xsk_server, heartbeat, bypass;

    // Fails with a message telling the operator to attach with --peer when the pins are missing.
    static Result<GatewayMaps> open(std::string_view iface);
};

// The two interfaces of a gateway bridge, as the pinned xt_config records them.
struct GatewayPorts {
    std::string client_iface;  // A
    std::string server_iface;  // B
    uint32_t client_ifindex = 0;
    uint32_t server_ifindex = 0;
};
// The bridge a config records (XT_CFG_GATEWAY and the two ifindexes), nullopt in host mode. The
// pins live under the client side's name, `client_iface`; the server side's name is resolved in
// this network namespace ("ifindex N" when it is gone): status and detach show what is recorded.
std::optional<GatewayPorts> recorded_gateway(const xt_config& config, std::string_view client_iface);
// The recorded bridge with both names resolved, for the controller that serves it: an error naming
// `iface` when it was attached in host mode (no --peer) or either side no longer exists.
Result<GatewayPorts> gateway_ports(const xt_config& config, std::string_view iface);

// ---- bridge ----------------------------------------------------------------------------------
// XT_MAP_PORTS: each port of the bridge maps to the other.
Status set_bridge_ports(const GatewayMaps& maps, uint32_t client_ifindex, uint32_t server_ifindex);
// Removes both entries (ones already gone are fine).
void clear_bridge_ports(const GatewayMaps& maps, uint32_t client_ifindex, uint32_t server_ifindex);

// ---- heartbeat -------------------------------------------------------------------------------
// CLOCK_MONOTONIC nanoseconds: the clock the XDP program compares last_ns with.
uint64_t monotonic_now_ns();
inline constexpr uint64_t kDefaultHeartbeatTimeoutNs = 1'000'000'000;

Result<xt_heartbeat> read_heartbeat(const GatewayMaps& maps);
Status write_heartbeat(const GatewayMaps& maps, const xt_heartbeat& beat);
// last_ns = 0: the program stops steering at once (fail-open) without waiting for the timeout.
Status clear_heartbeat(const GatewayMaps& maps);
// Whether the program would steer to a controller with this heartbeat at `now_ns`.
bool heartbeat_fresh(const xt_heartbeat& beat, uint64_t now_ns);

// ---- bypass ----------------------------------------------------------------------------------
// Entries of XT_MAP_BYPASS (bpf/abi.h, struct xt_bypass); each is written whole, with last_ns =
// `now_ns`, replacing any entry of the same flow.
// The whole flow is bridged in the kernel (XT_BYPASS_FLOW): the controller no longer inspects it.
Status add_bypass(const GatewayMaps& maps, const xt_flow_key& flow, uint64_t now_ns);
// Server segments inside one response body are bridged in the kernel (XT_BYPASS_RESPONSE_BODY):
// server sequence numbers [body_start, body_end), the segment with byte body_end - 1 excepted.
Status add_body_skip(const GatewayMaps& maps, const xt_flow_key& flow, uint32_t body_start,
                     uint32_t body_end, uint64_t now_ns);
Status delete_bypass(const GatewayMaps& maps, const xt_flow_key& flow);
struct BypassEntry {
    xt_flow_key flow{};
    xt_bypass value{};
};
// The entry of one flow, nullopt when it has none.
Result<std::optional<xt_bypass>> read_bypass(const GatewayMaps& maps, const xt_flow_key& flow);
Result<std::vector<BypassEntry>> list_bypass(const GatewayMaps& maps);
// How long an entry has been idle at `now_ns`: since the program last bridged a segment because of
// it, or since it was written. 0 when last_ns is ahead of `now_ns` (the program's coarse clock).
uint64_t bypass_idle_ns(const xt_bypass& entry, uint64_t now_ns);
// Deletes the entries for which `expired` is true (the program never learns when a bypassed
// connection ends: the controller ages the entries out). Returns how many went.
Result<std::size_t> expire_bypass(const GatewayMaps& maps,
                                  const std::function<bool(const BypassEntry&)>& expired);

}  // namespace xt
