// Run-time resolution of NCCL (see nccl_api.h).
#include "collectives/backend/nccl/nccl_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "common/error.h"

namespace lioncub::coll {
namespace {

template <class Fn>
void resolve(void* lib, const char* name, Fn& fn, std::string& missing, bool required = true) {
  fn = reinterpret_cast<Fn>(::dlsym(lib, name));
  if (fn == nullptr && required) missing += std::string(missing.empty() ? "" : ", ") + name;
}

// Loads and resolves; on failure leaves `error` set and returns false. The handle is never
// closed: NCCL stays loaded for the life of the process, as it would if linked.
bool load(NcclApi& api, std::string& error) {
  const std::string name = nccl_library_name();
  void* lib = ::dlopen(name.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (lib != nullptr) {
    api.origin = "already loaded: " + name;
  } else {
    ::dlerror();
    lib = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = ::dlerror();
      error = "NCCL is not available: dlopen(\"" + name + "\") failed (" +
              (why ? why : "unknown reason") +
              "); install NCCL, put it on the loader's path, or set LIONCUB_NCCL_LIBRARY to its path";
      return false;
    }
    api.origin = name;
  }
  std::string missing;
  resolve(lib, "ncclGetVersion", api.GetVersion, missing);
  resolve(lib, "ncclGetErrorString", api.GetErrorString, missing);
  resolve(lib, "ncclGetLastError", api.GetLastError, missing, /*required=*/false);
  resolve(lib, "ncclCommGetAsyncError", api.CommGetAsyncError, missing);
  resolve(lib, "ncclCommCount", api.CommCount, missing);
  resolve(lib, "ncclCommCuDevice", api.CommCuDevice, missing);
  resolve(lib, "ncclCommUserRank", api.CommUserRank, missing);
  resolve(lib, "ncclGroupStart", api.GroupStart, missing);
  resolve(lib, "ncclGroupEnd", api.GroupEnd, missing);
  resolve(lib, "ncclAllGather", api.AllGather, missing);
  resolve(lib, "ncclAllReduce", api.AllReduce, missing);
  resolve(lib, "ncclSend", api.Send, missing);
  resolve(lib, "ncclRecv", api.Recv, missing);
  if (!missing.empty()) {
    error = "the NCCL in " + api.origin + " lacks " + missing + " (lioncub needs NCCL >= 2.10)";
    return false;
  }
  api.version = 0;
  if (api.GetVersion(&api.version) != ncclSuccess) api.version = 0;
  // ncclAvg (2.10) is the newest feature the backend relies on.
  if (api.version != 0 && api.version < 21000) {
    error = "the NCCL in " + api.origin + " is version " + std::to_string(api.version) +
            "; lioncub needs NCCL >= 2.10";
    return false;
  }
  return true;
}

}  // namespace

std::string nccl_library_name() {
  const char* v = std::getenv("LIONCUB_NCCL_LIBRARY");
  return v != nullptr && *v != '\0' ? v : "libnccl.so.2";
}

const NcclApi& nccl_api() {
  // Retried on every call until it succeeds: NCCL may be loaded later in the process (torch
  // imports its CUDA libraries lazily), so a failure is not cached. A success is kept per library
  // name (LIONCUB_NCCL_LIBRARY may name another one later); entries are never freed, since
  // communicators hold references to them.
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<NcclApi>> loaded;
  const std::string name = nccl_library_name();
  std::lock_guard<std::mutex> lock(mu);
  auto it = loaded.find(name);
  if (it != loaded.end()) return *it->second;
  auto fresh = std::make_unique<NcclApi>();
  std::string error;
  if (!load(*fresh, error)) raise(lioncubNotSupported, error);
  return *loaded.emplace(name, std::move(fresh)).first->second;
}

}  // namespace lioncub::coll
