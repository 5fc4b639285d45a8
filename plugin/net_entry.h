// The v11 C entry points, shared with the adapters of older ABI versions (net_adapters.cc).
#pragma once

#include "abi/net_v11.h"

namespace lioncub::net::v11 {

using abi::ncclResult_t;

ncclResult_t devices(int* ndev);
ncclResult_t getProperties(int dev, abi::ncclNetProperties_v11_t* props);
ncclResult_t accept(void* listenComm, void** recvComm, abi::ncclNetDeviceHandle_t** recvDevComm);
ncclResult_t regMr(void* comm, void* data, size_t size, int type, void** mhandle);
ncclResult_t regMrDmaBuf(void* comm, void* data, size_t size, int type, uint64_t offset, int fd,
                         void** mhandle);
ncclResult_t deregMr(void* comm, void* mhandle);
ncclResult_t isend(void* sendComm, void* data, size_t size, int tag, void* mhandle, void* phandle,
                   void** request);
ncclResult_t irecv(void* recvComm, int n, void** data, size_t* sizes, int* tags, void** mhandles,
                   void** phandles, void** request);
ncclResult_t iflush(void* recvComm, int n, void** data, int* sizes, void** mhandles,
                    void** request);
ncclResult_t test(void* request, int* done, int* sizes);
ncclResult_t closeSend(void* sendComm);
ncclResult_t closeRecv(void* recvComm);
ncclResult_t closeListen(void* listenComm);

}  // namespace lioncub::net::v11
