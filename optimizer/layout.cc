// Bucket layout and momentum-sync schedule of the optimizer step (layout.h).
#include <algorithm>
#include <cmath>

#include "optimizer/layout.h"

namespace lioncub::lion {

size_t bucket_elements(size_t bucket_bytes, size_t element_size, size_t align) {
  size_t n = bucket_bytes / element_size;
  n -= n % align;
  return std::max(n, align);
}

std::vector<Bucket> make_buckets(const std::vector<size_t>& numels, size_t bucket, size_t block) {
  std::vector<size_t> starts(numels.size() + 1, 0);
  for (size_t t = 0; t < numels.size(); ++t) starts[t + 1] = starts[t] + numels[t];
  const size_t total = starts.back();
  std::vector<Bucket> out;
  size_t t = 0;  // first tensor that may overlap the current bucket
  for (size_t begin = 0; begin < total; begin += bucket) {
    Bucket b{begin, std::min(total, begin + bucket), {}, {}};
    while (t < numels.size() && starts[t + 1] <= b.begin) ++t;
    for (size_t u = t; u < numels.size() && starts[u] < b.end; ++u) {
      const size_t s = std::max(b.begin, starts[u]);
      const size_t e = std::min(b.end, starts[u + 1]);
      if (s >= e) continue;
      b.apply_pieces.push_back(Piece{int(u), s - starts[u], s, e - s});
      size_t from = s;
      if (block != 0 && s % block != 0) {  // a block cut by the tensor's start: its own piece
        const size_t head_end = std::min(e, (s / block + 1) * block);
        b.encode_pieces.push_back(Piece{int(u), s - starts[u], s, head_end - s});
        from = head_end;
      }
      if (from < e) b.encode_pieces.push_back(Piece{int(u), from - starts[u], from, e - from});
    }
    out.push_back(std::move(b));
  }
  return out;
}

bool sync_fires(const Schedule& s, uint64_t step, SchedulePos* pos) {
  switch (s.mode) {
    case lioncubSyncEvery:
      return (step + 1) % s.every == 0;
    case lioncubSyncExponential:
      if (step != pos->next) return false;
      pos->next += static_cast<uint64_t>(std::ceil(std::exp2(static_cast<double>(pos->j) / s.k)));
      ++pos->j;
      return true;
    default:
      return false;
  }
}

}  // namespace lioncub::lion
