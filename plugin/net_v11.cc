// The exported ncclNetPlugin_v11 table: C entry points over net.h, each guarded.
#include "abi/net_v11.h"

#include "entry.h"
#include "net.h"
#include "net_entry.h"

namespace lioncub::net::v11 {

using namespace abi;

ncclResult_t init(void** ctx, uint64_t commId, ncclNetCommConfig_v11_t* config,
                  ncclDebugLogger_t logFunction, ncclProfilerCallback_t) {
  return guard("init", [&] {
    if (ctx == nullptr) throw_invalid_argument("ctx is null");
    *ctx = net::init(commId, config, logFunction);
  });
}
ncclResult_t devices(int* ndev) {
  return guard("devices", [&] {
    if (ndev == nullptr) throw_invalid_argument("ndev is null");
    *ndev = net::devices();
  });
}
ncclResult_t getProperties(int dev, ncclNetProperties_v11_t* props) {
  return guard("getProperties", [&] { net::get_properties(dev, props); });
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
ncclResult_t accept(void* listenComm, void** recvComm, ncclNetDeviceHandle_t** recvDevComm) {
  return guard("accept", [&] {
    if (recvDevComm != nullptr) *recvDevComm = nullptr;
    net::accept(listenComm, recvComm);
  });
}
ncclResult_t regMr(void* comm, void* data, size_t size, int type, void** mhandle) {
  return guard("regMr", [&] { net::reg_mr(comm, data, size, type, mhandle); });
}
ncclResult_t regMrDmaBuf(void*, void*, size_t, int, uint64_t, int, void** mhandle) {
  return guard("regMrDmaBuf", [&] {
    if (mhandle != nullptr) *mhandle = nullptr;
    throw_invalid_usage("DMA-BUF registration is not supported (host memory only)");
  });
}
ncclResult_t deregMr(void* comm, void* mhandle) {
  return guard("deregMr", [&] { net::dereg_mr(comm, mhandle); });
}
ncclResult_t isend(void* sendComm, void* data, size_t size, int tag, void*, void*,
                   void** request) {
  return guard("isend", [&] { net::isend(sendComm, data, size, tag, request); });
}
ncclResult_t irecv(void* recvComm, int n, void** data, size_t* sizes, int* tags, void**, void**,
                   void** request) {
  return guard("irecv", [&] { net::irecv(recvComm, n, data, sizes, tags, request); });
}
ncclResult_t iflush(void* recvComm, int n, void**, int*, void**, void** request) {
  return guard("iflush", [&] { net::iflush(recvComm, n, request); });
}
ncclResult_t test(void* request, int* done, int* sizes) {
  return guard("test", [&] { net::test(request, done, sizes); });
}
ncclResult_t closeSend(void* sendComm) {
  return guard("closeSend", [&] { net::close_send(sendComm); });
}
ncclResult_t closeRecv(void* recvComm) {
  return guard("closeRecv", [&] { net::close_recv(recvComm); });
}
ncclResult_t closeListen(void* listenComm) {
  return guard("closeListen", [&] { net::close_listen(listenComm); });
}
ncclResult_t finalize(void* ctx) {
  return guard("finalize", [&] { net::finalize(ctx); });
}
ncclResult_t setNetAttr(void* ctx, ncclNetAttr_v11_t* netAttr) {
  return guard("setNetAttr", [&] {
    if (netAttr == nullptr) throw_invalid_argument("netAttr is null");
    // Accepted; the stream count is a setting, not negotiated per call.
  });
}

}  // namespace lioncub::net::v11

extern "C" {
__attribute__((visibility("default"))) lioncub::abi::ncclNet_v11_t ncclNetPlugin_v11 = {
    "lioncub",
    lioncub::net::v11::init,
    lioncub::net::v11::devices,
    lioncub::net::v11::getProperties,
    lioncub::net::v11::listen,
    lioncub::net::v11::connect,
    lioncub::net::v11::accept,
    lioncub::net::v11::regMr,
    lioncub::net::v11::regMrDmaBuf,
    lioncub::net::v11::deregMr,
    lioncub::net::v11::isend,
    lioncub::net::v11::irecv,
    lioncub::net::v11::iflush,
    lioncub::net::v11::test,
    lioncub::net::v11::closeSend,
    lioncub::net::v11::closeRecv,
    lioncub::net::v11::closeListen,
    nullptr,  // getDeviceMr: no device offload
    nullptr,  // irecvConsumed: no device offload
    nullptr,  // makeVDevice: no virtual NICs
    lioncub::net::v11::finalize,
    lioncub::net::v11::setNetAttr,
};
}
