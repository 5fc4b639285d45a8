// libFuzzer target: the stream hello and ack parsers (plugin/hello.h) on arbitrary bytes.
// Property: a hello (or ack) that parses re-encodes to the very bytes it was parsed from, so
// no byte of either escapes the checks.
#include <cstdlib>
#include <cstring>
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
        back->conn_id != hello->conn_id || back->job_hash != hello->job_hash ||
        back->hello_nonce != hello->hello_nonce || back->authenticated != hello->authenticated ||
        std::memcmp(back->mac, hello->mac, sizeof(hello->mac)) != 0 ||
        std::memcmp(again.data(), data, kHelloSize) != 0) {
      std::abort();
    }
  }
  (void)hello_prefix_ok(wire::Bytes(data, size < 6 ? size : 6), &why);
  const auto ack = parse_ack(wire::Bytes(data, size), &why);
  if (ack) {
    std::vector<uint8_t> again(kAckSize);
    encode_ack(*ack, again);
    if (std::memcmp(again.data(), data, kAckSize) != 0) std::abort();
  }
  return 0;
}
