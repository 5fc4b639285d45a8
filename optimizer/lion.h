// The optimizer object behind lioncubLion_t and the pieces of a step:
//   config.{h,cc}, agree.cc   configuration checks, defaults, resolution, cross-rank agreement
//   layout.{h,cc}            buckets and the momentum-sync schedule
//   bit_shift.{h,cu}          codes that start inside a word (host loops, device kernels)
//   device.h, pipeline.{h,cc} buffers and ordering through the Backend; the communication side
//   ops.cc                    one bucket's encode, apply, exchanges, momentum sync; the flag
//   strategies.cc             one step: local (one rank), full, compressed; statistics
//   create.cc                 create / destroy, buffers
//   state.cc                  saved state, statistics read-back
//   c_api.cc                  the C entry points (c_api() guard)
// The optimizer drives the communicator's Backend, the algorithm functions
// (collectives/algorithms/algorithms.h) and the kernels' internal entry points
// (kernels/kernels.h) directly: arguments are validated once, at create.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "collectives/backend/backend.h"
#include "lioncub/lioncub.h"
#include "optimizer/config.h"
#include "optimizer/device.h"
#include "optimizer/layout.h"
#include "optimizer/pipeline.h"

struct lioncubLion {
  lioncubComm_t comm = nullptr;
  // The communicator's backend, shared: it outlives the optimizer's buffers, events and stream.
  std::shared_ptr<lioncub::coll::Backend> backend;
  lioncub::coll::Backend* be = nullptr;  // backend.get()
  lioncub::lion::Setup s;
  std::vector<lioncub::lion::Bucket> buckets;
  std::vector<lioncubAlgorithm_t> bucket_algo;  // compressed: auto resolved per bucket
  lioncub::lion::Schedule sched;
  lioncub::lion::SchedulePos pos;
  uint64_t step = 0, tie_step = 0;
  // Flat code planes (input: this rank's codes; output: the aggregate), fp32 scratch (`full`'s
  // averaged gradient, bf16 momentum sync), the non-finite flag and its sum (int), and the planes
  // of a piece that starts inside a word.
  lioncub::lion::Buffer sign_in, nz_in, sign_out, nz_out, scratch, flag, flag_sum, tmp_sign, tmp_nz;
  lioncub::lion::Event step_done;  // device: recorded on the step's stream at its end
  lioncubLionStats_t stats{};
  bool broken = false;
  std::unique_ptr<lioncub::lion::Pipeline> pipe;  // P > 1
  ~lioncubLion();
};

namespace lioncub::lion {

// Per-tensor base pointers of one step (a flat call: the tensors' offsets in the flat buffer).
struct Ptrs {
  std::vector<char*> params;
  std::vector<const char*> grads;
  std::vector<char*> momentum;
};

// create.cc
lioncubLion* create(lioncubComm_t comm, const std::vector<size_t>& sizes, lioncubDataType_t dtype,
                    const lioncubLionConfig_t* cfg);

// ops.cc: the caller's side (stream s) ...
void encode_bucket(lioncubLion& o, const Bucket& b, const Ptrs& p, int* flag, cudaStream_t s);
void apply_bucket(lioncubLion& o, const Bucket& b, const Ptrs& p, cudaStream_t s);
// ... and the communication side (the backend's stream is set by the pipeline).
void exchange_full(lioncubLion& o, const Bucket& b, const Ptrs& p);
void exchange_codes(lioncubLion& o, size_t bucket_index);
void sync_momentum(lioncubLion& o, const Bucket& b, const Ptrs& p);
// The non-finite flag summed over ranks as an int (never a float: flush-to-zero modes cannot
// erase it). host_flag: this rank's (host); device: o.flag. Sets totals.non_finite on the host.
void exchange_flag(lioncubLion& o, const int* host_flag);

// strategies.cc: one step (throws; marks the optimizer broken when it must be).
void run_step(lioncubLion& o, const Ptrs& p, cudaStream_t s);

}  // namespace lioncub::lion
