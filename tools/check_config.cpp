// check-config FILE: validates a KrakenD-shaped config without touching anything.
#include <fmt/format.h>

#include "verbs.hpp"
#include "config/enforcement.hpp"
#include "config/load_config.hpp"

namespace xt::cli {
namespace {

nlohmann::json report_json(const std::string& path, const config::CheckReport& report) {
    nlohmann::json ignored = nlohmann::json::array();
    for (const auto& ns : report.config.ignored_namespaces)
        ignored.push_back({{"namespace", ns.name}, {"first_path", ns.first_path},
                           {"occurrences", ns.occurrences}});
    nlohmann::json out{{"file", path}, {"valid", report.ok()}, {"problems", report.problems},
                       {"warnings", report.config.warnings}, {"ignored_namespaces", ignored}};
    if (report.ok()) {
        out["endpoints"] = report.config.endpoints.size();
        out["enforced"] = config::enforcement_json(report.config);
        out["unenforceable_backends"] = config::unenforceable_json(report.config);
    }
    return out;
}

void print_report_text(const std::string& path, const config::CheckReport& report) {
    // Problems inside the document start with their JSON path; file-level ones already name the file.
    for (const auto& problem : report.problems)
        fmt::print(stderr, "{}{}\n", problem.starts_with("$") ? path + ": " : "", problem);
    for (const auto& warning : report.config.warnings) fmt::print(stderr, "{}: warning: {}\n", path, warning);
    if (!report.ok()) {
        fmt::print(stderr, "{}: invalid ({} problem{})\n", path, report.problems.size(),
                   report.problems.size() == 1 ? "" : "s");
        return;
    }
    for (const auto& ns : report.config.ignored_namespaces)
        fmt::print("ignored namespace \"{}\" ({} time{}, first at {})\n", ns.name, ns.occurrences,
                   ns.occurrences == 1 ? "" : "s", ns.first_path);
    for (const auto& b : report.config.unenforceable_backends)
        fmt::print("not enforceable: backend {} ({})\n", b.json_path, b.reason);
    fmt::print("{}: valid ({} endpoint{})\n", path, report.config.endpoints.size(),
               report.config.endpoints.size() == 1 ? "" : "s");
}

}  // namespace

int run_check_config(const ParsedArgs& parsed) {
    if (parsed.positionals.size() != 1)
        throw UsageError("check-config takes exactly one FILE", "check-config");
    const std::string& path = parsed.positionals[0];
    const auto report = config::check_config(path);
    if (parsed.flag("json"))
        print_json(report_json(path, report));
    else
        print_report_text(path, report);
    return report.ok() ? 0 : 1;
}

}  // namespace xt::cli
