#include "discovery/dns_message.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include <cerrno>
#include <cstring>

#include "input/address.hpp"

namespace xt::discovery {

namespace {

std::string without_root_dot(std::string name) {
    if (name == ".") return "";
    if (!name.empty() && name.back() == '.') name.pop_back();
    return name;
}

}  // namespace

Result<DnsMessage> parse_dns_message(std::span<const uint8_t> wire) {
    ns_msg msg{};
    if (ns_initparse(wire.data(), static_cast<int>(wire.size()), &msg) < 0)
        return failf(ErrorKind::invalid_input, "malformed DNS message ({} bytes)", wire.size());
    DnsMessage out;
    out.rcode = static_cast<unsigned>(ns_msg_getflag(msg, ns_f_rcode));
    for (ns_sect section : {ns_s_an, ns_s_ar}) {
        for (int i = 0; i < ns_msg_count(msg, section); ++i) {
            ns_rr rr{};
            if (ns_parserr(&msg, section, i, &rr) < 0)
                return failf(ErrorKind::invalid_input, "malformed DNS record {} of section {}", i,
                             static_cast<int>(section));
            if (ns_rr_class(rr) != ns_c_in) continue;
            const uint8_t* rdata = ns_rr_rdata(rr);
            const auto rdlen = ns_rr_rdlen(rr);
            switch (ns_rr_type(rr)) {
            case ns_t_srv: {
                if (section != ns_s_an) break;
                if (rdlen < 7) return fail(ErrorKind::invalid_input, "SRV record shorter than 7 bytes");
                char target[NS_MAXDNAME] = {};
                if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rdata + 6, target,
                                       sizeof target) < 0)
                    return fail(ErrorKind::invalid_input, "SRV record with a malformed target name");
                SrvRecord srv;
                srv.priority = ns_get16(rdata);
                srv.weight = ns_get16(rdata + 2);
                srv.port = ns_get16(rdata + 4);
                srv.target = without_root_dot(target);
                srv.ttl = ns_rr_ttl(rr);
                out.srv.push_back(std::move(srv));
                break;
            }
            case ns_t_a:
            case ns_t_aaaa: {
                const bool v4 = ns_rr_type(rr) == ns_t_a;
                if (rdlen != (v4 ? 4 : 16))
                    return failf(ErrorKind::invalid_input, "{} record of {} bytes", v4 ? "A" : "AAAA", rdlen);
                char text[INET6_ADDRSTRLEN] = {};
                inet_ntop(v4 ? AF_INET : AF_INET6, rdata, text, sizeof text);
                auto addr = parse_address(text);
                if (!addr) return tl::unexpected(addr.error());
                out.addresses.push_back({without_root_dot(ns_rr_name(rr)), *addr, ns_rr_ttl(rr),
                                         section == ns_s_ar});
                break;
            }
            default:
                break;  // CNAMEs: the resolver already followed them to the records we read
            }
        }
    }
    return out;
}

}  // namespace xt::discovery
