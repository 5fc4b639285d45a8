// The host backend's client of a net plugin (any library exporting ncclNetPlugin_v11): loads it,
// holds one init'ed context, and drives it the way NCCL's proxy does (non-blocking
// listen/connect/accept retried until they return a comm, isend/irecv retried while they return
// no request, test polled), every wait with a deadline. Failures are lioncub::Error with the
// result code of the plugin's ncclResult_t and a message naming the call. The ABI table stays
// in net_client.cc: nothing here needs the plugin's headers.
//
// Comms are owned: Listener, SendComm and RecvComm close theirs when destroyed, so a failure in
// the middle of connecting leaves no listener, connection or progress thread behind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lioncub::coll {

class NetClient;

// One plugin comm (listen, send or receive), closed by the destructor; move-only.
class NetComm {
 public:
  enum Kind { kListen, kSend, kRecv };
  NetComm() = default;
  NetComm(NetClient* net, Kind kind, void* comm) : net_(net), kind_(kind), comm_(comm) {}
  ~NetComm() { reset(); }
  NetComm(NetComm&& o) noexcept : net_(o.net_), kind_(o.kind_), comm_(o.comm_) { o.comm_ = nullptr; }
  NetComm& operator=(NetComm&& o) noexcept;
  NetComm(const NetComm&) = delete;
  NetComm& operator=(const NetComm&) = delete;

  void* get() const { return comm_; }
  explicit operator bool() const { return comm_ != nullptr; }
  void reset() noexcept;  // closes the comm (joins its progress threads); no-op when empty

 private:
  NetClient* net_ = nullptr;
  Kind kind_ = kListen;
  void* comm_ = nullptr;
};

// One pair of connections to a peer, set up by NetClient::connect_all.
struct PeerLinks {
  int peer = -1;
  std::vector<uint8_t> connect_handle;  // the peer's listen handle for us
  NetComm* listener = nullptr;          // our listener for the peer
  NetComm* send = nullptr;              // out: the comm we send to the peer on
  NetComm* recv = nullptr;              // out: the comm we receive from the peer on
};

class NetClient {
 public:
  // Bytes of a listen handle (NCCL_NET_HANDLE_MAXSIZE).
  static constexpr size_t kHandleBytes = 128;

  // dlopens `path`, finds ncclNetPlugin_v11 and inits a context with `comm_id`. Throws Error
  // (lioncubSystemError) naming the path when the library or the symbol is missing.
  NetClient(const std::string& path, uint64_t comm_id);
  ~NetClient();
  NetClient(const NetClient&) = delete;
  NetClient& operator=(const NetClient&) = delete;

  const std::string& path() const { return path_; }
  int devices();
  // The link speed device `dev` reports (Mbit/s), 0 when unknown.
  int speed_mbps(int dev);

  // A listener on device `dev`; its handle (kHandleBytes) goes to the peer that connects.
  // `context` (e.g. "listening for rank 3") prefixes an error's message.
  NetComm listen(int dev, std::vector<uint8_t>* handle, const std::string& context);
  // Drives every connect and accept of `links` in one loop until each has a send and a receive
  // comm. Throws Error(lioncubTimeout) naming the peers still missing at `deadline_s`, or the
  // plugin's error naming the call and the peer (errors from a process out of descriptors say
  // "too many open files").
  void connect_all(std::vector<PeerLinks>& links, double deadline_s);

  // Posts a send / receive of `bytes`, retrying while the plugin has no free request slot.
  void* isend(void* send_comm, const void* data, size_t bytes, double deadline_s);
  void* irecv(void* recv_comm, void* data, size_t bytes, double deadline_s);
  // Polls a request until done; returns the size the plugin reports.
  int wait(void* request, double deadline_s);

  void close(NetComm::Kind kind, void* comm) noexcept;

 private:
  // Throws Error for a failed plugin call (`rc` an ncclResult_t), naming `call`.
  void check(int rc, const char* call, const std::string& context = std::string());

  std::string path_;
  void* lib_ = nullptr;
  void* net_ = nullptr;  // the plugin's ncclNet_v11_t (net_client.cc)
  void* ctx_ = nullptr;
};

// " (too many open files: N of M descriptors in use)" when this process is at its descriptor
// limit, else "". Appended to errors of calls that open sockets.
std::string fd_pressure_note();

// Raises the soft RLIMIT_NOFILE to the hard limit once per process (as NCCL does at bootstrap):
// a host communicator holds several sockets per peer.
void raise_fd_limit();

}  // namespace lioncub::coll
