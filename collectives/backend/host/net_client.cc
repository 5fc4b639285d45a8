#include "collectives/backend/host/net_client.h"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <dlfcn.h>
#include <sys/resource.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "abi/net_v11.h"
#include "common/clock.h"
#include "common/error.h"

namespace lioncub::coll {
namespace {

abi::ncclNet_v11_t* table(void* net) { return static_cast<abi::ncclNet_v11_t*>(net); }

lioncubResult_t from_nccl(int rc) {
  switch (rc) {
    case abi::ncclSystemError: return lioncubSystemError;
    case abi::ncclInvalidArgument: return lioncubInvalidArgument;
    case abi::ncclInvalidUsage: return lioncubInvalidUsage;
    case abi::ncclRemoteError: return lioncubRemoteError;
    default: return lioncubInternalError;
  }
}

int open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n - 3;  // ".", ".." and the directory's own descriptor
}

}  // namespace

std::string fd_pressure_note() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return "";
  const int n = open_fds();
  // A failing call may have released what it opened, and the plugin's listener drops waiting
  // strangers when it runs out: count "near the limit" (within 32, or an eighth of it) as at it.
  const rlim_t margin = std::max<rlim_t>(32, lim.rlim_cur / 8);
  if (n < 0 || static_cast<rlim_t>(n) + margin < lim.rlim_cur) return "";
  return " (too many open files: " + std::to_string(n) + " of " + std::to_string(lim.rlim_cur) +
         " descriptors in use; raise the limit with ulimit -n)";
}

void raise_fd_limit() {
  static std::once_flag once;
  std::call_once(once, [] {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &lim);  // best effort: a failure leaves the soft limit
    }
  });
}

NetComm& NetComm::operator=(NetComm&& o) noexcept {
  if (this != &o) {
    reset();
    net_ = o.net_;
    kind_ = o.kind_;
    comm_ = o.comm_;
    o.comm_ = nullptr;
  }
  return *this;
}

void NetComm::reset() noexcept {
  if (comm_ != nullptr && net_ != nullptr) net_->close(kind_, comm_);
  comm_ = nullptr;
}

NetClient::NetClient(const std::string& path, uint64_t comm_id) : path_(path) {
  lib_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib_ == nullptr) {
    raise(lioncubSystemError, "loading the net plugin: dlopen " + path + ": " + ::dlerror() +
                                  " (LIONCUB_NET_PLUGIN selects the library)");
  }
  net_ = ::dlsym(lib_, "ncclNetPlugin_v11");
  if (net_ == nullptr) {
    raise(lioncubSystemError, "loading the net plugin: " + path +
                                  " does not export ncclNetPlugin_v11 (LIONCUB_NET_PLUGIN "
                                  "selects the library)");
  }
  abi::ncclNetCommConfig_v11_t config{abi::NCCL_NET_TRAFFIC_CLASS_UNDEF};
  check(table(net_)->init(&ctx_, comm_id, &config, nullptr, nullptr), "init");
}

NetClient::~NetClient() {
  if (ctx_ != nullptr) table(net_)->finalize(ctx_);
  // Not dlclose'd: NCCL keeps plugins loaded too, and late worker exits must find the code.
}

void NetClient::check(int rc, const char* call, const std::string& context) {
  const int err = errno;  // what the plugin's last system call left: EMFILE says why
  if (rc == abi::ncclSuccess) return;
  std::string msg = context.empty() ? std::string() : context + ": ";
  msg += std::string("net plugin ") + call + " failed (ncclResult " + std::to_string(rc) + ")";
  if (rc == abi::ncclSystemError) {
    std::string note = fd_pressure_note();
    if (note.empty() && (err == EMFILE || err == ENFILE)) {
      note = " (too many open files; raise the limit with ulimit -n)";
    }
    msg += note;
  }
  raise(from_nccl(rc), msg);
}

int NetClient::devices() {
  int n = 0;
  check(table(net_)->devices(&n), "devices");
  return n;
}

int NetClient::speed_mbps(int dev) {
  abi::ncclNetProperties_v11_t props{};
  if (table(net_)->getProperties(dev, &props) != abi::ncclSuccess || props.speed <= 0) return 0;
  return props.speed;
}

NetComm NetClient::listen(int dev, std::vector<uint8_t>* handle, const std::string& context) {
  static_assert(kHandleBytes == abi::NCCL_NET_HANDLE_MAXSIZE);
  handle->assign(kHandleBytes, 0);
  void* lc = nullptr;
  check(table(net_)->listen(ctx_, dev, handle->data(), &lc), "listen", context);
  if (lc == nullptr) raise(lioncubInternalError, "net plugin listen returned no comm");
  return NetComm(this, NetComm::kListen, lc);
}

void NetClient::connect_all(std::vector<PeerLinks>& links, double deadline_s) {
  for (;;) {
    std::string missing;
    for (PeerLinks& l : links) {
      std::string peer = "rank ";
      peer += std::to_string(l.peer);
      if (!*l.send) {
        void* c = nullptr;
        abi::ncclNetDeviceHandle_t* dh = nullptr;
        check(table(net_)->connect(ctx_, 0, l.connect_handle.data(), &c, &dh), "connect",
              "connecting to " + peer);
        if (c != nullptr) *l.send = NetComm(this, NetComm::kSend, c);
      }
      if (!*l.recv) {
        void* c = nullptr;
        abi::ncclNetDeviceHandle_t* dh = nullptr;
        check(table(net_)->accept(l.listener->get(), &c, &dh), "accept",
              "accepting " + peer);
        if (c != nullptr) *l.recv = NetComm(this, NetComm::kRecv, c);
      }
      if (!*l.send || !*l.recv) {
        missing += ' ';
        missing += std::to_string(l.peer);
      }
    }
    if (missing.empty()) return;
    if (now_s() > deadline_s) raise(lioncubTimeout, "connecting to ranks" + missing + " timed out");
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void* NetClient::isend(void* send_comm, const void* data, size_t bytes, double deadline_s) {
  for (;;) {
    void* req = nullptr;
    check(table(net_)->isend(send_comm, const_cast<void*>(data), bytes, 0, nullptr, nullptr, &req),
          "isend");
    if (req != nullptr) return req;
    if (now_s() > deadline_s) raise(lioncubTimeout, "net plugin isend: no request slot before the deadline");
    std::this_thread::yield();
  }
}

void* NetClient::irecv(void* recv_comm, void* data, size_t bytes, double deadline_s) {
  for (;;) {
    void* req = nullptr;
    size_t size = bytes;
    int tag = 0;
    void* mh = nullptr;
    check(table(net_)->irecv(recv_comm, 1, &data, &size, &tag, &mh, nullptr, &req), "irecv");
    if (req != nullptr) return req;
    if (now_s() > deadline_s) raise(lioncubTimeout, "net plugin irecv: no request slot before the deadline");
    std::this_thread::yield();
  }
}

int NetClient::wait(void* request, double deadline_s) {
  int size = -1;
  for (uint64_t spins = 0;; ++spins) {
    int done = 0;
    check(table(net_)->test(request, &done, &size), "test");
    if (done) return size;
    if ((spins & 1023) == 1023 && now_s() > deadline_s) raise(lioncubTimeout, "net plugin test: timed out");
    // Poll like NCCL's proxy, but back off: on small machines a spinning poller takes the core
    // the progress threads need.
    if (spins < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(spins < 1024 ? 20 : 200));
    }
  }
}

void NetClient::close(NetComm::Kind kind, void* comm) noexcept {
  auto* t = table(net_);
  switch (kind) {
    case NetComm::kListen: t->closeListen(comm); break;
    case NetComm::kSend: t->closeSend(comm); break;
    case NetComm::kRecv: t->closeRecv(comm); break;
  }
}

}  // namespace lioncub::coll
