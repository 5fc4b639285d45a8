// libFuzzer target: the control-message parser (plugin/message.h) on arbitrary bytes.
// Properties: what it consumes lies within the input; a parsed message re-encodes to the same
// header; an inline payload is never larger than the inline limit.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "message.h"

using namespace lioncub::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const uint32_t inline_max = (uint32_t(data[0]) | uint32_t(data[1]) << 8) * 16;  // 0 .. ~1 MiB
  const wire::Bytes in(data + 4, size - 4);
  const ControlParse p = parse_control(in, inline_max);
  if (p.status == ParseStatus::kOk) {
    if (p.consumed < kControlSize || p.consumed > in.size()) std::abort();
    if (p.consumed > kControlSize && p.consumed - kControlSize > inline_max) std::abort();
    std::vector<uint8_t> again(kControlSize);
    encode_control(p.msg, again);
    const ControlParse q = parse_control(again, inline_max);
    if (q.status == ParseStatus::kError) std::abort();
    if (q.status == ParseStatus::kOk && (q.msg.size != p.msg.size || q.msg.tag != p.msg.tag)) std::abort();
  } else if (p.status == ParseStatus::kError && p.error.empty()) {
    std::abort();  // every rejection says why
  }
  return 0;
}
