// The optimizer's configuration: checks and defaults (config.cc), the resolved settings of one
// optimizer, and the create-time agreement across ranks (agree.cc). Failures throw
// lioncub::Error (common/error.h); the C API (c_api.cc) turns them into result codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "collectives/backend/backend.h"
#include "collectives/link_model.h"
#include "lioncub/lioncub.h"

namespace lioncub::lion {

// lioncubLionConfigDefault's values.
lioncubLionConfig_t default_config();

// Throws lioncubInvalidArgument naming the first bad field (size/magic/version included).
void check_config(const lioncubLionConfig_t* cfg, lioncubDataType_t dtype, size_t ntensors);

// Parameter bytes per bucket for LIONCUB_LION_BUCKET_AUTO: 1 MiB on the host (its pipeline
// overlaps per bucket on a thread); on a device, enough elements that one bucket's 1-bit code
// exchange (n/8 bytes) lasts kAutoLatencies message latencies of `link`, in whole MiB within
// [1 MiB, 64 MiB], and at most a quarter of the parameters (so that a step has buckets to
// overlap) but never below 1 MiB.
constexpr double kAutoLatencies = 8.0;
size_t auto_bucket_bytes(lioncubMemory_t mem, const coll::Link& link, size_t element_size,
                         size_t total_elements);

// What one optimizer runs with, derived once at create.
struct Setup {
  lioncubLionConfig_t cfg{};  // momentumSyncTensors cleared (copied into sync_tensor)
  lioncubDataType_t dtype = lioncubFloat32;
  size_t es = 4;  // element size
  std::vector<size_t> numels, starts;  // per tensor; starts has ntensors + 1 entries
  size_t total = 0;
  std::vector<char> sync_tensor;  // per tensor: momentum synchronized
  int rank = 0, nranks = 1;
  lioncubMemory_t mem = lioncubMemHost;
  bool exact = false;    // plain Lion: one rank or `full` (ternary code, alpha 0, local apply)
  bool ternary = false;  // the code encoded
  float alpha = 0.0f;    // ternary alpha used by encode
  size_t block = 0;      // ternary block that buckets align to (0: none)
  size_t bucket = 0;     // elements per bucket
  uint64_t config_hash = 0;  // what every rank must agree on; what a saved state must match
};

// Checks what depends on the communicator too; throws.
Setup resolve(const lioncubLionConfig_t& cfg, const std::vector<size_t>& sizes,
              lioncubDataType_t dtype, const coll::Backend& backend, const coll::Link& link);

// Create-time agreement: one allgather_control of every rank's serialized configuration;
// throws lioncubInvalidArgument naming the field and the ranks that differ (agree.cc).
void agree(coll::Backend& backend, const Setup& s);

// The serialized configuration that agree() compares (exposed for its test).
struct AgreeRecord {
  uint32_t magic, version;
  uint64_t total, ntensors, sizes_hash, sync_tensors_hash, bucket;
  int32_t dtype, algorithm, code, tie, momentum_sync, every, block, pad;
  float beta1, beta2, weight_decay, alpha, exp_k, lr;
};
AgreeRecord make_record(const Setup& s);
// "" when every record equals rank 0's; else which field differs on which ranks.
std::string describe_disagreement(const AgreeRecord* records, int nranks);

}  // namespace lioncub::lion
