#include "controller/state_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/fd.hpp"

namespace xt::controller {

std::filesystem::path default_state_file(const std::string& iface) {
    return std::filesystem::path(kStateDir) / (iface + ".json");
}

std::string state_json(const DaemonState& state) {
    nlohmann::json breakers = nlohmann::json::array();
    for (const auto& b : state.breakers)
        breakers.push_back({{"name", b.name},
                            {"backend", b.backend},
                            {"state", policy::to_string(b.state)},
                            {"consecutive_failures", b.consecutive_failures},
                            {"failures", b.failures},
                            {"opens", b.opens}});
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& t : state.tables)
        tables.push_back({{"name", t.name}, {"entries", t.entries}, {"max_entries", t.max_entries}});
    nlohmann::json out = {{"iface", state.iface},       {"peer", state.peer},
                          {"pid", state.pid},           {"written_unix", state.written_unix},
                          {"requests", state.requests}, {"rejected", state.rejected},
                          {"breakers", std::move(breakers)}, {"tables", std::move(tables)}};
    return out.dump() + "\n";
}

Status write_state_file(const std::filesystem::path& path, const std::string& text) {
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    const std::string tmp = path.string() + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return failf(errno, "{}: {}", tmp, std::strerror(errno));
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return failf(errno, "{}: {}", tmp, std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return failf(errno, "{} -> {}: {}", tmp, path.string(), std::strerror(errno));
    return {};
}

}  // namespace xt::controller
