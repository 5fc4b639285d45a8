// Tables for NCCL's older net ABI versions (v10, v9, v8). Each slot forwards to the v11
// implementation; only signatures and property structs differ. These versions have no
// per-communicator context: their calls share one context created by their init.
#include <climits>
#include <cstring>

#include "abi/net_v10.h"
#include "abi/net_v8.h"
#include "abi/net_v9.h"
#include "entry.h"
#include "net.h"
#include "net_entry.h"

namespace lioncub::net::adapters {

using namespace abi;

namespace {

ncclResult_t init_legacy(ncclDebugLogger_t logger) {
  return guard("init", [&] { legacy_context(logger); });
}

ncclResult_t listen_legacy(int dev, void* handle, void** listenComm) {
  return guard("listen", [&] { net::listen(legacy_context(nullptr), dev, handle, listenComm); });
}

ncclResult_t connect_legacy(int dev, void* handle, void** sendComm,
                            ncclNetDeviceHandle_t** sendDevComm) {
  return guard("connect", [&] {
    if (sendDevComm != nullptr) *sendDevComm = nullptr;
    net::connect(legacy_context(nullptr), dev, handle, sendComm);
  });
}

// Fills the fields every version shares from the v11 properties.
template <typename Props>
ncclResult_t properties_common(int dev, Props* props, ncclNetProperties_v11_t* full) {
  if (props == nullptr) {
    return guard("getProperties", [] { throw_invalid_argument("props is null"); });
  }
  ncclResult_t rc = v11::getProperties(dev, full);
  if (rc != ncclSuccess) return rc;
  std::memset(props, 0, sizeof(*props));
  props->name = full->name;
  props->pciPath = full->pciPath;
  props->guid = full->guid;
  props->ptrSupport = full->ptrSupport;
  props->regIsGlobal = full->regIsGlobal;
  props->speed = full->speed;
  props->port = full->port;
  props->latency = full->latency;
  props->maxComms = full->maxComms;
  props->maxRecvs = full->maxRecvs;
  props->netDeviceType = full->netDeviceType;
  props->netDeviceVersion = full->netDeviceVersion;
  return ncclSuccess;
}

template <typename Props>
ncclResult_t properties_v9_v10(int dev, Props* props) {
  ncclNetProperties_v11_t full;
  ncclResult_t rc = properties_common(dev, props, &full);
  if (rc != ncclSuccess) return rc;
  props->forceFlush = full.forceFlush;
  props->vProps.ndevs = full.vProps.ndevs;
  std::memcpy(props->vProps.devs, full.vProps.devs, sizeof(props->vProps.devs));
  props->maxP2pBytes = full.maxP2pBytes;
  props->maxCollBytes = full.maxCollBytes;
  return ncclSuccess;
}

// --- v10 ---
ncclResult_t init_v10(ncclDebugLogger_t logger, ncclProfilerCallback_t) {
  return init_legacy(logger);
}
ncclResult_t properties_v10(int dev, ncclNetProperties_v10_t* props) {
  return properties_v9_v10(dev, props);
}
ncclResult_t connect_v10(int dev, ncclNetCommConfig_v10_t*, void* handle, void** sendComm,
                         ncclNetDeviceHandle_t** sendDevComm) {
  return connect_legacy(dev, handle, sendComm, sendDevComm);
}

// --- v9 ---
ncclResult_t properties_v9(int dev, ncclNetProperties_v9_t* props) {
  return properties_v9_v10(dev, props);
}
ncclResult_t isend_v9(void* sendComm, void* data, size_t size, int tag, void* mhandle,
                      void** request) {
  return v11::isend(sendComm, data, size, tag, mhandle, nullptr, request);
}
ncclResult_t irecv_v9(void* recvComm, int n, void** data, size_t* sizes, int* tags,
                      void** mhandles, void** request) {
  return v11::irecv(recvComm, n, data, sizes, tags, mhandles, nullptr, request);
}

// --- v8: int sizes ---
ncclResult_t properties_v8(int dev, ncclNetProperties_v8_t* props) {
  ncclNetProperties_v11_t full;
  return properties_common(dev, props, &full);
}
ncclResult_t isend_v8(void* sendComm, void* data, int size, int tag, void* mhandle,
                      void** request) {
  if (size < 0) {
    return guard("isend", [&] {
      if (request != nullptr) *request = nullptr;
      throw_invalid_argument("isend: negative size " + std::to_string(size));
    });
  }
  return v11::isend(sendComm, data, static_cast<size_t>(size), tag, mhandle, nullptr, request);
}
ncclResult_t irecv_v8(void* recvComm, int n, void** data, int* sizes, int* tags, void** mhandles,
                      void** request) {
  size_t wide[8];
  ncclResult_t bad = guard("irecv", [&] {
    if (request != nullptr) *request = nullptr;
    if (n < 1 || n > 8) throw_invalid_argument("irecv: n = " + std::to_string(n) + ", want 1..8");
    if (sizes == nullptr) throw_invalid_argument("irecv sizes is null");
    for (int i = 0; i < n; ++i) {
      if (sizes[i] < 0) throw_invalid_argument("irecv: negative size");
      wide[i] = static_cast<size_t>(sizes[i]);
    }
  });
  if (bad != ncclSuccess) return bad;
  return v11::irecv(recvComm, n, data, wide, tags, mhandles, nullptr, request);
}

}  // namespace
}  // namespace lioncub::net::adapters

namespace a = lioncub::net::adapters;
namespace v11 = lioncub::net::v11;

extern "C" {
__attribute__((visibility("default"))) lioncub::abi::ncclNet_v10_t ncclNetPlugin_v10 = {
    "lioncub",      a::init_v10,      v11::devices,   a::properties_v10, a::listen_legacy,
    a::connect_v10, v11::accept,      v11::regMr,     v11::regMrDmaBuf,  v11::deregMr,
    v11::isend,     v11::irecv,       v11::iflush,    v11::test,         v11::closeSend,
    v11::closeRecv, v11::closeListen, nullptr,        nullptr,           nullptr,
};

__attribute__((visibility("default"))) lioncub::abi::ncclNet_v9_t ncclNetPlugin_v9 = {
    "lioncub",          a::init_legacy,   v11::devices, a::properties_v9, a::listen_legacy,
    a::connect_legacy,  v11::accept,      v11::regMr,   v11::regMrDmaBuf, v11::deregMr,
    a::isend_v9,        a::irecv_v9,      v11::iflush,  v11::test,        v11::closeSend,
    v11::closeRecv,     v11::closeListen, nullptr,      nullptr,          nullptr,
};

__attribute__((visibility("default"))) lioncub::abi::ncclNet_v8_t ncclNetPlugin_v8 = {
    "lioncub",         a::init_legacy,   v11::devices, a::properties_v8, a::listen_legacy,
    a::connect_legacy, v11::accept,      v11::regMr,   v11::regMrDmaBuf, v11::deregMr,
    a::isend_v8,       a::irecv_v8,      v11::iflush,  v11::test,        v11::closeSend,
    v11::closeRecv,    v11::closeListen, nullptr,      nullptr,
};
}
