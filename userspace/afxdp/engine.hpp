// The AF_XDP engine of gateway mode: an AF_XDP socket on every RX queue of two ports (the client
// side A and the server side B), all sharing one UMEM, so a frame received on one port is
// transmitted out of the other without a copy (its UMEM address moves from an RX ring of A to a TX
// ring of B). One thread serves every socket: the flow table behind it sees both directions of a
// connection even when RSS puts them on different queue numbers of the two ports.
//
//   port A  fill ─► kernel ─► rx ─┐                      ┌─► tx ─► kernel ─► completion ─┐
//                                 ├─► handler(frame) ────┤                               │
//   port B  fill ─► kernel ─► rx ─┘   forward / drop /   └─► tx ... (the other port)      │
//              ▲                       inject new frames                                  │
//              └───────────────────── bounded frame pool ◄────────────────────────────────┘
//
// Each socket has its own fill and completion rings (xsk_socket__create_shared), all frames come
// from one bounded pool: fill rings are topped up from it on every poll, completions and dropped
// frames return to it. When a TX ring is full the frame is dropped (counted), never held, so
// TX backpressure cannot starve the fill rings (TCP retransmits what was dropped).
//
// The engine never loads an XDP program (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD): the caller's
// program redirects into an XSKMAP, and the caller passes that map's fd so the engine can insert
// its sockets (key = queue id). On veth only copy mode exists and copy-mode TX happens only when
// kicked with sendto(), which the engine does after every batch.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace xt::afxdp {

enum class Port : uint8_t { a = 0, b = 1 };
inline Port other(Port p) { return p == Port::a ? Port::b : Port::a; }
const char* to_string(Port p);

enum class BindMode {
    copy,       // XDP_COPY: works everywhere (veth, generic XDP)
    zero_copy,  // XDP_ZEROCOPY: fails where the driver lacks it
    automatic,  // let the kernel choose (zero-copy when the driver has it)
};

struct PortConfig {
    std::string ifname;
    std::vector<uint32_t> queues;  // empty: every RX queue of the interface
    int xskmap_fd = -1;  // the caller's XSKMAP (key = queue id); -1: the caller inserts the sockets
};

// RX queues of an interface, as /sys/class/net/IFACE/queues lists them (in the caller's netns).
Result<uint32_t> rx_queue_count(const std::string& ifname);

struct EngineConfig {
    PortConfig ports[2];
    BindMode bind_mode = BindMode::copy;
    uint32_t ring_size = 1024;   // rx, tx, fill, completion of each socket (power of two)
    uint32_t frame_size = 4096;  // power of two, >= 2048
    uint32_t frame_count = 0;    // 0: 4 * ring_size per socket, enough for every ring at once
    uint32_t rx_batch = 64;      // frames handled per socket per round
};

// Handed to the handler: queues extra frames (copied into pool frames) to transmit after the
// current frame's own disposition.
class Injector {
public:
    virtual ~Injector() = default;
    // False when no frame is free or the frame is larger than a UMEM frame (counted).
    virtual bool send(Port out, std::span<const uint8_t> frame) = 0;
};

enum class Disposition { forward, drop };

// Called for every received frame; `frame` may be modified in place (not resized).
using Handler = std::function<Disposition(Port ingress, std::span<uint8_t> frame, Injector& inject)>;

struct EngineStats {
    uint64_t rx[2] = {};
    uint64_t tx[2] = {};            // frames put on the TX ring (forwarded + injected)
    uint64_t dropped = 0;           // by the handler
    uint64_t tx_ring_full = 0;      // forwarded frames dropped because the TX ring was full
    uint64_t injected = 0;
    uint64_t inject_failed = 0;     // no free frame, TX ring full, or too large
    uint64_t kicks = 0;             // sendto() calls
    uint64_t kick_again = 0;        // ... that said EAGAIN (more frames than one call sends)
    uint64_t kick_errors = 0;       // sendto() failures other than the transient ones
    uint64_t fill_short = 0;        // polls where the pool could not top up a fill ring
    std::vector<uint64_t> rx_by_socket;  // in socket order: port A's queues, then port B's
};

class Engine {
public:
    // Creates the UMEM and both sockets and inserts them into the XSKMAPs. Needs CAP_NET_ADMIN
    // (and CAP_BPF/CAP_SYS_ADMIN for the map update).
    static Result<std::unique_ptr<Engine>> create(const EngineConfig& config);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // One round: drain completions, top up fill rings, wait up to timeout_ms for frames, handle
    // at most rx_batch frames per socket, transmit and kick. Returns the number of frames received.
    // A frame from queue i of one port leaves through socket i modulo the other port's count.
    Result<std::size_t> poll_once(int timeout_ms, const Handler& handler);
    // Rounds until `stop` is set (checked at least every 100 ms).
    Status run(const std::atomic<bool>& stop, const Handler& handler);

    const EngineStats& stats() const;
    std::size_t socket_count() const;
    int socket_fd(std::size_t index) const;
    uint32_t frame_count() const;
    uint32_t free_frames() const;  // frames in the pool (for tests and metrics)

    struct State;

private:
    explicit Engine(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace xt::afxdp
