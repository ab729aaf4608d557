#include "afxdp/flow_handler.hpp"

namespace xt::afxdp {

Handler flow_handler(flow::FlowTable& table) {
    return [&table](Port ingress, std::span<uint8_t> frame, Injector& inject) {
        const flow::Verdict verdict = table.on_frame(frame);
        // Injected frames leave after the current frame (the engine queues them behind it):
        // a trimmed segment or released held segments follow in order, an answer follows the
        // response segment it must not overtake.
        for (const auto& f : verdict.onward) inject.send(other(ingress), f);
        for (const auto& f : verdict.back) inject.send(ingress, f);
        return verdict.forwards() ? Disposition::forward : Disposition::drop;
    };
}

}  // namespace xt::afxdp
