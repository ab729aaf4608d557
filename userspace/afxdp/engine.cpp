#include "afxdp/engine.hpp"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include <xdp/xsk.h>

namespace xt::afxdp {

const char* to_string(Port p) { return p == Port::a ? "A" : "B"; }

namespace {

// The UMEM area: anonymous memory, page aligned, unmapped last (after sockets and umem).
struct MappedArea {
    void* base = MAP_FAILED;
    std::size_t size = 0;
    ~MappedArea() {
        if (base != MAP_FAILED) ::munmap(base, size);
    }
};

struct UmemDeleter {
    void operator()(xsk_umem* u) const { xsk_umem__delete(u); }
};
struct SocketDeleter {
    void operator()(xsk_socket* s) const { xsk_socket__delete(s); }
};

bool is_pow2(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

// One AF_XDP socket (one queue of one port). libxdp keeps pointers to these rings: each socket
// lives in its own heap allocation and never moves.
struct SocketState {
    std::size_t index = 0;  // in Engine::State::sockets
    Port port = Port::a;
    uint32_t queue = 0;
    std::size_t index_in_port = 0;
    xsk_ring_cons rx{};
    xsk_ring_prod tx{};
    xsk_ring_prod fill{};
    xsk_ring_cons comp{};
    std::unique_ptr<xsk_socket, SocketDeleter> socket;
    uint32_t tx_outstanding = 0;  // on the TX ring or not yet completed
    uint32_t tx_pending = 0;      // reserved and written, not yet submitted
};

// Members are destroyed in reverse order: sockets, then the umem, then the memory.
struct Engine::State : Injector {
    EngineConfig config;
    uint32_t frames = 0;
    MappedArea area;
    std::unique_ptr<xsk_umem, UmemDeleter> umem;
    std::vector<std::unique_ptr<SocketState>> sockets;
    std::vector<SocketState*> by_port[2];
    std::vector<uint64_t> free_frames;  // the pool: frame base addresses
    EngineStats stats;
    SocketState* current = nullptr;     // the socket whose frame the handler is looking at

    // Where a frame received on `from` leaves when it goes out of port `p`.
    SocketState& tx_socket(const SocketState& from, Port p) {
        if (p == from.port) return const_cast<SocketState&>(from);
        const auto& list = by_port[static_cast<int>(p)];
        return *list[from.index_in_port % list.size()];
    }
    uint8_t* data(uint64_t addr) { return static_cast<uint8_t*>(xsk_umem__get_data(area.base, addr)); }
    uint64_t frame_base(uint64_t addr) const { return addr - addr % config.frame_size; }

    // Puts one descriptor on a port's TX ring; false when the ring is full.
    bool enqueue_tx(SocketState& ps, uint64_t addr, uint32_t len) {
        uint32_t idx;
        if (xsk_ring_prod__reserve(&ps.tx, 1, &idx) != 1) return false;
        xdp_desc* d = xsk_ring_prod__tx_desc(&ps.tx, idx);
        d->addr = addr;
        d->len = len;
        d->options = 0;
        ++ps.tx_pending;
        ++ps.tx_outstanding;
        ++stats.tx[static_cast<int>(ps.port)];
        return true;
    }

    // Frames the handler injects wait here until the current frame's own disposition is queued,
    // so on the wire they follow it (a rejection after the response it must not overtake).
    struct Pending {
        SocketState* socket;
        uint64_t addr;
        uint32_t len;
    };
    std::vector<Pending> pending;

    bool send(Port out, std::span<const uint8_t> frame) override {
        if (frame.size() > config.frame_size || free_frames.empty()) {
            ++stats.inject_failed;
            return false;
        }
        const uint64_t addr = free_frames.back();
        free_frames.pop_back();
        std::memcpy(data(addr), frame.data(), frame.size());
        pending.push_back({&tx_socket(*current, out), addr, static_cast<uint32_t>(frame.size())});
        return true;
    }

    void flush_pending() {
        for (const auto& p : pending) {
            if (enqueue_tx(*p.socket, p.addr, p.len)) {
                ++stats.injected;
            } else {
                ++stats.inject_failed;
                free_frames.push_back(p.addr);
            }
        }
        pending.clear();
    }

    void drain_completions(SocketState& ps) {
        uint32_t idx;
        const uint32_t n = xsk_ring_cons__peek(&ps.comp, config.ring_size, &idx);
        for (uint32_t i = 0; i < n; ++i)
            free_frames.push_back(frame_base(*xsk_ring_cons__comp_addr(&ps.comp, idx + i)));
        if (n) xsk_ring_cons__release(&ps.comp, n);
        ps.tx_outstanding -= std::min(ps.tx_outstanding, n);
    }

    // Top a fill ring up. The pool is shared, so each socket takes at most half of what is free:
    // one busy socket cannot take every frame from the others.
    void top_up_fill(SocketState& ps, bool share) {
        uint32_t want = xsk_prod_nb_free(&ps.fill, config.ring_size);
        const auto available = static_cast<uint32_t>(free_frames.size());
        uint32_t give = std::min(want, share ? available / 2 + (available & 1) : available);
        if (give < want) ++stats.fill_short;
        if (give == 0) return;
        uint32_t idx;
        give = xsk_ring_prod__reserve(&ps.fill, give, &idx);
        for (uint32_t i = 0; i < give; ++i) {
            *xsk_ring_prod__fill_addr(&ps.fill, idx + i) = free_frames.back();
            free_frames.pop_back();
        }
        xsk_ring_prod__submit(&ps.fill, give);
    }

    void kick_tx(SocketState& ps) {
        if (ps.tx_pending) {
            xsk_ring_prod__submit(&ps.tx, ps.tx_pending);
            ps.tx_pending = 0;
        }
        if (ps.tx_outstanding == 0) return;
        // Copy mode transmits only inside sendto(); zero-copy drivers need it when they ask.
        if (config.bind_mode != BindMode::copy && !xsk_ring_prod__needs_wakeup(&ps.tx)) return;
        // Copy mode sends at most 32 frames per call (the kernel's TX_BATCH_SIZE) and says EAGAIN
        // while more wait: kick until the ring is empty (bounded), else a busy port's TX ring
        // fills faster than one kick per round drains it.
        const int fd = xsk_socket__fd(ps.socket.get());
        for (uint32_t attempt = 0; attempt <= config.ring_size / 32; ++attempt) {
            ++stats.kicks;
            if (::sendto(fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) break;
            if (errno == EAGAIN) {
                ++stats.kick_again;
                continue;
            }
            if (errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN) ++stats.kick_errors;
            break;
        }
    }

    std::size_t receive(SocketState& ps, const Handler& handler) {
        const Port p = ps.port;
        current = &ps;
        uint32_t idx;
        const uint32_t n = xsk_ring_cons__peek(&ps.rx, config.rx_batch, &idx);
        for (uint32_t i = 0; i < n; ++i) {
            const xdp_desc* d = xsk_ring_cons__rx_desc(&ps.rx, idx + i);
            const uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);
            const uint32_t len = d->len;
            ++stats.rx[static_cast<int>(p)];
            ++stats.rx_by_socket[ps.index];
            const Disposition disposition = handler(p, std::span<uint8_t>(data(addr), len), *this);
            if (disposition == Disposition::forward) {
                if (!enqueue_tx(tx_socket(ps, other(p)), addr, len)) {
                    ++stats.tx_ring_full;
                    free_frames.push_back(frame_base(addr));
                }
            } else {
                ++stats.dropped;
                free_frames.push_back(frame_base(addr));
            }
            if (!pending.empty()) flush_pending();
        }
        if (n) xsk_ring_cons__release(&ps.rx, n);
        return n;
    }
};

Result<uint32_t> rx_queue_count(const std::string& ifname) {
    const std::string dir = "/sys/class/net/" + ifname + "/queues";
    std::error_code ec;
    uint32_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().filename().string().rfind("rx-", 0) == 0) ++count;
    if (ec) return failf(ec.value(), "AF_XDP: cannot list {}: {}", dir, ec.message());
    if (count == 0) return failf(ErrorKind::unsupported, "AF_XDP: {} has no RX queue", ifname);
    return count;
}

Engine::Engine(std::unique_ptr<State> state) : state_(std::move(state)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(const EngineConfig& config) {
    if (!is_pow2(config.ring_size) || !is_pow2(config.frame_size) || config.frame_size < 2048)
        return failf(ErrorKind::invalid_input,
                     "AF_XDP: ring size {} and frame size {} must be powers of two (frame size at least "
                     "2048)", config.ring_size, config.frame_size);
    auto s = std::make_unique<State>();
    s->config = config;
    if (s->config.rx_batch == 0) s->config.rx_batch = 64;
    for (int port = 0; port < 2; ++port) {
        PortConfig& pc = s->config.ports[port];
        if (pc.ifname.empty() || ::if_nametoindex(pc.ifname.c_str()) == 0)
            return failf(ErrorKind::not_found, "AF_XDP: no such interface '{}'", pc.ifname);
        if (pc.queues.empty()) {
            const uint32_t count = XT_TRY(rx_queue_count(pc.ifname));
            for (uint32_t q = 0; q < count; ++q) pc.queues.push_back(q);
        }
        for (std::size_t i = 0; i < pc.queues.size(); ++i) {
            auto socket = std::make_unique<SocketState>();
            socket->port = static_cast<Port>(port);
            socket->queue = pc.queues[i];
            socket->index_in_port = i;
            socket->index = s->sockets.size();
            s->by_port[port].push_back(socket.get());
            s->sockets.push_back(std::move(socket));
        }
    }
    const auto socket_count = static_cast<uint32_t>(s->sockets.size());
    s->stats.rx_by_socket.assign(socket_count, 0);
    s->frames = config.frame_count ? config.frame_count : 4 * config.ring_size * socket_count;
    if (s->frames < 2 * config.ring_size * socket_count)
        return failf(ErrorKind::invalid_input,
                     "AF_XDP: {} frames cannot fill {} rings of {} and keep frames for TX", s->frames,
                     socket_count, config.ring_size);
    s->area.size = std::size_t{s->frames} * config.frame_size;
    s->area.base = ::mmap(nullptr, s->area.size, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (s->area.base == MAP_FAILED)
        return failf(errno, "AF_XDP: cannot map {} bytes of UMEM: {}", s->area.size, std::strerror(errno));

    xsk_umem_config umem_config{};
    umem_config.fill_size = config.ring_size;
    umem_config.comp_size = config.ring_size;
    umem_config.frame_size = config.frame_size;
    umem_config.frame_headroom = 0;
    umem_config.flags = 0;
    xsk_umem* umem = nullptr;
    // The first socket's fill/completion rings are the UMEM's own; libxdp hands them to it.
    SocketState& first = *s->sockets.front();
    if (int err = xsk_umem__create(&umem, s->area.base, s->area.size, &first.fill, &first.comp,
                                   &umem_config))
        return failf(-err, "AF_XDP: cannot register the UMEM ({} frames of {} bytes): {}", s->frames,
                     config.frame_size, std::strerror(-err));
    s->umem.reset(umem);

    for (auto& socket_state : s->sockets) {
        SocketState& ps = *socket_state;
        const PortConfig& pc = s->config.ports[static_cast<int>(ps.port)];
        xsk_socket_config sc{};
        sc.rx_size = config.ring_size;
        sc.tx_size = config.ring_size;
        sc.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
        switch (config.bind_mode) {
        case BindMode::copy: sc.bind_flags = XDP_COPY; break;
        case BindMode::zero_copy: sc.bind_flags = XDP_ZEROCOPY; break;
        case BindMode::automatic: sc.bind_flags = 0; break;
        }
        sc.bind_flags |= XDP_USE_NEED_WAKEUP;
        xsk_socket* socket = nullptr;
        if (int err = xsk_socket__create_shared(&socket, pc.ifname.c_str(), ps.queue, umem, &ps.rx,
                                                &ps.tx, &ps.fill, &ps.comp, &sc))
            return failf(-err, "AF_XDP: cannot bind a socket to {} queue {}: {}", pc.ifname, ps.queue,
                         std::strerror(-err));
        ps.socket.reset(socket);
        if (pc.xskmap_fd >= 0) {
            if (int err = xsk_socket__update_xskmap(socket, pc.xskmap_fd))
                return failf(-err, "AF_XDP: cannot insert the socket of {} queue {} into the XSKMAP: {}",
                             pc.ifname, ps.queue, std::strerror(-err));
        }
    }

    s->free_frames.reserve(s->frames);
    for (uint32_t i = 0; i < s->frames; ++i)
        s->free_frames.push_back(uint64_t{s->frames - 1 - i} * config.frame_size);
    for (auto& ps : s->sockets) s->top_up_fill(*ps, false);
    return std::unique_ptr<Engine>(new Engine(std::move(s)));
}

Result<std::size_t> Engine::poll_once(int timeout_ms, const Handler& handler) {
    State& s = *state_;
    for (auto& ps : s.sockets) s.drain_completions(*ps);
    for (auto& ps : s.sockets) s.top_up_fill(*ps, true);

    bool ready = false, outstanding = false;
    for (auto& ps : s.sockets) {
        ready = ready || xsk_cons_nb_avail(&ps->rx, 1) > 0;
        outstanding = outstanding || ps->tx_outstanding > 0;
    }
    if (!ready && timeout_ms != 0) {
        std::vector<pollfd> fds;
        fds.reserve(s.sockets.size());
        for (auto& ps : s.sockets) fds.push_back({xsk_socket__fd(ps->socket.get()), POLLIN, 0});
        // With TX still outstanding, come back soon to reap completions and kick again.
        if (::poll(fds.data(), fds.size(), outstanding ? std::min(timeout_ms, 1) : timeout_ms) < 0 &&
            errno != EINTR)
            return failf(errno, "AF_XDP: poll failed: {}", std::strerror(errno));
    }
    std::size_t received = 0;
    for (auto& ps : s.sockets) received += s.receive(*ps, handler);
    for (auto& ps : s.sockets) s.kick_tx(*ps);
    return received;
}

Status Engine::run(const std::atomic<bool>& stop, const Handler& handler) {
    while (!stop.load(std::memory_order_relaxed)) XT_TRY(poll_once(100, handler));
    return {};
}

const EngineStats& Engine::stats() const { return state_->stats; }
std::size_t Engine::socket_count() const { return state_->sockets.size(); }
int Engine::socket_fd(std::size_t index) const {
    return xsk_socket__fd(state_->sockets.at(index)->socket.get());
}
uint32_t Engine::frame_count() const { return state_->frames; }
uint32_t Engine::free_frames() const { return static_cast<uint32_t>(state_->free_frames.size()); }

}  // namespace xt::afxdp
