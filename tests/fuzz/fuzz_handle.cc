// libFuzzer target: the listen-handle decoder (plugin/handle.h) on arbitrary bytes, as NCCL
// would hand a garbage handle to connect(). Property: a decoded handle re-encodes to bytes that
// decode to the same address, port and nonce.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "handle.h"

using namespace lioncub::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string why;
  const auto h = decode_handle(wire::Bytes(data, size), &why);
  if (!h) {
    if (why.empty()) std::abort();  // every rejection says why
    return 0;
  }
  std::vector<uint8_t> again(kHandleSize);
  encode_handle(*h, again);
  const auto back = decode_handle(again, &why);
  if (!back || back->nonce != h->nonce || format_address(back->addr) != format_address(h->addr)) {
    std::abort();
  }
  return 0;
}
