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
  const std::size_t words = lioncubPackedWords(numel);
  sign_.assign(words, 0);
  nonzero_.assign(words, 0);
  sign_out_.assign(words, 0);
  nonzero_out_.assign(words, 0);
}

StepStats DataParallelLion::step(float* params, float* grads, float* momentum, float lr) {
  StepStats out;
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
