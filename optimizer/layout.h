// The optimizer step's layout and momentum-sync schedule (layout.cc): pure functions that the
// tests reach directly.
//
// Layout. The parameter space is ntensors tensors laid end to end (flat index space). Buckets are
// consecutive flat ranges of `bucket` elements (the last may be short); `bucket` is a multiple of
// 32, and of the ternary block when alpha > 0, so every bucket's code starts at a word of the
// flat code planes and the ternary blocks are the flat blocks [kB, (k+1)B) cut at tensor
// boundaries whatever the bucket size. A bucket is a list of pieces: the part of one tensor
// inside the bucket, cut again where a ternary block starts (each piece is one encode call).
//
// Sync schedule: a pure function of the step count and its own position (saved with the state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lioncub/lioncub.h"

namespace lioncub::lion {

struct Piece {
  int tensor;
  size_t tensor_offset;  // element offset inside the tensor
  size_t flat;           // element offset in the flat space
  size_t len;
};

struct Bucket {
  size_t begin, end;                 // flat elements [begin, end)
  std::vector<Piece> encode_pieces;  // cut at tensors and ternary blocks
  std::vector<Piece> apply_pieces;   // cut at tensors only
};

// Elements per bucket: bucket_bytes / element size rounded down to a multiple of `align`, at
// least `align`.
size_t bucket_elements(size_t bucket_bytes, size_t element_size, size_t align);

std::vector<Bucket> make_buckets(const std::vector<size_t>& numels, size_t bucket, size_t block);

struct Schedule {
  lioncubMomentumSync_t mode = lioncubSyncNever;
  uint32_t every = 1;  // K
  double k = 1.0;      // exponential
};

// Position of the exponential schedule: the next sync is after step `next`, the j-th one.
struct SchedulePos {
  uint64_t j = 0;
  uint64_t next = 0;
};

// Whether step `step` (0-based) synchronizes; advances `pos` when it does (exponential).
bool sync_fires(const Schedule& s, uint64_t step, SchedulePos* pos);

}  // namespace lioncub::lion
