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
                                   const LionSettings& s)
    : comm_(comm), algo_(algo), numel_(numel), s_(s) {
#ifdef LIONCUB_DEMO_HAVE_LION_STEP
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
  return;
#endif
  const std::size_t words = lioncubPackedWords(numel);
  sign_.assign(words, 0);
  nonzero_.assign(words, 0);
  sign_out_.assign(words, 0);
  nonzero_out_.assign(words, 0);
}

DataParallelLion::~DataParallelLion() {
#ifdef LIONCUB_DEMO_HAVE_LION_STEP
  lioncubLionDestroy(lion_);
#endif
}

const char* DataParallelLion::implementation() {
#ifdef LIONCUB_DEMO_HAVE_LION_STEP
  return "lioncubLionStep";
#else
  return "kernels + collectives";
#endif
}

StepStats DataParallelLion::step(float* params, float* grads, float* momentum, float lr) {
  StepStats out;
#ifdef LIONCUB_DEMO_HAVE_LION_STEP
  check(lioncubLionSetLr(lion_, lr), "lioncubLionSetLr");
  check(lioncubLionStep(lion_, params, grads, momentum, nullptr), "lioncubLionStep");
  lioncubLionStats_t ls{};
  check(lioncubLionGetStats(lion_, &ls), "lioncubLionGetStats");
  out.wire_bytes = ls.bytesSent;
  out.momentum_synced = ls.momentumSynced != 0;
  ++step_;
  return out;
#endif
  lioncubCollStats_t st{};
  lioncubEncodeDesc_t enc{};
  enc.numel = numel_;
  enc.gradType = lioncubFloat32;
  enc.momentumType = lioncubFloat32;
  enc.beta1 = s_.beta1;
  enc.beta2 = s_.beta2;
  enc.ternaryBlock = s_.ternary_block;
  lioncubUpdate_t u{};
  u.kind = lioncubUpdatePlanes;
  u.sign = sign_out_.data();
  u.nonzero = nonzero_out_.data();

  if (algo_ == lioncubAlgoFull || algo_ == lioncubAlgoMean) {
    check(lioncubAllreduce(comm_, lioncubAlgoMean, grads, grads, numel_, lioncubFloat32,
                           lioncubAvg, &st, nullptr),
          "gradient allreduce");
    out.wire_bytes += st.bytesSent;
    enc.code = lioncubCodeTernary;  // alpha 0: exact sign, sign(0) = 0
    enc.ternaryAlpha = 0.0f;
    check(lioncubEncode(&enc, grads, momentum, sign_out_.data(), nonzero_out_.data(), nullptr,
                        lioncubMemHost, nullptr),
          "encode");
  } else if (algo_ == lioncubAlgoQuant2Rs) {
    enc.code = lioncubCodeTernary;
    enc.ternaryAlpha = s_.ternary_alpha;
    check(lioncubEncode(&enc, grads, momentum, sign_.data(), nonzero_.data(), nullptr,
                        lioncubMemHost, nullptr),
          "encode");
    check(lioncubSignAggregate(comm_, algo_, lioncubCodeTernary, sign_.data(), nonzero_.data(),
                               numel_, s_.tie, step_, sign_out_.data(), nonzero_out_.data(), &st,
                               nullptr),
          "quant2-rs");
    out.wire_bytes += st.bytesSent;
  } else {
    enc.code = lioncubCodeSign;
    check(lioncubEncode(&enc, grads, momentum, sign_.data(), nullptr, nullptr, lioncubMemHost,
                        nullptr),
          "encode");
    check(lioncubSignAggregate(comm_, algo_, lioncubCodeSign, sign_.data(), nullptr, numel_,
                               s_.tie, step_, sign_out_.data(), nonzero_out_.data(), &st, nullptr),
          "sign aggregate");
    out.wire_bytes += st.bytesSent;
  }
  check(lioncubApply(numel_, lioncubFloat32, params, &u, lr, s_.weight_decay, lioncubMemHost,
                     nullptr),
        "apply");
  ++step_;
  if (algo_ == lioncubAlgoQuant2Rs && s_.sync_every > 0 && step_ % s_.sync_every == 0) {
    check(lioncubAllreduce(comm_, lioncubAlgoMean, momentum, momentum, numel_, lioncubFloat32,
                           lioncubAvg, &st, nullptr),
          "momentum sync");
    out.wire_bytes += st.bytesSent;
    out.momentum_synced = true;
  }
  return out;
}

}  // namespace lioncub::demo
