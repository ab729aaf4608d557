#include "discovery/resolver.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "discovery/dns_message.hpp"
#include "input/address.hpp"

namespace xt::discovery {

namespace {

// A resolver state of our own per lookup: res_ninit reads /etc/resolv.conf now, so a file changed
// since the daemon started (or bind-mounted by `ip netns exec`) is honoured, and the refresh
// thread shares no state with anyone.
class ResolverState {
public:
    ResolverState() {
        ok_ = res_ninit(&state_) == 0;
        // Bounds a lookup against an unreachable server (glibc's default: 5s x 2 per server), so
        // a stopping daemon is not held by its refresher; resolv.conf's own options win below it.
        state_.retrans = std::min(state_.retrans, 2);
        state_.retry = std::min(state_.retry, 2);
    }
    ~ResolverState() {
        if (ok_) res_nclose(&state_);
    }
    ResolverState(const ResolverState&) = delete;
    ResolverState& operator=(const ResolverState&) = delete;
    bool ok() const { return ok_; }
    res_state get() { return &state_; }

private:
    struct __res_state state_ {};
    bool ok_ = false;
};

// One query; definitive "no such name / no such records" is not_found.
Result<DnsMessage> query(ResolverState& rs, const std::string& name, int type, const char* type_name) {
    std::array<uint8_t, 65535> buf{};
    const int n = res_nquery(rs.get(), name.c_str(), ns_c_in, type, buf.data(), static_cast<int>(buf.size()));
    if (n < 0) {
        switch (rs.get()->res_h_errno) {
        case HOST_NOT_FOUND: return failf(ErrorKind::not_found, "{} {}: no such name (NXDOMAIN)", type_name, name);
        case NO_DATA: return failf(ErrorKind::not_found, "{} {}: no {} records", type_name, name, type_name);
        case TRY_AGAIN: return failf(ErrorKind::busy, "{} {}: no answer (timeout or SERVFAIL)", type_name, name);
        default: return failf(ErrorKind::kernel, "{} {}: lookup failed (no server, or refused)", type_name, name);
        }
    }
    return parse_dns_message(std::span<const uint8_t>(buf.data(), static_cast<std::size_t>(n)));
}

uint32_t min_ttl(std::optional<uint32_t> a, uint32_t b) { return a ? std::min(*a, b) : b; }

Result<Lookup> lookup_srv(const std::string& name) {
    ResolverState rs;
    if (!rs.ok()) return failf(ErrorKind::kernel, "SRV {}: cannot read /etc/resolv.conf", name);
    const DnsMessage answer = XT_TRY(query(rs, name, ns_t_srv, "SRV"));
    Lookup out;
    for (const auto& srv : answer.srv) {
        out.ttl_s = min_ttl(out.ttl_s, srv.ttl);
        if (srv.target.empty() || srv.port == 0) continue;  // "." : explicitly not offered here
        std::vector<AddressRecord> addresses;
        for (const auto& a : answer.addresses)
            if (a.additional && strcasecmp(a.name.c_str(), srv.target.c_str()) == 0) addresses.push_back(a);
        if (addresses.empty()) {
            if (auto literal = parse_address(srv.target)) addresses.push_back({srv.target, *literal, srv.ttl, false});
        }
        if (addresses.empty()) {
            // No glue: ask for both families. One family missing is normal; both missing leaves
            // this target out (a target that resolves to nothing cannot be a flow's destination).
            std::optional<Error> transient;
            for (auto [type, type_name] : {std::pair{int(ns_t_a), "A"}, std::pair{int(ns_t_aaaa), "AAAA"}}) {
                auto got = query(rs, srv.target, type, type_name);
                if (!got) {
                    if (got.error().kind != ErrorKind::not_found) transient = got.error();
                    continue;
                }
                for (const auto& a : got->addresses)
                    if (!a.additional) addresses.push_back(a);
            }
            if (addresses.empty() && transient) return tl::unexpected(*transient);
        }
        for (const auto& a : addresses) {
            out.targets.push_back({a.addr, srv.port});
            out.ttl_s = min_ttl(out.ttl_s, a.ttl);
        }
    }
    normalize(out.targets);
    if (out.targets.empty())
        return failf(ErrorKind::not_found, "SRV {}: {} record{}, no target with an address", name,
                     answer.srv.size(), answer.srv.size() == 1 ? "" : "s");
    return out;
}

Result<Lookup> lookup_host(const std::string& name, uint16_t port) {
    Lookup out;
    if (auto literal = parse_address(name)) {
        out.targets.push_back({*literal, port});
        return out;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    if (const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &list); rc != 0) {
        const bool definitive = rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY;
        return failf(definitive ? ErrorKind::not_found : ErrorKind::busy, "{}: {}", name, gai_strerror(rc));
    }
    for (addrinfo* ai = list; ai; ai = ai->ai_next) {
        char text[INET6_ADDRSTRLEN] = {};
        const void* raw = ai->ai_family == AF_INET
                              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)
                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr);
        if (inet_ntop(ai->ai_family, raw, text, sizeof text))
            if (auto a = parse_address(text)) out.targets.push_back({*a, port});
    }
    freeaddrinfo(list);
    normalize(out.targets);
    if (out.targets.empty()) return failf(ErrorKind::not_found, "{}: no address", name);
    return out;
}

}  // namespace

Resolve system_resolve() {
    return [](const Source& source) {
        return source.kind == Source::Kind::srv ? lookup_srv(source.name)
                                                : lookup_host(source.name, source.port);
    };
}

HostResolver system_resolver() {
    return [](const std::string& host) {
        std::vector<xt_addr> out;
        if (auto got = lookup_host(host, 0))
            for (const auto& t : got->targets) out.push_back(t.addr);
        return out;
    };
}

Resolve from_host_resolver(HostResolver resolver) {
    return [resolver = std::move(resolver)](const Source& source) -> Result<Lookup> {
        Lookup out;
        for (const auto& a : resolver ? resolver(source.name) : std::vector<xt_addr>{})
            out.targets.push_back({a, source.port});
        normalize(out.targets);
        if (out.targets.empty())
            return fail(ErrorKind::not_found, "no address");
        return out;
    };
}

}  // namespace xt::discovery
