// Who "the client" is for a client rate limit. Internal to the policy engine.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "http/endpoint_matcher.hpp"
#include "policy/engine.hpp"

namespace xt::policy {

bool cidr_contains(const Cidr& cidr, const xt_addr& addr);

// The bucket key of the request's client, or nothing when the strategy's key is missing
// (KrakenD answers 429 then). Keys of different strategies never meet: each limit has its own map.
// The `ip` strategy keys an address by its prefix (`prefixes`: /32 and /64 by default).
std::optional<std::string> client_identity(const config::ClientRateLimit& limit,
                                           const RequestInfo& request, const http::EndpointMatch* match,
                                           const std::vector<Cidr>& trusted_proxies,
                                           const config::ClientPrefixes& prefixes);

}  // namespace xt::policy
