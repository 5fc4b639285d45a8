#include "collectives/agreement.h"

#include <cstring>
#include <vector>

#include "common/error.h"

namespace lioncub::coll {
namespace {

std::string describe_call(const CallDescriptor& d) {
  const char* a = lioncubAlgorithmName(static_cast<lioncubAlgorithm_t>(d.algo));
  const bool sign = d.call == kCallSignAggregate;
  std::string s = sign                      ? "sign aggregate"
                  : d.call == kCallAllreduce ? "allreduce"
                  : d.call == kCallSignCount ? "sign count"
                                             : "unknown call";
  s += std::string(" algorithm ") + (a ? a : "?") + ", " + (sign ? "code " : "dtype ") +
       std::to_string(d.code) + ", " + (sign ? "tie " : "op ") + std::to_string(d.tie) +
       ", n = " + std::to_string(d.numel);
  if (sign) s += ", step " + std::to_string(d.step);
  return s;
}

}  // namespace

void agree(Backend& b, const void* mine, size_t bytes,
           const std::function<std::string(const void* desc)>& describe) {
  const int P = b.size();
  if (P == 1) return;
  std::vector<uint8_t> all(bytes * static_cast<size_t>(P));
  std::memcpy(all.data() + bytes * static_cast<size_t>(b.rank()), mine, bytes);
  b.allgather_control(all.data(), bytes);
  for (int j = 1; j < P; ++j) {
    const uint8_t* dj = all.data() + bytes * static_cast<size_t>(j);
    if (std::memcmp(dj, all.data(), bytes) != 0) {
      raise(lioncubInvalidUsage, "ranks disagree: rank 0 called " + describe(all.data()) +
                                     ", rank " + std::to_string(j) + " called " + describe(dj));
    }
  }
}

void check_call(lioncubComm& c, const CallDescriptor& d) {
  if (c.checked && !c.check_every_call) return;
  c.checked = true;
  agree(*c.backend, &d, sizeof d, [](const void* p) {
    CallDescriptor x;
    std::memcpy(&x, p, sizeof x);
    return describe_call(x);
  });
}

}  // namespace lioncub::coll
