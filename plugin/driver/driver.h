// A small client of a net plugin's ABI, driving it the way NCCL's proxy does: retry connect and
// accept until they return a comm, retry isend/irecv while they return a null request, poll
// test. Every wait has a deadline. Used by the ABI tests and by lioncub-net-perf; works with
// any library exporting ncclNetPlugin_v11.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "abi/net_v11.h"

namespace lioncub::driver {

class DriverError : public std::runtime_error {
 public:
  DriverError(const std::string& what, int rc) : std::runtime_error(what), code(rc) {}
  int code;  // the ncclResult_t that caused it, or -1 for a timeout
};

class Plugin {
 public:
  explicit Plugin(const std::string& path);  // dlopen + dlsym("ncclNetPlugin_v11")
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  abi::ncclNet_v11_t* net() const { return net_; }
  void* symbol(const char* name) const;

 private:
  void* lib_ = nullptr;
  abi::ncclNet_v11_t* net_ = nullptr;
};

// Throws DriverError naming `what` unless rc == ncclSuccess.
void check(abi::ncclResult_t rc, const char* what);

// An init'ed context; finalizes on destruction.
class Context {
 public:
  explicit Context(abi::ncclNet_v11_t* net, uint64_t comm_id = 1);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  void* get() const { return ctx_; }

 private:
  abi::ncclNet_v11_t* net_;
  void* ctx_ = nullptr;
};

using Handle = std::vector<uint8_t>;  // NCCL_NET_HANDLE_MAXSIZE bytes

void* listen(abi::ncclNet_v11_t* net, void* ctx, int dev, Handle* handle);
void* connect(abi::ncclNet_v11_t* net, void* ctx, int dev, Handle* handle, double timeout_s);
void* accept(abi::ncclNet_v11_t* net, void* listen_comm, double timeout_s);

void* isend(abi::ncclNet_v11_t* net, void* comm, void* data, size_t size, int tag, void* mh,
            double timeout_s);
void* irecv(abi::ncclNet_v11_t* net, void* comm, int n, void** data, size_t* sizes, int* tags,
            void** mhs, double timeout_s);
// Polls test until done; returns the reported sizes (n entries).
std::vector<int> wait(abi::ncclNet_v11_t* net, void* request, int n, double timeout_s);

double now_s();

}  // namespace lioncub::driver
