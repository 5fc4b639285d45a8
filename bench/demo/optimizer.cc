#include "optimizer.h"

#include <stdexcept>

namespace lioncub::demo {
namespace {

void check(lioncubResult_t rc, const char* what) {
  if (rc != lioncubSuccess)
    throw std::runtime_error(std::string(what) + ": " + lioncubGetErrorString(rc) + ": " +
                             lioncubGetLastErrorMessage());
}

}  // namespace

DataParallelLion::DataParallelLion(lioncubComm_t comm, lioncubAlgorithm_t algo, std::size_t numel,
                                   const LionSettings& s) {
  lioncubLionConfig_t cfg;
  check(lioncubLionConfigDefault(&cfg), "lioncubLionConfigDefault");
  cfg.lr = s.lr;
  cfg.beta1 = s.beta1;
  cfg.beta2 = s.beta2;
  cfg.weightDecay = s.weight_decay;
  cfg.algorithm = algo == lioncubAlgoMean ? lioncubAlgoFull : algo;
  cfg.code = algo == lioncubAlgoQuant2Rs ? lioncubCodeTernary : lioncubCodeSign;
  cfg.tie = s.tie;
  // One bucket by default: on a 2-core machine shared by 4 ranks, per-bucket latencies and the
  // thread hand-offs cost more than the overlap of a 1 MiB-bucket pipeline saves (docs/demo.md).
  cfg.bucketBytes = s.bucket_bytes ? s.bucket_bytes : numel * sizeof(float);
  if (algo == lioncubAlgoQuant2Rs) {
    cfg.ternaryAlpha = s.ternary_alpha;
    cfg.ternaryBlock = s.ternary_block;
    if (s.sync_every > 0) {
      cfg.momentumSync = lioncubSyncEvery;
      cfg.momentumSyncEvery = static_cast<std::uint32_t>(s.sync_every);
    }
  }
  check(lioncubLionCreate(&lion_, comm, numel, lioncubFloat32, &cfg), "lioncubLionCreate");
}

DataParallelLion::~DataParallelLion() { lioncubLionDestroy(lion_); }

StepStats DataParallelLion::step(float* params, float* grads, float* momentum, float lr) {
  check(lioncubLionSetLr(lion_, lr), "lioncubLionSetLr");
  check(lioncubLionStep(lion_, params, grads, momentum, nullptr), "lioncubLionStep");
  lioncubLionStats_t ls{};
  check(lioncubLionGetStats(lion_, &ls), "lioncubLionGetStats");
  StepStats out;
  out.wire_bytes = ls.bytesSent;
  out.momentum_synced = ls.momentumSynced != 0;
  return out;
}

}  // namespace lioncub::demo
