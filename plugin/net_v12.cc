// The exported ncclNetPlugin_v12 table (NCCL 2.30 asks for it first). Every call has v11's
// signature and forwards to the v11 entry points, except the three whose structs changed:
// init and setNetAttr (same layout, new type names) and getProperties (vProps holds up to 8
// devices; railId and planeId are new, and unknown here, as NCCL's own v11 adapter sets them).
#include <cstring>

#include "abi/net_v11.h"
#include "abi/net_v12.h"
#include "entry.h"
#include "net.h"
#include "net_entry.h"

namespace lioncub::net::v12 {

using namespace abi;

static_assert(sizeof(ncclNetCommConfig_v12_t) == sizeof(ncclNetCommConfig_v11_t));
static_assert(NCCL_NET_MAX_DEVS_PER_NIC_V12 >= NCCL_NET_MAX_DEVS_PER_NIC);

namespace {

ncclResult_t init(void** ctx, uint64_t commId, ncclNetCommConfig_v12_t* config,
                  ncclDebugLogger_t logFunction, ncclProfilerCallback_t) {
  return guard("init", [&] {
    if (ctx == nullptr) throw_invalid_argument("ctx is null");
    ncclNetCommConfig_v11_t v11config{};
    if (config != nullptr) v11config.trafficClass = config->trafficClass;
    *ctx = net::init(commId, config != nullptr ? &v11config : nullptr, logFunction);
  });
}

ncclResult_t getProperties(int dev, ncclNetProperties_v12_t* props) {
  if (props == nullptr) {
    return guard("getProperties", [] { throw_invalid_argument("props is null"); });
  }
  ncclNetProperties_v11_t full;
  const ncclResult_t rc = v11::getProperties(dev, &full);
  if (rc != ncclSuccess) return rc;
  std::memset(props, 0, sizeof(*props));
  props->name = full.name;
  props->pciPath = full.pciPath;
  props->guid = full.guid;
  props->ptrSupport = full.ptrSupport;
  props->regIsGlobal = full.regIsGlobal;
  props->forceFlush = full.forceFlush;
  props->speed = full.speed;
  props->port = full.port;
  props->latency = full.latency;
  props->maxComms = full.maxComms;
  props->maxRecvs = full.maxRecvs;
  props->netDeviceType = full.netDeviceType;
  props->netDeviceVersion = full.netDeviceVersion;
  props->vProps.ndevs = full.vProps.ndevs;
  std::memcpy(props->vProps.devs, full.vProps.devs, sizeof(full.vProps.devs));
  props->maxP2pBytes = full.maxP2pBytes;
  props->maxCollBytes = full.maxCollBytes;
  props->maxMultiRequestSize = full.maxMultiRequestSize;
  props->railId = static_cast<int16_t>(NCCL_NET_ID_UNDEF);
  props->planeId = static_cast<int16_t>(NCCL_NET_ID_UNDEF);
  return ncclSuccess;
}

ncclResult_t finalize(void* ctx) {
  return guard("finalize", [&] { net::finalize(ctx); });
}

ncclResult_t setNetAttr(void*, ncclNetAttr_v12_t* netAttr) {
  return guard("setNetAttr", [&] {
    if (netAttr == nullptr) throw_invalid_argument("netAttr is null");
    // Accepted; the stream count is a setting, not negotiated per call.
  });
}

ncclResult_t listen(void* ctx, int dev, void* handle, void** listenComm) {
  return guard("listen", [&] { net::listen(ctx, dev, handle, listenComm); });
}

ncclResult_t connect(void* ctx, int dev, void* handle, void** sendComm,
                     ncclNetDeviceHandle_t** sendDevComm) {
  return guard("connect", [&] {
    if (sendDevComm != nullptr) *sendDevComm = nullptr;  // host transport: no device offload
    net::connect(ctx, dev, handle, sendComm);
  });
}

}  // namespace
}  // namespace lioncub::net::v12

namespace v11 = lioncub::net::v11;
namespace v12 = lioncub::net::v12;

extern "C" {
__attribute__((visibility("default"))) lioncub::abi::ncclNet_v12_t ncclNetPlugin_v12 = {
    "lioncub",
    v12::init,
    v11::devices,
    v12::getProperties,
    v12::listen,
    v12::connect,
    v11::accept,
    v11::regMr,
    v11::regMrDmaBuf,
    v11::deregMr,
    v11::isend,
    v11::irecv,
    v11::iflush,
    v11::test,
    v11::closeSend,
    v11::closeRecv,
    v11::closeListen,
    nullptr,  // getDeviceMr: no device offload
    nullptr,  // irecvConsumed: no device offload
    nullptr,  // makeVDevice: no virtual NICs
    v12::finalize,
    v12::setNetAttr,
};
}
