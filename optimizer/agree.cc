// Create-time agreement (config.h): every rank's configuration serialized into one fixed record,
// one Backend::allgather_control, then a field-by-field comparison with rank 0 that names what
// differs where. Every rank sees every record, so every rank fails together with the same message.
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "optimizer/config.h"

namespace lioncub::lion {
namespace {

constexpr uint32_t kRecordMagic = 0x4c434147;  // "LCAG"
constexpr uint32_t kRecordVersion = 1;

enum class Kind { u32, u64, i32, f32 };
struct Field {
  const char* name;
  size_t offset;
  Kind kind;
};

const Field kFields[] = {
    {"record format", offsetof(AgreeRecord, magic), Kind::u32},
    {"record version", offsetof(AgreeRecord, version), Kind::u32},
    {"numel", offsetof(AgreeRecord, total), Kind::u64},
    {"number of tensors", offsetof(AgreeRecord, ntensors), Kind::u64},
    {"tensor sizes (hash)", offsetof(AgreeRecord, sizes_hash), Kind::u64},
    {"momentumSyncTensors (hash)", offsetof(AgreeRecord, sync_tensors_hash), Kind::u64},
    {"bucket elements", offsetof(AgreeRecord, bucket), Kind::u64},
    {"dtype", offsetof(AgreeRecord, dtype), Kind::i32},
    {"algorithm", offsetof(AgreeRecord, algorithm), Kind::i32},
    {"code", offsetof(AgreeRecord, code), Kind::i32},
    {"tie", offsetof(AgreeRecord, tie), Kind::i32},
    {"momentumSync", offsetof(AgreeRecord, momentum_sync), Kind::i32},
    {"momentumSyncEvery", offsetof(AgreeRecord, every), Kind::i32},
    {"ternaryBlock", offsetof(AgreeRecord, block), Kind::i32},
    {"beta1", offsetof(AgreeRecord, beta1), Kind::f32},
    {"beta2", offsetof(AgreeRecord, beta2), Kind::f32},
    {"weightDecay", offsetof(AgreeRecord, weight_decay), Kind::f32},
    {"ternaryAlpha", offsetof(AgreeRecord, alpha), Kind::f32},
    {"momentumSyncExpK", offsetof(AgreeRecord, exp_k), Kind::f32},
    {"lr", offsetof(AgreeRecord, lr), Kind::f32},
};

std::string value(const AgreeRecord& r, const Field& f) {
  const auto* p = reinterpret_cast<const char*>(&r) + f.offset;
  char buf[64];
  switch (f.kind) {
    case Kind::u32: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return std::to_string(v);
    }
    case Kind::u64: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      return std::to_string(v);
    }
    case Kind::i32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return std::to_string(v);
    }
    default: {
      float v;
      std::memcpy(&v, p, 4);
      std::snprintf(buf, sizeof buf, "%.9g", double(v));
      return buf;
    }
  }
}

size_t field_size(Kind k) { return k == Kind::u64 ? 8 : 4; }

}  // namespace

AgreeRecord make_record(const Setup& s) {
  AgreeRecord r;
  std::memset(&r, 0, sizeof r);  // padding too: records are compared as bytes first
  r.magic = kRecordMagic;
  r.version = kRecordVersion;
  r.total = s.total;
  r.ntensors = s.numels.size();
  r.sizes_hash = fnv1a64(kFnvOffset, s.numels.data(), s.numels.size() * sizeof(size_t));
  r.sync_tensors_hash = fnv1a64(kFnvOffset, s.sync_tensor.data(), s.sync_tensor.size());
  r.bucket = s.bucket;
  r.dtype = int32_t(s.dtype);
  r.algorithm = int32_t(s.cfg.algorithm);
  r.code = int32_t(s.cfg.code);
  r.tie = int32_t(s.cfg.tie);
  r.momentum_sync = int32_t(s.cfg.momentumSync);
  r.every = int32_t(s.cfg.momentumSyncEvery);
  r.block = int32_t(s.cfg.ternaryBlock);
  r.beta1 = s.cfg.beta1;
  r.beta2 = s.cfg.beta2;
  r.weight_decay = s.cfg.weightDecay;
  r.alpha = s.cfg.ternaryAlpha;
  r.exp_k = s.cfg.momentumSyncExpK;
  r.lr = s.cfg.lr;
  return r;
}

std::string describe_disagreement(const AgreeRecord* all, int nranks) {
  std::string out;
  int reported = 0;
  for (const Field& f : kFields) {
    const auto* base = reinterpret_cast<const char*>(&all[0]) + f.offset;
    std::string ranks;
    int first = -1, count = 0;
    for (int r = 1; r < nranks; ++r) {
      if (std::memcmp(reinterpret_cast<const char*>(&all[r]) + f.offset, base, field_size(f.kind)) == 0) continue;
      if (first < 0) first = r;
      ++count;
    }
    if (first < 0) continue;
    if (reported++ == 3) {
      out += "; ...";
      break;
    }
    if (!out.empty()) out += "; ";
    out += std::string(f.name) + " differs between ranks: rank 0 has " + value(all[0], f) + ", rank " +
           std::to_string(first) + " has " + value(all[first], f);
    if (count > 1) out += " (and " + std::to_string(count - 1) + " more ranks differ)";
  }
  return out;
}

void agree(coll::Backend& be, const Setup& s) {
  const int P = be.size();
  if (P == 1) return;
  std::vector<AgreeRecord> all(static_cast<size_t>(P));
  std::memset(all.data(), 0, all.size() * sizeof(AgreeRecord));
  all[size_t(be.rank())] = make_record(s);
  be.allgather_control(all.data(), sizeof(AgreeRecord));
  const std::string why = describe_disagreement(all.data(), P);
  if (!why.empty()) raise(lioncubInvalidArgument, why);
}

}  // namespace lioncub::lion
