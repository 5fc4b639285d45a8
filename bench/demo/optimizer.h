// The data-parallel Lion step of the training demo, one object per algorithm:
//   full          - average the fp32 gradients (ring allreduce), then every rank runs the same
//                   exact Lion step (sign(0) = 0): plain data-parallel Lion, the baseline;
//   alltoall-vote - each rank encodes its local c = b1*m + (1-b1)*g as a 1-bit sign code, the
//                   ranks take the per-element majority, every rank applies it; momentum stays
//                   local (updated with the local gradient);
//   quant2-rs     - the same with 2-bit ternary codes and the sign of their exact sum, plus
//                   selective momentum sync: every `sync_every` steps the momentum buffers are
//                   averaged over the ranks (exact mean, fp32 ring allreduce).
// Each is one lioncubLion_t (lioncub's optimizer step, docs/optimizer.md) configured for it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lioncub/lioncub.h"

namespace lioncub::demo {

struct LionSettings {
  float lr = 1e-4f, beta1 = 0.9f, beta2 = 0.99f, weight_decay = 0.0f;
  float ternary_alpha = 0.5f;
  std::uint32_t ternary_block = 1024;
  std::size_t bucket_bytes = 0;  // lioncubLionStep's bucket size; 0: the whole model, one bucket
  int sync_every = 50;  // quant2-rs momentum sync period (0: never)
  lioncubTiePolicy_t tie = lioncubTieZero;
};

struct StepStats {
  std::uint64_t wire_bytes = 0;  // sent by this rank
  bool momentum_synced = false;
};

class DataParallelLion {
 public:
  DataParallelLion(lioncubComm_t comm, lioncubAlgorithm_t algo, std::size_t numel,
                   const LionSettings& s);
  ~DataParallelLion();
  DataParallelLion(const DataParallelLion&) = delete;
  DataParallelLion& operator=(const DataParallelLion&) = delete;
  // Which implementation runs (printed by the demo).
  static const char* implementation() { return "lioncubLionStep"; }
  // One step at learning rate lr; params, grads, momentum: numel fp32 host values. Grads are
  // overwritten (the average, for full). Throws std::runtime_error on a library error.
  StepStats step(float* params, float* grads, float* momentum, float lr);

 private:
  lioncubLion_t lion_ = nullptr;
};

}  // namespace lioncub::demo
