// The transport behind the ABI, in NCCL v11 terms. Every function throws NetError (or another
// exception) on failure; the C entry points in net_v11.cc / net_adapters.cc catch and map.
// Objects handed to NCCL are registry tokens (registry.h), never raw pointers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "abi/net_v11.h"

namespace lioncub::net {

using abi::ncclDebugLogger_t;

// Upper bound on a single message: test() reports sizes as int, so stay below 2^31.
constexpr uint64_t kMaxP2pBytes = uint64_t{1} << 30;

void* init(uint64_t comm_id, const abi::ncclNetCommConfig_v11_t* config, ncclDebugLogger_t logger);
void finalize(void* ctx);
int devices();
void get_properties(int dev, abi::ncclNetProperties_v11_t* props);
void listen(void* ctx, int dev, void* handle, void** listen_comm);
void connect(void* ctx, int dev, void* handle, void** send_comm);
void accept(void* listen_comm, void** recv_comm);
void reg_mr(void* comm, void* data, size_t size, int type, void** mhandle);
void dereg_mr(void* comm, void* mhandle);
void isend(void* send_comm, void* data, size_t size, int tag, void** request);
void irecv(void* recv_comm, int n, void** data, const size_t* sizes, const int* tags,
           void** request);
void iflush(void* recv_comm, int n, void** request);
void test(void* request, int* done, int* sizes);
void close_send(void* send_comm);
void close_recv(void* recv_comm);
void close_listen(void* listen_comm);

// A context for the adapters of ABI versions without one (v8-v10): created on their first
// init, shared by all their calls.
void* legacy_context(ncclDebugLogger_t logger);

}  // namespace lioncub::net
