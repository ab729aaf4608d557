#include "controller/autoban_writer.hpp"

#include <fmt/format.h>

#include "input/address.hpp"
#include "maps/bans.hpp"
#include "maps/pin_root_lock.hpp"

namespace xt::controller {

AutobanWriter::AutobanWriter(const config::Config& config, const InterfaceMaps& maps, LogSink log)
    : maps_(maps),
      log_(std::move(log)),
      autoban_(config, policy::monotonic_clock(), [this](const xt_addr& a) { return is_banned(a); }),
      max_bans_per_minute_(config.gateway.autoban.max_bans_per_minute),
      max_windows_(config.gateway.autoban.max_windows) {}

// Queued, or in the box. A lookup that fails says "not banned": the write that follows then re-bans
// (add_bans replaces a ban in place) or reports the map's error itself.
bool AutobanWriter::is_banned(const xt_addr& address) const {
    for (const auto& order : queued_)
        if (order.address == address) return true;
    auto banned = xt::is_banned(maps_, address);
    return banned && *banned;
}

void AutobanWriter::on_reject(const policy::RequestInfo& request, const policy::Reject& reject) {
    if (auto order = autoban_.on_reject(request, reject)) queued_.push_back(std::move(*order));
}

void AutobanWriter::flush() {
    if (queued_.empty()) return;
    auto lock = PinRootLock::try_acquire();
    if (lock && !*lock) return;  // a CLI command holds it: next round
    if (!lock) {
        write_errors_ += queued_.size();
        if (log_) log_(fmt::format("autoban: cannot write {} ban{}: {}", queued_.size(),
                                   queued_.size() == 1 ? "" : "s", lock.error().message));
        queued_.clear();
        return;
    }
    for (const auto& order : queued_) write(order);  // add_bans takes the lock we hold (re-entrant)
    queued_.clear();
}

void AutobanWriter::write(const policy::BanOrder& order) {
    const xt_addr one[] = {order.address};
    auto written = add_bans(maps_, one, order.duration_ns, order.reason, XT_BAN_BY_CONTROLLER);
    // add_bans says `unsupported` only for a full box. Expired bans still hold slots until reaped:
    // reap them and try once more before refusing.
    if (!written && written.error().kind == ErrorKind::unsupported && reap_expired_bans(maps_).value_or(0) > 0)
        written = add_bans(maps_, one, order.duration_ns, order.reason, XT_BAN_BY_CONTROLLER);
    if (written) {
        ++banned_;
        refusing_ = false;
        if (log_) log_(fmt::format("autoban: {}", order.description));
        return;
    }
    if (written.error().kind != ErrorKind::unsupported) {
        ++write_errors_;
        if (log_) log_(fmt::format("autoban: cannot ban {}: {}", format_address(order.address),
                                   written.error().message));
        return;
    }
    // A full box never drops a ban to make room (maps/bans.hpp): the new one is refused and counted,
    // and logged once per episode, not once per refusal.
    ++refused_;
    if (refusing_) return;
    refusing_ = true;
    ++refused_episodes_;
    if (log_) log_(fmt::format("autoban: the ban box is full: {} not banned ({}); new bans are refused "
                               "and counted until one can be written again (episode {}): {}",
                               format_address(order.address), order.reason, refused_episodes_,
                               written.error().message));
}

void AutobanWriter::note_episodes() {
    if (!log_) return;
    const auto c = autoban_.counters();
    if (c.suppressed_episodes > suppressed_episodes_logged_) {
        suppressed_episodes_logged_ = c.suppressed_episodes;
        log_(fmt::format("autoban: max_bans_per_minute ({}) reached: further bans are counted "
                         "(suppressed {} so far), not written, until the last minute holds fewer "
                         "(episode {})", max_bans_per_minute_, c.suppressed, c.suppressed_episodes));
    }
    if (c.windows_full_episodes > windows_full_episodes_logged_) {
        windows_full_episodes_logged_ = c.windows_full_episodes;
        log_(fmt::format("autoban: window table full: {} sources' windows are all live "
                         "(autoban.max_windows); rejections of new sources are not counted until "
                         "one goes stale ({} so far, episode {})",
                         max_windows_, c.windows_full, c.windows_full_episodes));
    }
}

std::string AutobanWriter::stats() const {
    const auto c = autoban_.counters();
    return fmt::format("autoban banned {}, suppressed {} (rate), refused {} (ban box full), never {}, "
                       "already banned {}, windows {} (full {}, forgotten {}), write errors {}",
                       banned_, c.suppressed, refused_, c.never, c.already_banned, autoban_.windows(),
                       c.windows_full, c.windows_forgotten, write_errors_);
}

}  // namespace xt::controller
