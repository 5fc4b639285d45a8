// libFuzzer target: the stream hello and ack parsers (plugin/hello.h) on arbitrary bytes.
// Property: a hello that parses re-encodes to bytes that parse to the same fields.
#include <cstdlib>
#include <string>
#include <vector>

#include "hello.h"

using namespace lioncub::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string why;
  const auto hello = parse_hello(wire::Bytes(data, size), &why);
  if (hello) {
    std::vector<uint8_t> again(kHelloSize);
    encode_hello(*hello, again);
    const auto back = parse_hello(again, &why);
    if (!back || back->kind != hello->kind || back->index != hello->index ||
        back->streams != hello->streams || back->min_chunk != hello->min_chunk ||
        back->inline_max != hello->inline_max || back->nonce != hello->nonce ||
        back->conn_id != hello->conn_id) {
      std::abort();
    }
  }
  if (size >= 8) {
    uint64_t expected = 0;
    for (int i = 0; i < 8; ++i) expected |= uint64_t(data[i]) << (8 * i);
    (void)parse_ack(wire::Bytes(data + 8, size - 8), expected, &why);
  }
  return 0;
}
