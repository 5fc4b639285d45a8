// The rendezvous key-value store. Rank 0 serves it at host:port over TCP (a thread polling the
// listening socket and its clients); every rank, rank 0 included, is a StoreClient.
//
// Protocol (all integers little-endian u32, one request then one reply per round trip):
//   request  op(u8: 1 = set, 2 = get) keylen key vallen val   (get: vallen = 0)
//   reply    status(u8: 1 = ok / found, 0 = not found, 2 = rank 0 gave up) vallen val
//            (status 2: val = result code (u8) + the reason, so waiting ranks fail with it)
// get-with-wait polls `get` until the key exists or the deadline passes: keys are few and small
// (listen handles), so polling every few milliseconds costs nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lioncub::rendezvous {

struct Endpoint {
  std::string host;
  int port = 0;
};
// Parses "host:port" or "[v6addr]:port"; throws Error(lioncubInvalidArgument) when malformed.
Endpoint parse_endpoint(const std::string& text);

class StoreServer {
 public:
  explicit StoreServer(const Endpoint& at);  // binds the wildcard address of host's family
  ~StoreServer();
  StoreServer(const StoreServer&) = delete;
  StoreServer& operator=(const StoreServer&) = delete;
  int port() const { return port_; }
  // Rank 0 failed the rendezvous: every later `get` of a missing key fails with this reason.
  void abort(int code, const std::string& why);

 private:
  void serve();
  bool handle(int fd);

  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: destructor wakes the thread
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::map<std::string, std::vector<uint8_t>> data_;
  std::mutex abort_mu_;
  std::vector<uint8_t> abort_;  // code + reason
  std::atomic<bool> has_abort_{false};
  bool aborted() const { return has_abort_; }
  std::thread thread_;
};

class StoreClient {
 public:
  // Connects, retrying refused connects until `deadline_s` (driver::now_s() clock).
  StoreClient(const Endpoint& at, double deadline_s);
  ~StoreClient();
  StoreClient(const StoreClient&) = delete;
  StoreClient& operator=(const StoreClient&) = delete;

  void set(const std::string& key, const std::vector<uint8_t>& value);
  // Waits until the key exists; throws Error(lioncubTimeout) naming `who` after deadline_s.
  std::vector<uint8_t> get(const std::string& key, double deadline_s, const std::string& who);

 private:
  bool try_get(const std::string& key, std::vector<uint8_t>* value, double deadline_s);
  void send_all(const void* p, size_t n, double deadline_s);
  void recv_all(void* p, size_t n, double deadline_s);

  Endpoint at_;
  int fd_ = -1;
};

}  // namespace lioncub::rendezvous
