#include "net.h"

#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "comm.h"
#include "connect.h"
#include "error.h"
#include "handle.h"
#include "interfaces.h"
#include "listen.h"
#include "log.h"
#include "params.h"
#include "registry.h"

namespace lioncub::net {
namespace {

struct Context {
  uint64_t comm_id = 0;
  int traffic_class = abi::NCCL_NET_TRAFFIC_CLASS_UNDEF;
};
struct MemRegion {
  void* data;
  size_t size;
};

// Registries live for the whole process (never destroyed: a late call after exit began must
// still find a valid table).
Registry<Context>& contexts() { static auto* r = new Registry<Context>(TokenKind::kContext); return *r; }
Registry<ListenComm>& listens() { static auto* r = new Registry<ListenComm>(TokenKind::kListen); return *r; }
Registry<Comm>& sends() { static auto* r = new Registry<Comm>(TokenKind::kSend); return *r; }
Registry<Comm>& recvs() { static auto* r = new Registry<Comm>(TokenKind::kRecv); return *r; }
Registry<Request>& requests() { static auto* r = new Registry<Request>(TokenKind::kRequest); return *r; }
Registry<MemRegion>& memory() { static auto* r = new Registry<MemRegion>(TokenKind::kMemory); return *r; }
Registry<PendingConnect>& connects() { static auto* r = new Registry<PendingConnect>(TokenKind::kConnect); return *r; }

std::mutex g_mu;
int g_refs = 0;
void* g_legacy_ctx = nullptr;
// Device lists are kept forever: NCCL holds the name/pciPath pointers we hand out.
std::vector<std::unique_ptr<std::vector<Device>>> g_device_lists;
std::vector<Device>* g_devices = nullptr;

const std::vector<Device>& device_list() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_devices == nullptr) throw_invalid_usage("the plugin is not initialized (call init first)");
  return *g_devices;
}

const Device& device(int dev) {
  const auto& list = device_list();
  if (dev < 0 || dev >= static_cast<int>(list.size())) {
    throw_invalid_argument("device index " + std::to_string(dev) + " out of range (" +
                           std::to_string(list.size()) + " devices)");
  }
  return list[dev];
}

void check_context(void* ctx) {
  if (contexts().find(ctx) == nullptr) throw_invalid_argument("unknown or finalized context");
}

template <typename T>
void require(T* p, const char* what) {
  if (p == nullptr) throw_invalid_argument(std::string(what) + " is null");
}

constexpr uint32_t kScratchMagic = 0x5343434c;  // "LCCS": connect state kept in the handle

}  // namespace

void* init(uint64_t comm_id, const abi::ncclNetCommConfig_v11_t* config, ncclDebugLogger_t logger) {
  if (logger != nullptr) set_logger(logger);
  {
    std::lock_guard<std::mutex> lock(g_mu);
    reload_settings();
    if (g_refs++ == 0) {
      const Settings& s = *settings();
      auto list = std::make_unique<std::vector<Device>>(
          detect_devices(s.ifname, static_cast<int>(s.speed_mbps)));
      g_devices = list.get();
      g_device_lists.push_back(std::move(list));
    }
  }
  auto* ctx = new Context{comm_id, config != nullptr ? config->trafficClass
                                                    : abi::NCCL_NET_TRAFFIC_CLASS_UNDEF};
  void* token = contexts().add(ctx);
  if (token == nullptr) {
    delete ctx;
    throw_system("too many contexts");
  }
  return token;
}

void finalize(void* ctx) {
  Context* c = contexts().remove(ctx);
  if (c == nullptr) throw_invalid_argument("finalize: unknown or already finalized context");
  delete c;
  std::lock_guard<std::mutex> lock(g_mu);
  --g_refs;
}

void* legacy_context(ncclDebugLogger_t logger) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (g_legacy_ctx == nullptr || contexts().find(g_legacy_ctx) == nullptr) {
    g_legacy_ctx = init(0, nullptr, logger);
  } else if (logger != nullptr) {
    set_logger(logger);
  }
  return g_legacy_ctx;
}

int devices() { return static_cast<int>(device_list().size()); }

void get_properties(int dev, abi::ncclNetProperties_v11_t* props) {
  require(props, "props");
  const Device& d = device(dev);
  std::memset(props, 0, sizeof(*props));
  props->name = const_cast<char*>(d.name.c_str());
  props->pciPath = d.pci_path.empty() ? nullptr : const_cast<char*>(d.pci_path.c_str());
  props->guid = static_cast<uint64_t>(dev);
  props->ptrSupport = abi::NCCL_PTR_HOST;
  props->regIsGlobal = 0;
  props->forceFlush = 0;
  props->speed = d.speed_mbps;
  props->port = 0;
  props->latency = 0;
  props->maxComms = 65536;
  props->maxRecvs = kMaxRecvs;
  props->netDeviceType = abi::NCCL_NET_DEVICE_HOST;
  props->netDeviceVersion = abi::NCCL_NET_DEVICE_INVALID_VERSION;
  props->vProps.ndevs = 1;
  props->vProps.devs[0] = dev;
  props->maxP2pBytes = kMaxP2pBytes;
  props->maxCollBytes = kMaxP2pBytes;
  props->maxMultiRequestSize = 1;
}

void listen(void* ctx, int dev, void* handle, void** listen_comm) {
  check_context(ctx);
  require(handle, "handle");
  require(listen_comm, "listenComm");
  *listen_comm = nullptr;
  const Device& d = device(dev);
  auto lc = std::make_unique<ListenComm>(d.addr, *settings());
  ListenHandle h;
  h.addr = lc->address();
  h.nonce = lc->nonce();
  encode_handle(h, wire::MutableBytes(static_cast<uint8_t*>(handle), kHandleSize));
  void* token = listens().add(lc.get());
  if (token == nullptr) throw_system("too many listen comms");
  lc.release();
  *listen_comm = token;
}

void connect(void* ctx, int dev, void* handle, void** send_comm) {
  check_context(ctx);
  require(handle, "handle");
  require(send_comm, "sendComm");
  *send_comm = nullptr;
  device(dev);  // validates the index; the route to the peer is the kernel's choice
  auto bytes = wire::MutableBytes(static_cast<uint8_t*>(handle), kHandleSize);
  std::string why;
  auto h = decode_handle(bytes, &why);
  if (!h) throw_invalid_argument("connect: " + why);
  // In-progress state lives in the handle's scratch area between retries.
  auto scratch = bytes.subspan(kHandleScratchOffset, 16);
  void* token = nullptr;
  if (wire::get<uint32_t>(scratch, 0) == kScratchMagic) {
    token = reinterpret_cast<void*>(static_cast<uintptr_t>(wire::get<uint64_t>(scratch, 8)));
    if (connects().find(token) == nullptr) {
      throw_invalid_usage("connect: handle holds a stale connection attempt");
    }
  } else {
    for (uint8_t b : bytes.subspan(kHandleWireSize)) {
      if (b != 0) throw_invalid_argument("connect: handle padding is not zero");
    }
    auto pc = std::make_unique<PendingConnect>(*h, *settings());
    token = connects().add(pc.get());
    if (token == nullptr) throw_system("too many pending connects");
    pc.release();
    wire::put<uint32_t>(scratch, 0, kScratchMagic);
    wire::put<uint64_t>(scratch, 8, reinterpret_cast<uintptr_t>(token));
  }
  PendingConnect* pc = connects().find(token);
  std::unique_ptr<Comm> comm;
  try {
    comm = pc->progress();
  } catch (...) {
    delete connects().remove(token);
    std::memset(scratch.data(), 0, scratch.size());
    throw;
  }
  if (!comm) return;
  delete connects().remove(token);
  std::memset(scratch.data(), 0, scratch.size());
  comm->token = sends().add(comm.get());
  if (comm->token == nullptr) throw_system("too many send comms");
  *send_comm = comm.release()->token;
}

void accept(void* listen_comm, void** recv_comm) {
  require(recv_comm, "recvComm");
  *recv_comm = nullptr;
  ListenComm* lc = listens().find(listen_comm);
  if (lc == nullptr) throw_invalid_argument("accept: unknown or closed listen comm");
  std::unique_ptr<Comm> comm = lc->try_accept();
  if (!comm) return;
  comm->token = recvs().add(comm.get());
  if (comm->token == nullptr) throw_system("too many receive comms");
  *recv_comm = comm.release()->token;
}

void reg_mr(void* comm, void* data, size_t size, int type, void** mhandle) {
  require(mhandle, "mhandle");
  *mhandle = nullptr;
  if (sends().find(comm) == nullptr && recvs().find(comm) == nullptr) {
    throw_invalid_argument("regMr: unknown or closed comm");
  }
  if (type != abi::NCCL_PTR_HOST) {
    throw_invalid_usage("regMr: only host memory (NCCL_PTR_HOST) is supported, got type " +
                        std::to_string(type));
  }
  if (data == nullptr && size > 0) throw_invalid_argument("regMr: null buffer");
  auto* mr = new MemRegion{data, size};
  *mhandle = memory().add(mr);
  if (*mhandle == nullptr) {
    delete mr;
    throw_system("too many memory registrations");
  }
}

void dereg_mr(void* comm, void* mhandle) {
  MemRegion* mr = memory().remove(mhandle);
  if (mr == nullptr) throw_invalid_argument("deregMr: unknown or already deregistered handle");
  delete mr;
}

void isend(void* send_comm, void* data, size_t size, int tag, void** request) {
  require(request, "request");
  *request = nullptr;
  Comm* c = sends().find(send_comm);
  if (c == nullptr) throw_invalid_argument("isend: unknown or closed send comm");
  if (size > kMaxP2pBytes) {
    throw_invalid_argument("isend: " + std::to_string(size) + " bytes exceeds maxP2pBytes " +
                           std::to_string(kMaxP2pBytes));
  }
  if (data == nullptr && size > 0) throw_invalid_argument("isend: null buffer");
  Request* r = c->isend(static_cast<uint8_t*>(data), size, tag);
  if (r == nullptr) return;  // too many in flight: NCCL retries
  r->token = requests().add(r);
  *request = r->token;
}

void irecv(void* recv_comm, int n, void** data, const size_t* sizes, const int* tags,
           void** request) {
  require(request, "request");
  *request = nullptr;
  Comm* c = recvs().find(recv_comm);
  if (c == nullptr) throw_invalid_argument("irecv: unknown or closed receive comm");
  if (n < 1 || n > kMaxRecvs) {
    throw_invalid_argument("irecv: n = " + std::to_string(n) + ", want 1.." +
                           std::to_string(kMaxRecvs));
  }
  require(data, "irecv data");
  require(sizes, "irecv sizes");
  for (int i = 0; i < n; ++i) {
    if (data[i] == nullptr && sizes[i] > 0) throw_invalid_argument("irecv: null buffer");
  }
  Request* r = c->irecv(n, reinterpret_cast<uint8_t**>(data), sizes, tags);
  if (r == nullptr) return;
  r->token = requests().add(r);
  *request = r->token;
}

void iflush(void* recv_comm, int n, void** request) {
  // Host memory needs no flush: success with a null request, which NCCL (and aws-ofi-nccl's
  // callers) read as "nothing to wait for". NCCL does not call this for NCCL_PTR_HOST-only
  // devices; a caller that does anyway is not an error.
  require(request, "request");
  *request = nullptr;
  if (recvs().find(recv_comm) == nullptr) throw_invalid_argument("iflush: unknown receive comm");
  if (n < 0 || n > kMaxRecvs) {
    throw_invalid_argument("iflush: n = " + std::to_string(n) + ", want 0.." +
                           std::to_string(kMaxRecvs));
  }
}

void test(void* request, int* done, int* sizes) {
  require(done, "done");
  *done = 0;
  Request* r = requests().find(request);
  if (r == nullptr) throw_invalid_argument("test: unknown, completed or closed request");
  const Comm::TestResult t = r->comm->test(r, sizes);  // frees r once done
  if (t.done) requests().remove(request);
  *done = t.done ? 1 : 0;
  if (t.code != abi::ncclSuccess) throw NetError(t.code, t.message);
}

namespace {
void close_comm(Registry<Comm>& reg, void* token, const char* what) {
  Comm* c = reg.remove(token);
  if (c == nullptr) throw_invalid_argument(std::string(what) + ": unknown or already closed comm");
  // Requests still in flight die with the comm; invalidate their tokens first.
  c->for_each_live([](Request* r) { requests().remove(r->token); });
  delete c;
}
}  // namespace

void close_send(void* send_comm) { close_comm(sends(), send_comm, "closeSend"); }
void close_recv(void* recv_comm) { close_comm(recvs(), recv_comm, "closeRecv"); }

void close_listen(void* listen_comm) {
  ListenComm* lc = listens().remove(listen_comm);
  if (lc == nullptr) throw_invalid_argument("closeListen: unknown or already closed listen comm");
  delete lc;
}

}  // namespace lioncub::net
