#include "message.h"

#include <cstring>

namespace lioncub::net {
namespace {
constexpr uint16_t kControlMagic = 0x4d43;  // "CM"
}

void encode_control(const ControlMsg& m, wire::MutableBytes out) {
  wire::put<uint64_t>(out, 0, m.size);
  wire::put<int32_t>(out, 8, m.tag);
  wire::put<uint16_t>(out, 12, kControlMagic);
  wire::put<uint16_t>(out, 14, 0);
}

ControlParse parse_control(wire::Bytes in, uint32_t inline_max) {
  ControlParse r;
  if (in.size() < kControlSize) return r;
  if (wire::get<uint16_t>(in, 12) != kControlMagic || wire::get<uint16_t>(in, 14) != 0) {
    r.status = ParseStatus::kError;
    r.error = "corrupt control message (bad magic or flags)";
    return r;
  }
  r.msg.size = wire::get<uint64_t>(in, 0);
  r.msg.tag = wire::get<int32_t>(in, 8);
  if (r.msg.size > kMaxMessageBytes) {
    r.status = ParseStatus::kError;
    r.error = "control message size " + std::to_string(r.msg.size) + " exceeds the protocol limit";
    return r;
  }
  const size_t need = kControlSize + (r.msg.size <= inline_max ? r.msg.size : 0);
  if (in.size() < need) return r;
  r.status = ParseStatus::kOk;
  r.consumed = need;
  return r;
}

}  // namespace lioncub::net
