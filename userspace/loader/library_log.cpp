#include "library_log.hpp"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

namespace xt::detail {
namespace {

std::mutex log_mutex;
std::string captured;

bool debug_enabled() {
    const char* env = std::getenv("XDP_THROTTLE_DEBUG");
    return env && *env && std::string(env) != "0";
}

void append(const char* fmt, va_list ap) {
    char buf[2048];
    va_list copy;
    va_copy(copy, ap);
    vsnprintf(buf, sizeof buf, fmt, copy);
    va_end(copy);
    if (debug_enabled()) std::fputs(buf, stderr);
    std::lock_guard lock(log_mutex);
    if (captured.size() < (1u << 20)) captured += buf;
}

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list ap) {
    if (level == LIBBPF_DEBUG && !debug_enabled()) return 0;
    append(fmt, ap);
    return 0;
}

int libxdp_print(enum libxdp_print_level level, const char* fmt, va_list ap) {
    if (level == LIBXDP_DEBUG && !debug_enabled()) return 0;
    append(fmt, ap);
    return 0;
}

}  // namespace

void install_library_log() {
    static std::once_flag once;
    std::call_once(once, [] {
        libbpf_set_print(libbpf_print);
        libxdp_set_print(libxdp_print);
    });
}

std::string take_library_log() {
    std::lock_guard lock(log_mutex);
    return std::exchange(captured, {});
}

std::string library_log_tail(const std::string& log, size_t max_lines) {
    std::vector<std::string> lines;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);)
        if (line.find_first_not_of(" \t") != std::string::npos) lines.push_back(line);
    std::string out;
    const size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
    for (size_t i = first; i < lines.size(); ++i) {
        if (!out.empty()) out += "\n  ";
        out += lines[i];
    }
    return out;
}

}  // namespace xt::detail
