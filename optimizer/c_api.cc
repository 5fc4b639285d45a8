// The optimizer's C entry points: argument checks, then the C++ pieces (lion.h). Every body runs
// through c_api() (common/error.h): an Error becomes its code and "function: message".
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/error.h"
#include "common/handles.h"
#include "optimizer/lion.h"
#include "optimizer/state.h"

using lioncub::c_api;
using lioncub::raise;
using namespace lioncub::lion;

namespace {

// A destroyed or foreign optimizer handle is an error, not a use of freed memory.
void check_live(lioncubLion_t opt) {
  if (opt == nullptr) raise(lioncubInvalidArgument, "opt is NULL");
  if (!lioncub::coll::lion_handles().live(opt)) {
    raise(lioncubInvalidUsage, "not a live optimizer (destroyed already?)");
  }
}

void check_step(lioncubLion_t opt) {
  check_live(opt);
  if (opt->broken) {
    raise(lioncubInvalidUsage, "an earlier step failed; destroy the optimizer and communicator");
  }
}

bool aligned(const void* p, size_t es) { return reinterpret_cast<uintptr_t>(p) % es == 0; }

void step(lioncubLion& o, const Ptrs& p, cudaStream_t stream) {
  DeviceScope scope(*o.be);  // the step's kernels and buffers: the communicator's device
  run_step(o, p, stream);
}

}  // namespace

extern "C" {

lioncubResult_t lioncubLionConfigDefault(lioncubLionConfig_t* cfg) {
  return c_api("lioncubLionConfigDefault", [&] {
    if (cfg == nullptr) raise(lioncubInvalidArgument, "cfg is NULL");
    *cfg = default_config();
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionCreate(lioncubLion_t* opt, lioncubComm_t comm, size_t numel,
                                  lioncubDataType_t dtype, const lioncubLionConfig_t* cfg) {
  return c_api("lioncubLionCreate", [&] {
    if (opt == nullptr) raise(lioncubInvalidArgument, "opt is NULL");
    *opt = nullptr;
    *opt = create(comm, {numel}, dtype, cfg);
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionCreateTensors(lioncubLion_t* opt, lioncubComm_t comm, int ntensors,
                                         const size_t* numels, lioncubDataType_t dtype,
                                         const lioncubLionConfig_t* cfg) {
  return c_api("lioncubLionCreateTensors", [&] {
    if (opt == nullptr || numels == nullptr || ntensors < 1) {
      raise(lioncubInvalidArgument, "opt or numels is NULL, or ntensors < 1");
    }
    *opt = nullptr;
    *opt = create(comm, std::vector<size_t>(numels, numels + ntensors), dtype, cfg);
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionDestroy(lioncubLion_t opt) {
  return c_api("lioncubLionDestroy", [&] {
    if (opt == nullptr) return lioncubSuccess;
    if (!lioncub::coll::lion_handles().remove(opt)) {
      raise(lioncubInvalidUsage, "not a live optimizer (destroyed already?)");
    }
    delete opt;
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionStep(lioncubLion_t opt, void* params, const void* grads, void* momentum,
                                cudaStream_t stream) {
  return c_api("lioncubLionStep", [&] {
    check_step(opt);
    const size_t es = opt->s.es;
    if (opt->s.total != 0 && !(params && grads && momentum)) raise(lioncubInvalidArgument, "a buffer is NULL");
    if (!aligned(params, es) || !aligned(grads, es) || !aligned(momentum, es)) {
      raise(lioncubInvalidArgument, "buffers must be aligned to " + std::to_string(es) + " bytes");
    }
    Ptrs p;
    for (size_t t = 0; t < opt->s.numels.size(); ++t) {
      p.params.push_back(static_cast<char*>(params) + opt->s.starts[t] * es);
      p.grads.push_back(static_cast<const char*>(grads) + opt->s.starts[t] * es);
      p.momentum.push_back(static_cast<char*>(momentum) + opt->s.starts[t] * es);
    }
    step(*opt, p, stream);
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionStepTensors(lioncubLion_t opt, void* const* params, const void* const* grads,
                                       void* const* momentum, cudaStream_t stream) {
  return c_api("lioncubLionStepTensors", [&] {
    check_step(opt);
    if (!(params && grads && momentum)) raise(lioncubInvalidArgument, "a pointer array is NULL");
    const size_t es = opt->s.es;
    Ptrs p;
    for (size_t t = 0; t < opt->s.numels.size(); ++t) {
      if (opt->s.numels[t] != 0 && !(params[t] && grads[t] && momentum[t])) {
        raise(lioncubInvalidArgument, "a buffer of tensor " + std::to_string(t) + " is NULL");
      }
      if (!aligned(params[t], es) || !aligned(grads[t], es) || !aligned(momentum[t], es)) {
        raise(lioncubInvalidArgument, "buffers of tensor " + std::to_string(t) +
                                          " must be aligned to " + std::to_string(es) + " bytes");
      }
      p.params.push_back(static_cast<char*>(params[t]));
      p.grads.push_back(static_cast<const char*>(grads[t]));
      p.momentum.push_back(static_cast<char*>(momentum[t]));
    }
    step(*opt, p, stream);
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionSetLr(lioncubLion_t opt, float lr) {
  return c_api("lioncubLionSetLr", [&] {
    check_live(opt);
    if (!std::isfinite(lr) || lr < 0.0f) raise(lioncubInvalidArgument, "lr must be finite and >= 0");
    opt->s.cfg.lr = lr;
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionGetStats(lioncubLion_t opt, lioncubLionStats_t* stats) {
  return c_api("lioncubLionGetStats", [&] {
    if (stats == nullptr) raise(lioncubInvalidArgument, "stats is NULL");
    check_live(opt);
    *stats = read_stats(*opt);
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionStateSize(lioncubLion_t opt, size_t* bytes) {
  return c_api("lioncubLionStateSize", [&] {
    if (bytes == nullptr) raise(lioncubInvalidArgument, "bytes is NULL");
    check_live(opt);
    *bytes = state_size();
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionSaveState(lioncubLion_t opt, void* buf, size_t bytes) {
  return c_api("lioncubLionSaveState", [&] {
    if (buf == nullptr) raise(lioncubInvalidArgument, "buf is NULL");
    check_live(opt);
    save_state(*opt, buf, bytes);
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionLoadState(lioncubLion_t opt, const void* buf, size_t bytes) {
  return c_api("lioncubLionLoadState", [&] {
    if (buf == nullptr) raise(lioncubInvalidArgument, "buf is NULL");
    check_live(opt);
    load_state(*opt, buf, bytes);
    return lioncubSuccess;
  });
}

}  // extern "C"
