// Lookups of one `backend[].host` entry: what the directory asks, injectable so that tests need no
// DNS. The system resolver reads /etc/resolv.conf for every lookup (a changed file is honoured).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "abi.h"
#include "common/result.hpp"
#include "discovery/target.hpp"

namespace xt::discovery {

// One host entry of a backend.
struct Source {
    enum class Kind { host, srv } kind = Kind::host;
    std::string name;   // "10.0.0.2", "api.internal", "_api._tcp.example"
    uint16_t port = 0;  // host: the URL's port (SRV records carry their own)
};

struct Lookup {
    std::vector<Target> targets;
    // Seconds the answer may be kept (the smallest TTL involved); nullopt when the lookup gives
    // none (getaddrinfo): the directory's resolve interval applies.
    std::optional<uint32_t> ttl_s;
};

// A failed lookup's Error::kind: not_found when the answer is definitive (NXDOMAIN, no records,
// no usable target), anything else when it may pass (timeout, SERVFAIL, no server reachable).
using Resolve = std::function<Result<Lookup>(const Source& source)>;

// Address literals without a lookup; host names through getaddrinfo (so /etc/hosts and nsswitch
// apply, as for any client on the host); SRV names through res_nquery, their targets through the
// additional section or A and AAAA queries.
Resolve system_resolve();

// The one-shot form PolicyEngine::create has always taken (host name -> addresses); SRV names are
// looked up by it as host names, so tests can map any name.
using HostResolver = std::function<std::vector<xt_addr>(const std::string& host)>;
HostResolver system_resolver();
Resolve from_host_resolver(HostResolver resolver);

}  // namespace xt::discovery
