// Configuration checks, defaults and the resolved settings of one optimizer (config.h).
#include "optimizer/config.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "common/error.h"
#include "common/hash.h"
#include "optimizer/layout.h"

namespace lioncub::lion {
namespace {

[[noreturn]] __attribute__((format(printf, 1, 2))) void invalid(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  raise(lioncubInvalidArgument, buf);
}

#define LION_REQUIRE(cond, ...) \
  do {                          \
    if (!(cond)) invalid(__VA_ARGS__); \
  } while (0)

bool finite_nonneg(float x) { return std::isfinite(x) && x >= 0.0f; }

bool valid_algorithm(lioncubAlgorithm_t a) {
  return a == lioncubAlgoAuto || a == lioncubAlgoAllgatherVote || a == lioncubAlgoAlltoallVote ||
         a == lioncubAlgoQuant2Rs || a == lioncubAlgoPackedSum || a == lioncubAlgoFull ||
         a == lioncubAlgoHierarchicalVote;
}

}  // namespace

lioncubLionConfig_t default_config() {
  lioncubLionConfig_t c{};
  c.size = sizeof(lioncubLionConfig_t);
  c.magic = LIONCUB_LION_CONFIG_MAGIC;
  c.version = LIONCUB_LION_CONFIG_VERSION;
  c.lr = 1e-4f;
  c.beta1 = 0.9f;
  c.beta2 = 0.99f;
  c.weightDecay = 0.0f;
  c.algorithm = lioncubAlgoAuto;
  c.code = lioncubCodeSign;
  c.tie = lioncubTieZero;
  c.ternaryAlpha = 0.0f;
  c.ternaryBlock = 1024;
  c.bucketBytes = LIONCUB_LION_BUCKET_AUTO;
  c.momentumSync = lioncubSyncNever;
  c.momentumSyncEvery = 1;
  c.momentumSyncExpK = 1.0f;
  return c;
}

void check_config(const lioncubLionConfig_t* cf, lioncubDataType_t dt, size_t ntensors) {
  LION_REQUIRE(cf != nullptr, "cfg is NULL");
  // The header first: a struct that did not come from lioncubLionConfigDefault (or from another
  // layout of it) is refused before any other field is read.
  LION_REQUIRE(cf->magic == LIONCUB_LION_CONFIG_MAGIC,
               "cfg was not initialized by lioncubLionConfigDefault (magic 0x%08x, want 0x%08x)",
               cf->magic, LIONCUB_LION_CONFIG_MAGIC);
  LION_REQUIRE(cf->version == LIONCUB_LION_CONFIG_VERSION,
               "cfg has version %u, this lioncub reads version %u (rebuild against its header)",
               cf->version, LIONCUB_LION_CONFIG_VERSION);
  LION_REQUIRE(cf->size == sizeof(lioncubLionConfig_t),
               "cfg has size %zu, this lioncub's lioncubLionConfig_t has %zu (rebuild against its "
               "header)", cf->size, sizeof(lioncubLionConfig_t));
  LION_REQUIRE(dt == lioncubFloat32 || dt == lioncubBfloat16,
               "dtype %d is not supported (fp32 or bf16)", int(dt));
  LION_REQUIRE(finite_nonneg(cf->lr), "lr must be finite and >= 0 (got %g)", double(cf->lr));
  LION_REQUIRE(cf->beta1 >= 0.0f && cf->beta1 < 1.0f, "beta1 must be in [0, 1) (got %g)",
               double(cf->beta1));
  LION_REQUIRE(cf->beta2 >= 0.0f && cf->beta2 < 1.0f, "beta2 must be in [0, 1) (got %g)",
               double(cf->beta2));
  LION_REQUIRE(finite_nonneg(cf->weightDecay), "weightDecay must be finite and >= 0 (got %g)",
               double(cf->weightDecay));
  LION_REQUIRE(valid_algorithm(cf->algorithm),
               "algorithm %d is not a step algorithm (auto, allgather-vote, alltoall-vote, "
               "quant2-rs, packed-sum, full)", int(cf->algorithm));
  LION_REQUIRE(cf->code == lioncubCodeSign || cf->code == lioncubCodeTernary, "unknown code %d",
               int(cf->code));
  LION_REQUIRE(!((cf->algorithm == lioncubAlgoAllgatherVote ||
                  cf->algorithm == lioncubAlgoAlltoallVote) && cf->code != lioncubCodeSign),
               "%s needs code lioncubCodeSign", lioncubAlgorithmName(cf->algorithm));
  LION_REQUIRE(!(cf->algorithm == lioncubAlgoQuant2Rs && cf->code != lioncubCodeTernary),
               "quant2-rs needs code lioncubCodeTernary");
  LION_REQUIRE(cf->tie == lioncubTieZero || cf->tie == lioncubTieAlternate,
               "unknown tie policy %d", int(cf->tie));
  LION_REQUIRE(finite_nonneg(cf->ternaryAlpha), "ternaryAlpha must be finite and >= 0");
  LION_REQUIRE(cf->ternaryBlock >= 32 && cf->ternaryBlock <= 16384 && cf->ternaryBlock % 32 == 0,
               "ternaryBlock must be a multiple of 32 in [32, 16384] (got %u)", cf->ternaryBlock);
  LION_REQUIRE(cf->bucketBytes > 0, "bucketBytes must be > 0");
  LION_REQUIRE(cf->momentumSync == lioncubSyncNever || cf->momentumSync == lioncubSyncEvery ||
                   cf->momentumSync == lioncubSyncExponential,
               "unknown momentumSync %d", int(cf->momentumSync));
  LION_REQUIRE(cf->momentumSync != lioncubSyncEvery || cf->momentumSyncEvery >= 1,
               "momentumSyncEvery must be >= 1");
  LION_REQUIRE(cf->momentumSync != lioncubSyncExponential ||
                   (std::isfinite(cf->momentumSyncExpK) && cf->momentumSyncExpK > 0.0f),
               "momentumSyncExpK must be > 0");
  LION_REQUIRE(cf->numMomentumSyncTensors >= 0 &&
                   (cf->numMomentumSyncTensors == 0 || cf->momentumSyncTensors != nullptr),
               "momentumSyncTensors is NULL with numMomentumSyncTensors > 0");
  for (int i = 0; i < cf->numMomentumSyncTensors; ++i) {
    const int t = cf->momentumSyncTensors[i];
    LION_REQUIRE(t >= 0 && size_t(t) < ntensors, "momentumSyncTensors[%d] = %d is not a tensor",
                 i, t);
  }
}

size_t auto_bucket_bytes(lioncubMemory_t mem, const coll::Link& link, size_t es, size_t total) {
  constexpr size_t kMiB = size_t(1) << 20;
  if (mem == lioncubMemHost) return kMiB;
  const double elements = kAutoLatencies * link.latency_s * link.bytes_per_s * 8.0;
  const double bytes = std::clamp(elements * double(es), double(kMiB), double(64 * kMiB));
  size_t b = size_t(bytes) / kMiB * kMiB;
  const size_t quarter = total / 4 * es;
  if (b > quarter) b = std::max(kMiB, quarter / kMiB * kMiB);
  return b;
}

Setup resolve(const lioncubLionConfig_t& cf, const std::vector<size_t>& sizes,
              lioncubDataType_t dt, const coll::Backend& be, const coll::Link& link) {
  Setup s;
  s.cfg = cf;
  s.dtype = dt;
  s.es = dt == lioncubFloat32 ? 4 : 2;
  s.numels = sizes;
  s.starts.assign(sizes.size() + 1, 0);
  for (size_t t = 0; t < sizes.size(); ++t) s.starts[t + 1] = s.starts[t] + sizes[t];
  s.total = s.starts.back();
  s.sync_tensor.assign(sizes.size(), cf.momentumSyncTensors == nullptr ? 1 : 0);
  for (int i = 0; i < cf.numMomentumSyncTensors; ++i) s.sync_tensor[size_t(cf.momentumSyncTensors[i])] = 1;
  s.cfg.momentumSyncTensors = nullptr;
  s.cfg.numMomentumSyncTensors = 0;
  s.rank = be.rank();
  s.nranks = be.size();
  s.mem = be.memory();

  s.exact = s.nranks == 1 || cf.algorithm == lioncubAlgoFull;
  s.ternary = s.exact || cf.code == lioncubCodeTernary;
  s.alpha = s.exact ? 0.0f : cf.ternaryAlpha;
  s.block = (s.ternary && s.alpha > 0.0f) ? cf.ternaryBlock : 0;
  const size_t bytes = cf.bucketBytes == LIONCUB_LION_BUCKET_AUTO
                           ? auto_bucket_bytes(s.mem, link, s.es, s.total)
                           : cf.bucketBytes;
  s.bucket = bucket_elements(bytes, s.es, s.block ? s.block : 32);

  if (s.mem == lioncubMemDevice && dt == lioncubBfloat16 && s.nranks > 1 &&
      (cf.algorithm == lioncubAlgoFull || cf.momentumSync != lioncubSyncNever)) {
    raise(lioncubNotSupported,
          "bf16 state with `full` or momentum sync on a device communicator needs a bf16 <-> "
          "fp32 conversion kernel (not written yet)");
  }

  // What every rank must agree on; also what a saved state must match.
  uint64_t h = kFnvOffset;
  h = fnv1a64(h, &s.total, sizeof s.total);
  for (size_t n : s.numels) h = fnv1a64(h, &n, sizeof n);
  const int32_t ints[] = {int32_t(dt), int32_t(cf.algorithm), int32_t(cf.code), int32_t(cf.tie),
                          int32_t(cf.momentumSync), int32_t(cf.momentumSyncEvery),
                          int32_t(cf.ternaryBlock)};
  h = fnv1a64(h, ints, sizeof ints);
  const float floats[] = {cf.beta1, cf.beta2, cf.weightDecay, cf.ternaryAlpha, cf.momentumSyncExpK};
  h = fnv1a64(h, floats, sizeof floats);
  const size_t be_elems = s.total == 0 ? 0 : std::min(s.bucket, s.total);
  h = fnv1a64(h, &be_elems, sizeof be_elems);
  h = fnv1a64(h, s.sync_tensor.data(), s.sync_tensor.size());
  s.config_hash = h;
  return s;
}

}  // namespace lioncub::lion
