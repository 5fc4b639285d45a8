// Strangers for the security tests: raw connections, a squatter that answers junk, a relay
// that rewrites the store's traffic, and the process's resident memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lioncub::test {

// A connected blocking socket to 127.0.0.1:port, or -1.
int raw_connect(int port);
// VmRSS of this process in KiB.
long rss_kib();
// Sends a hello (no secret) and returns the refusal's reason, or "" when accepted.
std::string raw_hello(int port, const std::string& job, uint32_t rank, uint32_t nranks);

// A listener on an ephemeral loopback port: to each connection it answers the i-th request
// frame with frames[i], then holds the connection until the client closes.
class Squatter {
 public:
  explicit Squatter(std::vector<std::vector<uint8_t>> frames);
  ~Squatter();
  int port() const { return port_; }

 private:
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<std::vector<uint8_t>> frames_;
  std::thread thread_;
};
// Junk conversations: each a list of reply frames for the hello and the get.
std::vector<std::vector<std::vector<uint8_t>>> junk_replies();

// A man in the middle between clients and the store at `port`, forwarding whole frames.
class Relay {
 public:
  enum Mode {
    kFlipReply = 0,    // flip a random byte of every reply that carries a value
    kFlipRequest = 1,  // flip a random byte of every set request
    kReplayReply = 2,  // answer a get with the connection's previous reply
    kSpliceReply = 3,  // answer a get with a value reply taken from another connection
  };
  Relay(int port, Mode mode, uint64_t seed);
  ~Relay();
  int port() const { return port_; }
  int altered() const { return altered_; }

 private:
  void pump(int from, int to, bool to_client, int conn);
  int store_port_, fd_ = -1, port_ = 0;
  Mode mode_;
  uint64_t seed_;
  std::atomic<bool> stop_{false};
  std::atomic<int> altered_{0};
  std::mutex mu_;
  std::vector<uint8_t> last_value_frame_;  // for kSpliceReply
  int last_value_conn_ = -1;
  std::vector<std::thread> threads_;
  std::vector<int> fds_;
  std::thread accept_thread_;
};

}  // namespace lioncub::test
