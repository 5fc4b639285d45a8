#include "driver/driver.h"

#include <dlfcn.h>

#include <chrono>
#include <thread>

namespace lioncub::driver {

using namespace abi;

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void check(ncclResult_t rc, const char* what) {
  if (rc != ncclSuccess) {
    throw DriverError(std::string(what) + " failed with ncclResult " + std::to_string(rc), rc);
  }
}

Plugin::Plugin(const std::string& path) {
  lib_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib_ == nullptr) throw DriverError("dlopen " + path + ": " + ::dlerror(), -1);
  net_ = static_cast<ncclNet_v11_t*>(::dlsym(lib_, "ncclNetPlugin_v11"));
  if (net_ == nullptr) throw DriverError(path + " does not export ncclNetPlugin_v11", -1);
}

Plugin::~Plugin() {
  // Not dlclose'd: NCCL keeps plugins loaded too, and late worker exits must find the code.
}

void* Plugin::symbol(const char* name) const { return ::dlsym(lib_, name); }

Context::Context(ncclNet_v11_t* net, uint64_t comm_id) : net_(net) {
  ncclNetCommConfig_v11_t config{NCCL_NET_TRAFFIC_CLASS_UNDEF};
  check(net_->init(&ctx_, comm_id, &config, nullptr, nullptr), "init");
}

Context::~Context() {
  if (ctx_ != nullptr) net_->finalize(ctx_);
}

void* listen(ncclNet_v11_t* net, void* ctx, int dev, Handle* handle) {
  handle->assign(NCCL_NET_HANDLE_MAXSIZE, 0);
  void* lc = nullptr;
  check(net->listen(ctx, dev, handle->data(), &lc), "listen");
  if (lc == nullptr) throw DriverError("listen returned no comm", -1);
  return lc;
}

namespace {
void pause_briefly() { std::this_thread::sleep_for(std::chrono::microseconds(200)); }
}  // namespace

void* connect(ncclNet_v11_t* net, void* ctx, int dev, Handle* handle, double timeout_s) {
  const double deadline = now_s() + timeout_s;
  for (;;) {
    void* comm = nullptr;
    ncclNetDeviceHandle_t* dev_handle = nullptr;
    check(net->connect(ctx, dev, handle->data(), &comm, &dev_handle), "connect");
    if (comm != nullptr) return comm;
    if (now_s() > deadline) throw DriverError("connect: timed out", -1);
    pause_briefly();
  }
}

void* accept(ncclNet_v11_t* net, void* listen_comm, double timeout_s) {
  const double deadline = now_s() + timeout_s;
  for (;;) {
    void* comm = nullptr;
    ncclNetDeviceHandle_t* dev_handle = nullptr;
    check(net->accept(listen_comm, &comm, &dev_handle), "accept");
    if (comm != nullptr) return comm;
    if (now_s() > deadline) throw DriverError("accept: timed out", -1);
    pause_briefly();
  }
}

void* isend(ncclNet_v11_t* net, void* comm, void* data, size_t size, int tag, void* mh,
            double timeout_s) {
  const double deadline = now_s() + timeout_s;
  for (;;) {
    void* req = nullptr;
    check(net->isend(comm, data, size, tag, mh, nullptr, &req), "isend");
    if (req != nullptr) return req;
    if (now_s() > deadline) throw DriverError("isend: no request slot before the deadline", -1);
    std::this_thread::yield();
  }
}

void* irecv(ncclNet_v11_t* net, void* comm, int n, void** data, size_t* sizes, int* tags,
            void** mhs, double timeout_s) {
  const double deadline = now_s() + timeout_s;
  for (;;) {
    void* req = nullptr;
    check(net->irecv(comm, n, data, sizes, tags, mhs, nullptr, &req), "irecv");
    if (req != nullptr) return req;
    if (now_s() > deadline) throw DriverError("irecv: no request slot before the deadline", -1);
    std::this_thread::yield();
  }
}

std::vector<int> wait(ncclNet_v11_t* net, void* request, int n, double timeout_s) {
  const double deadline = now_s() + timeout_s;
  std::vector<int> sizes(static_cast<size_t>(n), -1);
  for (uint64_t spins = 0;; ++spins) {
    int done = 0;
    check(net->test(request, &done, sizes.data()), "test");
    if (done) return sizes;
    if ((spins & 1023) == 1023 && now_s() > deadline) throw DriverError("test: timed out", -1);
    // Poll like NCCL's proxy, but back off: on small machines a spinning poller takes the core
    // the progress threads need.
    if (spins < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(spins < 1024 ? 20 : 200));
    }
  }
}

}  // namespace lioncub::driver
