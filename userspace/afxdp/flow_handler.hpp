// The engine's handler for gateway mode: every frame through the flow table, its verdict carried
// out on the wire (the frame forwarded or dropped, synthesized frames sent after it: `back` out of
// the ingress port, `onward` out of the other one).
#pragma once

#include "afxdp/engine.hpp"
#include "flow/flow_table.hpp"

namespace xt::afxdp {

// `table` must outlive the handler.
Handler flow_handler(flow::FlowTable& table);

}  // namespace xt::afxdp
