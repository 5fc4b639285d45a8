// The C entry points of the communicators and collectives: argument checks, then the algorithm
// code (sign_aggregate.cc, packed_sum.cc) over a backend: host (host_comm.cc) or NCCL
// (nccl_comm.cc, LIONCUB_HAVE_NCCL builds). Nothing is thrown across the C ABI: run() maps
// lioncub::coll::Error and driver::DriverError to result codes and messages.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "collectives/algorithms/algorithms.h"
#include "collectives/backend/host/host_comm.h"
#include "collectives/link_model.h"
#include "common/handles.h"
#include "common/error.h"
#if defined(LIONCUB_HAVE_NCCL)
#include "collectives/backend/nccl/nccl_comm.h"
#endif
#include "common/error.h"

struct lioncubComm {
  std::unique_ptr<lioncub::coll::Backend> backend;
  lioncub::coll::Link link;  // auto's link model
  bool checked = false;  // the first collective's arguments were compared across ranks
  bool check_every_call = false;  // LIONCUB_CHECK_ARGS=1
};

namespace lioncub::coll {
namespace {

lioncubResult_t from_nccl(int code) {
  switch (code) {
    case -1: return lioncubTimeout;
    case 2: return lioncubSystemError;
    case 4: return lioncubInvalidArgument;
    case 5: return lioncubInvalidUsage;
    case 6: return lioncubRemoteError;
    default: return lioncubInternalError;
  }
}

template <class F>
lioncubResult_t run(const char* where, F&& f) noexcept {
  return c_api(where, [&]() -> lioncubResult_t {
    try {
      return f();
    } catch (const Error& e) {
      return fail(e.code, "%s: %s", where, e.what());
    } catch (const driver::DriverError& e) {
      return fail(from_nccl(e.code), "%s: net plugin: %s", where, e.what());
    }
  });
}

bool readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

// LIONCUB_NET_PLUGIN (a path, or a name NAME meaning libnccl-net-NAME.so on the loader's path),
// else libnccl-net-lioncub.so next to liblioncub.so, else the one in the build tree.
std::string plugin_path() {
  const char* env = std::getenv("LIONCUB_NET_PLUGIN");
  if (env != nullptr && *env != '\0') {
    std::string v = env;
    if (v.find('/') == std::string::npos && v.find(".so") == std::string::npos) {
      v = "libnccl-net-" + v + ".so";
    }
    return v;
  }
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&lioncubCommInitHost), &info) != 0 &&
      info.dli_fname != nullptr) {
    std::string dir = info.dli_fname;
    const size_t slash = dir.rfind('/');
    if (slash != std::string::npos) {
      const std::string next_to = dir.substr(0, slash) + "/libnccl-net-lioncub.so";
      if (readable(next_to)) return next_to;
    }
  }
#ifdef LIONCUB_DEFAULT_NET_PLUGIN
  if (readable(LIONCUB_DEFAULT_NET_PLUGIN)) return LIONCUB_DEFAULT_NET_PLUGIN;
#endif
  return "libnccl-net-lioncub.so";
}

constexpr int kMaxRanks = 32767;  // the kernels' vote limit

const char* const kNames[lioncubNumAlgorithms] = {
    "auto", "allgather-vote", "alltoall-vote", "quant2-rs", "packed-sum", "full", "mean",
    "hierarchical-vote"};

bool parse_int(const char* text, long* out) {
  if (text == nullptr || *text == '\0') return false;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

// NULL, destroyed and foreign communicators are errors, not crashes.
lioncubResult_t check_comm(lioncubComm_t comm) {
  if (comm == nullptr) return fail(lioncubInvalidArgument, "comm is NULL");
  if (!comm_handles().live(comm)) {
    return fail(lioncubInvalidUsage, "comm is not a live communicator (destroyed already?)");
  }
  return lioncubSuccess;
}

bool aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % alignof(uint32_t) == 0; }

lioncubResult_t init_host(lioncubComm_t* comm, int nranks, int rank, const char* rendezvous) {
  if (comm == nullptr) return fail(lioncubInvalidArgument, "comm is NULL");
  *comm = nullptr;
  if (nranks < 1 || nranks > kMaxRanks) {
    return fail(lioncubInvalidArgument, "nranks = %d, want 1..%d", nranks, kMaxRanks);
  }
  if (rank < 0 || rank >= nranks) {
    return fail(lioncubInvalidArgument, "rank = %d, want 0..%d", rank, nranks - 1);
  }
  if (nranks > 1 && (rendezvous == nullptr || *rendezvous == '\0')) {
    return fail(lioncubInvalidArgument, "rendezvous is NULL but nranks = %d (want host:port)",
                nranks);
  }
  auto c = std::make_unique<lioncubComm>();
  auto host = std::make_unique<HostComm>(nranks, rank, rendezvous ? rendezvous : "",
                                         nranks > 1 ? plugin_path() : std::string());
  c->link = link_from_env(host->link_mbps());
  c->backend = std::move(host);
  const char* check = env("LIONCUB_CHECK_ARGS");
  c->check_every_call = check != nullptr && std::strcmp(check, "1") == 0;
  *comm = c.release();
  comm_handles().add(*comm);
  return lioncubSuccess;
}

// What every rank must agree on for one call. Compared on the first collective of a
// communicator (every call with LIONCUB_CHECK_ARGS=1): a ring allgather of P descriptors, so
// every rank sees every descriptor and all fail together on a mismatch.
struct Descriptor {
  uint32_t magic = 0x4c434353;  // "LCCS"
  uint32_t call = 0;            // 1 sign aggregate, 2 allreduce, 3 sign count
  uint32_t algo = 0;
  uint32_t code = 0;            // sign aggregate: code; allreduce: dtype
  uint32_t tie = 0;             // sign aggregate: tie; allreduce: op
  uint32_t pad = 0;
  uint64_t numel = 0;
  uint64_t step = 0;
};
static_assert(sizeof(Descriptor) == 40);

std::string describe_call(const Descriptor& d) {
  const char* a = lioncubAlgorithmName(static_cast<lioncubAlgorithm_t>(d.algo));
  std::string s = d.call == 1 ? "sign aggregate" : d.call == 2 ? "allreduce" : d.call == 3 ? "sign count" : "unknown call";
  s += std::string(" algorithm ") + (a ? a : "?") + ", " + (d.call == 1 ? "code " : "dtype ") +
       std::to_string(d.code) + ", " + (d.call == 1 ? "tie " : "op ") + std::to_string(d.tie) +
       ", n = " + std::to_string(d.numel);
  if (d.call == 1) s += ", step " + std::to_string(d.step);
  return s;
}

void check_agreement(lioncubComm& c, const Descriptor& mine) {
  if (c.checked && !c.check_every_call) return;
  c.checked = true;
  Backend& h = *c.backend;
  const int P = h.size();
  if (P == 1) return;
  std::vector<Descriptor> all(static_cast<size_t>(P));
  all[h.rank()] = mine;
  h.allgather_control(all.data(), sizeof(Descriptor));
  for (int j = 0; j < P; ++j) {
    if (std::memcmp(&all[j], &all[0], sizeof(Descriptor)) != 0) {
      raise(lioncubInvalidUsage, "ranks disagree: rank 0 called " + describe_call(all[0]) +
                                     ", rank " + std::to_string(j) + " called " +
                                     describe_call(all[j]));
    }
  }
}

// Makes the backend's device current and sets the stream for one call.
class CallScope {
 public:
  CallScope(Backend& b, cudaStream_t stream) : b_(b) {
    b_.set_stream(stream);
    b_.begin_call();
  }
  ~CallScope() { b_.end_call(); }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  Backend& b_;
};

// Bytes and, on untimed backends, zeroed seconds.
void finish_stats(const Backend& b, const Traffic& before, lioncubCollStats_t* stats) {
  if (stats == nullptr) return;
  stats->bytesSent = b.traffic().sent - before.sent;
  stats->bytesReceived = b.traffic().received - before.received;
  if (!b.timed()) {
    stats->secondsExchange = stats->secondsReduce = stats->secondsGather = 0;
    stats->secondsTotal = 0;
  }
}

}  // namespace
}  // namespace lioncub::coll

using lioncub::fail;
using lioncub::coll::run;

extern "C" {

lioncubResult_t lioncubCommInitHost(lioncubComm_t* comm, int nranks, int rank,
                                    const char* rendezvous) {
  return run("lioncubCommInitHost",
             [&] { return lioncub::coll::init_host(comm, nranks, rank, rendezvous); });
}

lioncubResult_t lioncubCommInitFromEnv(lioncubComm_t* comm) {
  return run("lioncubCommInitFromEnv", [&]() -> lioncubResult_t {
    using lioncub::coll::env;
    if (comm == nullptr) return fail(lioncubInvalidArgument, "comm is NULL");
    *comm = nullptr;
    const char* rank_s = nullptr;
    const char* size_s = nullptr;
    std::string root;
    const char* source = nullptr;
    if (env("LIONCUB_RANK") || env("LIONCUB_WORLD_SIZE")) {
      rank_s = env("LIONCUB_RANK");
      size_s = env("LIONCUB_WORLD_SIZE");
      source = "LIONCUB_RANK/LIONCUB_WORLD_SIZE";
    } else if (env("RANK") || env("WORLD_SIZE")) {
      rank_s = env("RANK");
      size_s = env("WORLD_SIZE");
      source = "RANK/WORLD_SIZE";
      if (env("MASTER_ADDR") && env("MASTER_PORT")) {
        const std::string addr = env("MASTER_ADDR");
        root = (addr.find(':') != std::string::npos ? "[" + addr + "]" : addr) + ":" +
               env("MASTER_PORT");
      }
    } else if (env("OMPI_COMM_WORLD_RANK") || env("OMPI_COMM_WORLD_SIZE")) {
      rank_s = env("OMPI_COMM_WORLD_RANK");
      size_s = env("OMPI_COMM_WORLD_SIZE");
      source = "OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE";
    } else {
      return fail(lioncubInvalidArgument,
                  "no rank in the environment: set LIONCUB_RANK and LIONCUB_WORLD_SIZE (or "
                  "torchrun's RANK/WORLD_SIZE, or run under mpirun)");
    }
    if (env("LIONCUB_ROOT")) root = env("LIONCUB_ROOT");  // always wins when set
    long rank = 0, size = 0;
    if (!lioncub::coll::parse_int(rank_s, &rank) || !lioncub::coll::parse_int(size_s, &size) ||
        size < 1 || size > lioncub::coll::kMaxRanks || rank < 0 || rank >= size) {
      return fail(lioncubInvalidArgument, "%s = '%s'/'%s': want 0 <= rank < size", source,
                  rank_s ? rank_s : "(unset)", size_s ? size_s : "(unset)");
    }
    if (size > 1 && root.empty()) {
      return fail(lioncubInvalidArgument,
                  "%s gives %ld ranks but no rendezvous: set LIONCUB_ROOT=host:port (or "
                  "MASTER_ADDR and MASTER_PORT)",
                  source, size);
    }
    return lioncub::coll::init_host(comm, static_cast<int>(size), static_cast<int>(rank),
                                    root.c_str());
  });
}

lioncubResult_t lioncubCommInitNccl(lioncubComm_t* comm, ncclComm_t nccl) {
  return run("lioncubCommInitNccl", [&]() -> lioncubResult_t {
    if (comm == nullptr) return fail(lioncubInvalidArgument, "comm is NULL");
    *comm = nullptr;
    if (nccl == nullptr) return fail(lioncubInvalidArgument, "the NCCL communicator is NULL");
#if defined(LIONCUB_HAVE_NCCL)
    using namespace lioncub::coll;
    auto c = std::make_unique<lioncubComm>();
    c->backend.reset(make_nccl_backend(nccl));
    c->link = link_from_env(0);
    const char* check = env("LIONCUB_CHECK_ARGS");
    c->check_every_call = check != nullptr && std::strcmp(check, "1") == 0;
    *comm = c.release();
    comm_handles().add(*comm);
    return lioncubSuccess;
#else
    return fail(lioncubNotSupported,
                "this lioncub was built without the NCCL backend (it needs CUDA and NCCL at "
                "build time: LIONCUB_HAVE_NCCL)");
#endif
  });
}

lioncubResult_t lioncubCommDestroy(lioncubComm_t comm) {
  return run("lioncubCommDestroy", [&] {
    if (comm == nullptr) return lioncubSuccess;
    if (!lioncub::coll::comm_handles().remove(comm)) {
      return fail(lioncubInvalidUsage, "lioncubCommDestroy: not a live communicator (destroyed already?)");
    }
    delete comm;
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubCommRank(lioncubComm_t comm, int* rank) {
  if (comm == nullptr || rank == nullptr) {
    return fail(lioncubInvalidArgument, "lioncubCommRank: comm or rank is NULL");
  }
  if (!lioncub::coll::comm_handles().live(comm)) {
    return fail(lioncubInvalidUsage, "lioncubCommRank: not a live communicator (destroyed already?)");
  }
  *rank = comm->backend->rank();
  return lioncubSuccess;
}

lioncubResult_t lioncubCommSize(lioncubComm_t comm, int* nranks) {
  if (comm == nullptr || nranks == nullptr) {
    return fail(lioncubInvalidArgument, "lioncubCommSize: comm or nranks is NULL");
  }
  if (!lioncub::coll::comm_handles().live(comm)) {
    return fail(lioncubInvalidUsage, "lioncubCommSize: not a live communicator (destroyed already?)");
  }
  *nranks = comm->backend->size();
  return lioncubSuccess;
}

lioncubResult_t lioncubCommMemory(lioncubComm_t comm, lioncubMemory_t* mem) {
  if (comm == nullptr || mem == nullptr) {
    return fail(lioncubInvalidArgument, "lioncubCommMemory: comm or mem is NULL");
  }
  if (!lioncub::coll::comm_handles().live(comm)) {
    return fail(lioncubInvalidUsage, "lioncubCommMemory: not a live communicator (destroyed already?)");
  }
  *mem = comm->backend->memory();
  return lioncubSuccess;
}

const char* lioncubAlgorithmName(lioncubAlgorithm_t algo) {
  const int a = static_cast<int>(algo);
  return (a >= 0 && a < lioncubNumAlgorithms) ? lioncub::coll::kNames[a] : nullptr;
}

lioncubResult_t lioncubAlgorithmFromName(const char* name, lioncubAlgorithm_t* algo) {
  if (name == nullptr || algo == nullptr) {
    return fail(lioncubInvalidArgument, "lioncubAlgorithmFromName: name or algo is NULL");
  }
  for (int a = 0; a < lioncubNumAlgorithms; ++a) {
    if (std::strcmp(name, lioncub::coll::kNames[a]) == 0) {
      *algo = static_cast<lioncubAlgorithm_t>(a);
      return lioncubSuccess;
    }
  }
  return fail(lioncubInvalidArgument,
              "unknown algorithm '%s' (auto, allgather-vote, alltoall-vote, quant2-rs, "
              "packed-sum, full, mean, hierarchical-vote)",
              name);
}

lioncubResult_t lioncubSignAggregate(lioncubComm_t comm, lioncubAlgorithm_t algo,
                                     lioncubCode_t code, const uint32_t* sign,
                                     const uint32_t* nonzero, size_t numel,
                                     lioncubTiePolicy_t tie, uint64_t step, uint32_t* signOut,
                                     uint32_t* nonzeroOut, lioncubCollStats_t* stats,
                                     cudaStream_t stream) {
  return run("lioncubSignAggregate", [&]() -> lioncubResult_t {
    using namespace lioncub::coll;
    if (const lioncubResult_t rc = check_comm(comm); rc != lioncubSuccess) return rc;
    const int a = static_cast<int>(algo);
    if (a < 0 || a >= lioncubNumAlgorithms) return fail(lioncubInvalidArgument, "unknown algorithm %d", a);
    if (code != lioncubCodeSign && code != lioncubCodeTernary) {
      return fail(lioncubInvalidArgument, "unknown code %d", static_cast<int>(code));
    }
    if (tie != lioncubTieZero && tie != lioncubTieAlternate) {
      return fail(lioncubInvalidArgument, "unknown tie policy %d", static_cast<int>(tie));
    }
    if (algo == lioncubAlgoFull || algo == lioncubAlgoMean) {
      return fail(lioncubInvalidArgument, "algorithm '%s' is a float allreduce: use lioncubAllreduce",
                  kNames[a]);
    }
    if (numel > LIONCUB_MAX_ELEMENTS) {
      return fail(lioncubInvalidArgument, "numel = %zu is more than LIONCUB_MAX_ELEMENTS (2^40)", numel);
    }
    const int P = comm->backend->size();
    const bool ternary = code == lioncubCodeTernary;
    if (algo == lioncubAlgoAuto) {
      algo = choose_sign_algorithm(P, numel, ternary, tie, comm->link);
      // Ranks that share a NIC count their votes together first (every rank asks: collective).
      if (!ternary && hierarchical_vote_applies(*comm->backend)) algo = lioncubAlgoHierarchicalVote;
    }
    if (ternary && algo != lioncubAlgoQuant2Rs && algo != lioncubAlgoPackedSum) {
      return fail(lioncubInvalidArgument, "algorithm '%s' takes 1-bit sign codes, not ternary",
                  kNames[algo]);
    }
    if (!ternary && algo == lioncubAlgoQuant2Rs) {
      return fail(lioncubInvalidArgument, "algorithm 'quant2-rs' takes 2-bit ternary codes");
    }
    if (ternary && nonzero == nullptr && numel > 0) {
      return fail(lioncubInvalidArgument, "a ternary code needs its nonzero plane");
    }
    if (!ternary && nonzero != nullptr) {
      return fail(lioncubInvalidArgument, "a 1-bit sign code has no nonzero plane: pass NULL");
    }
    if (numel > 0) {
      if (sign == nullptr || signOut == nullptr || (ternary && nonzero == nullptr)) {
        return fail(lioncubInvalidArgument, "NULL code or result plane with numel = %zu", numel);
      }
      if (!aligned(sign) || !aligned(signOut) || (nonzero && !aligned(nonzero)) ||
          (nonzeroOut && !aligned(nonzeroOut))) {
        return fail(lioncubInvalidArgument, "planes must be 4-byte aligned");
      }
      const bool zeros = tie == lioncubTieZero && (ternary || P % 2 == 0);
      if (zeros && nonzeroOut == nullptr) {
        return fail(lioncubInvalidArgument,
                    "nonzeroOut is NULL but results can be 0 (tie policy zero with %s)",
                    ternary ? "ternary codes" : "an even number of ranks");
      }
    }
    Descriptor d;
    d.call = 1;
    d.algo = static_cast<uint32_t>(algo);
    d.code = static_cast<uint32_t>(code);
    d.tie = static_cast<uint32_t>(tie);
    d.numel = numel;
    d.step = step;
    Backend& b = *comm->backend;
    CallScope scope(b, stream);
    check_agreement(*comm, d);
    const Traffic before = b.traffic();
    sign_aggregate(b, SignArgs{algo, sign, nonzero, numel, tie, step, signOut, nonzeroOut}, stats);
    finish_stats(b, before, stats);
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubSignCount(lioncubComm_t comm, lioncubAlgorithm_t algo, const uint32_t* sign,
                                 size_t numel, uint16_t* counts, lioncubCollStats_t* stats,
                                 cudaStream_t stream) {
  return run("lioncubSignCount", [&]() -> lioncubResult_t {
    using namespace lioncub::coll;
    if (const lioncubResult_t rc = check_comm(comm); rc != lioncubSuccess) return rc;
    if (algo != lioncubAlgoAuto && algo != lioncubAlgoAllgatherVote) {
      const char* n = lioncubAlgorithmName(algo);
      return fail(lioncubInvalidArgument, "the averaging mode runs on allgather-vote (or auto), not '%s'",
                  n ? n : "unknown");
    }
    if (numel > LIONCUB_MAX_ELEMENTS) {
      return fail(lioncubInvalidArgument, "numel = %zu is more than LIONCUB_MAX_ELEMENTS (2^40)", numel);
    }
    if (numel > 0) {
      if (sign == nullptr || counts == nullptr) {
        return fail(lioncubInvalidArgument, "NULL sign or counts with numel = %zu", numel);
      }
      if (!aligned(sign) || reinterpret_cast<uintptr_t>(counts) % alignof(uint16_t) != 0) {
        return fail(lioncubInvalidArgument, "sign must be 4-byte and counts 2-byte aligned");
      }
    }
    Descriptor d;
    d.call = 3;
    d.algo = static_cast<uint32_t>(lioncubAlgoAllgatherVote);
    d.numel = numel;
    Backend& b = *comm->backend;
    CallScope scope(b, stream);
    check_agreement(*comm, d);
    const Traffic before = b.traffic();
    sign_count(b, sign, numel, counts, stats);
    finish_stats(b, before, stats);
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubAllreduce(lioncubComm_t comm, lioncubAlgorithm_t algo, const void* sendbuf,
                                 void* recvbuf, size_t count, lioncubDataType_t dtype,
                                 lioncubReduceOp_t op, lioncubCollStats_t* stats,
                                 cudaStream_t stream) {
  return run("lioncubAllreduce", [&]() -> lioncubResult_t {
    using namespace lioncub::coll;
    if (const lioncubResult_t rc = check_comm(comm); rc != lioncubSuccess) return rc;
    if (algo != lioncubAlgoAuto && algo != lioncubAlgoFull && algo != lioncubAlgoMean) {
      const char* n = lioncubAlgorithmName(algo);
      return fail(lioncubInvalidArgument, "algorithm '%s' is not a float allreduce (full, mean, auto)",
                  n ? n : "unknown");
    }
    if (op != lioncubSum && op != lioncubAvg) {
      return fail(lioncubInvalidArgument, "unknown reduce op %d", static_cast<int>(op));
    }
    if (dtype == lioncubBfloat16 || dtype == lioncubFloat16) {
      return fail(lioncubNotSupported, "allreduce of 16-bit floats is not implemented yet (fp32 only)");
    }
    if (dtype != lioncubFloat32) return fail(lioncubInvalidArgument, "unknown dtype %d", static_cast<int>(dtype));
    if (count > LIONCUB_MAX_ELEMENTS) {
      return fail(lioncubInvalidArgument, "count = %zu is more than LIONCUB_MAX_ELEMENTS (2^40)", count);
    }
    if (count > 0 && (sendbuf == nullptr || recvbuf == nullptr)) {
      return fail(lioncubInvalidArgument, "NULL buffer with count = %zu", count);
    }
    if (count > 0 && (reinterpret_cast<uintptr_t>(sendbuf) % alignof(float) != 0 ||
                      reinterpret_cast<uintptr_t>(recvbuf) % alignof(float) != 0)) {
      return fail(lioncubInvalidArgument, "buffers must be 4-byte aligned");
    }
    Descriptor d;
    d.call = 2;
    d.algo = static_cast<uint32_t>(algo == lioncubAlgoAuto ? lioncubAlgoFull : algo);
    d.code = static_cast<uint32_t>(dtype);
    d.tie = static_cast<uint32_t>(op);
    d.numel = count;
    Backend& b = *comm->backend;
    CallScope scope(b, stream);
    check_agreement(*comm, d);
    const Traffic before = b.traffic();
    float_allreduce(b, algo == lioncubAlgoAuto ? lioncubAlgoFull : algo,
                    static_cast<const float*>(sendbuf), static_cast<float*>(recvbuf), count,
                    op == lioncubAvg, stats);
    finish_stats(b, before, stats);
    return lioncubSuccess;
  });
}

}  // extern "C"
