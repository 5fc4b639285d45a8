// The communicators' C entry points: create (host, from the launcher's environment, over NCCL),
// destroy and the queries. Every entry point runs through c_api() (common/error.h): arguments
// are checked here, failures inside are lioncub::Error, and the message names the call.
#include <dlfcn.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "collectives/backend/host/host_comm.h"
#include "collectives/comm.h"
#include "collectives/link_model.h"
#include "common/error.h"
#include "common/handles.h"
#include "common/launcher.h"
#include "common/settings.h"
#if defined(LIONCUB_HAVE_NCCL)
#include "collectives/backend/nccl/nccl_comm.h"
#endif

namespace lioncub::coll {

void check_comm(lioncubComm_t comm) {
  if (comm == nullptr) raise(lioncubInvalidArgument, "comm is NULL");
  if (!comm_handles().live(comm)) {
    raise(lioncubInvalidUsage, "comm is not a live communicator (destroyed already?)");
  }
}

CommUse::CommUse(lioncubComm& c) : c_(c) {
  if (c.busy.exchange(true, std::memory_order_acquire)) {
    raise(lioncubInvalidUsage,
          "communicator in use by another thread (a communicator takes one call at a time)");
  }
}

namespace {

bool readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

}  // namespace

std::string net_plugin_path() {
  std::string v = setting_string("LIONCUB_NET_PLUGIN");
  if (!v.empty()) {
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

namespace {

// Registers a new communicator and hands it out; never success without one.
lioncubResult_t publish(std::unique_ptr<lioncubComm> c, lioncubComm_t* out) {
  if (!c || !c->backend) raise(lioncubInternalError, "communicator created without a backend");
  c->check_every_call = setting_flag("LIONCUB_CHECK_ARGS");
  *out = c.release();
  comm_handles().add(*out);
  return lioncubSuccess;
}

lioncubResult_t init_host(lioncubComm_t* comm, int nranks, int rank, const char* rendezvous) {
  if (comm == nullptr) raise(lioncubInvalidArgument, "comm is NULL");
  *comm = nullptr;
  warn_unknown_settings();
  if (nranks < 1 || nranks > kMaxRanks) {
    raise(lioncubInvalidArgument,
          "nranks = " + std::to_string(nranks) + ", want 1.." + std::to_string(kMaxRanks));
  }
  if (rank < 0 || rank >= nranks) {
    raise(lioncubInvalidArgument,
          "rank = " + std::to_string(rank) + ", want 0.." + std::to_string(nranks - 1));
  }
  if (nranks > 1 && (rendezvous == nullptr || *rendezvous == '\0')) {
    raise(lioncubInvalidArgument, "rendezvous is NULL but nranks = " + std::to_string(nranks) +
                                      " (want host:port)");
  }
  auto c = std::make_unique<lioncubComm>();
  auto host = std::make_unique<HostComm>(nranks, rank, rendezvous ? rendezvous : "",
                                         nranks > 1 ? net_plugin_path() : std::string());
  c->link = link_from_env(host->link_mbps());
  c->backend = std::move(host);
  return publish(std::move(c), comm);
}

// A query: comm and out must be valid; the answer comes from the backend.
template <class T, class F>
lioncubResult_t query(const char* where, lioncubComm_t comm, T* out, F&& get) {
  return c_api(where, [&] {
    if (out == nullptr) raise(lioncubInvalidArgument, "the result pointer is NULL");
    check_comm(comm);
    *out = get(*comm->backend);
    return lioncubSuccess;
  });
}

}  // namespace
}  // namespace lioncub::coll

using lioncub::c_api;
using lioncub::raise;

extern "C" {

lioncubResult_t lioncubCommInitHost(lioncubComm_t* comm, int nranks, int rank,
                                    const char* rendezvous) {
  return c_api("lioncubCommInitHost",
               [&] { return lioncub::coll::init_host(comm, nranks, rank, rendezvous); });
}

lioncubResult_t lioncubCommInitFromEnv(lioncubComm_t* comm) {
  return c_api("lioncubCommInitFromEnv", [&] {
    if (comm == nullptr) raise(lioncubInvalidArgument, "comm is NULL");
    *comm = nullptr;
    const lioncub::LaunchEnv e = lioncub::launch_env(lioncub::coll::kMaxRanks);
    return lioncub::coll::init_host(comm, e.size, e.rank, e.root.c_str());
  });
}

lioncubResult_t lioncubCommInitNccl(lioncubComm_t* comm, ncclComm_t nccl) {
  return c_api("lioncubCommInitNccl", [&]() -> lioncubResult_t {
    if (comm == nullptr) raise(lioncubInvalidArgument, "comm is NULL");
    *comm = nullptr;
    if (nccl == nullptr) raise(lioncubInvalidArgument, "the NCCL communicator is NULL");
#if defined(LIONCUB_HAVE_NCCL)
    using namespace lioncub::coll;
    lioncub::warn_unknown_settings();
    auto c = std::make_unique<lioncubComm>();
    c->backend.reset(make_nccl_backend(nccl));
    c->link = link_from_env(0);
    return publish(std::move(c), comm);
#else
    raise(lioncubNotSupported,
          "this lioncub was built without the NCCL backend (it needs CUDA and NCCL at build "
          "time: LIONCUB_HAVE_NCCL)");
#endif
  });
}

lioncubResult_t lioncubCommDestroy(lioncubComm_t comm) {
  return c_api("lioncubCommDestroy", [&] {
    if (comm == nullptr) return lioncubSuccess;
    lioncub::coll::check_comm(comm);
    // Refused while another thread's call runs on it (that call would use freed memory).
    if (comm->busy.exchange(true, std::memory_order_acquire)) {
      raise(lioncubInvalidUsage, "communicator in use by another thread: destroy it after that call");
    }
    if (!lioncub::coll::comm_handles().remove(comm)) {
      raise(lioncubInvalidUsage, "not a live communicator (destroyed already?)");
    }
    delete comm;
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubCommRank(lioncubComm_t comm, int* rank) {
  return lioncub::coll::query("lioncubCommRank", comm, rank,
                              [](const lioncub::coll::Backend& b) { return b.rank(); });
}

lioncubResult_t lioncubCommSize(lioncubComm_t comm, int* nranks) {
  return lioncub::coll::query("lioncubCommSize", comm, nranks,
                              [](const lioncub::coll::Backend& b) { return b.size(); });
}

lioncubResult_t lioncubCommMemory(lioncubComm_t comm, lioncubMemory_t* mem) {
  return lioncub::coll::query("lioncubCommMemory", comm, mem,
                              [](const lioncub::coll::Backend& b) { return b.memory(); });
}

}  // extern "C"
