// The listening end: a bound TCP socket plus the connections that arrived but have not yet
// presented a valid hello. accept() never blocks: it takes what the kernel has queued, reads
// hellos that are there, drops strangers (bad magic, wrong nonce, silence past the deadline)
// without touching other connections, and returns a receive comm once one connection's
// control stream and all of its data streams have arrived.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hello.h"
#include "params.h"
#include "socket.h"

namespace lioncub::net {

class Comm;

class ListenComm {
 public:
  ListenComm(const sockaddr_storage& addr, const Settings& settings);

  const sockaddr_storage& address() const { return bound_; }
  uint64_t nonce() const { return nonce_; }

  // A new receive comm, or nullptr when none is complete yet.
  std::unique_ptr<Comm> try_accept();

 private:
  struct Pending {
    Fd fd;
    std::string peer;
    uint8_t hello[kHelloSize] = {};
    size_t got = 0;
    int64_t deadline_ms = 0;
  };
  struct Group {
    Hello control_hello;
    bool have_control = false;
    Fd control;
    std::vector<Fd> data;
    int have_data = 0;
    std::string peer;
    int64_t deadline_ms = 0;
  };

  void accept_new(int64_t now);
  bool read_hello(Pending& p);  // true when the connection is finished with (kept or dropped)
  void file(Pending& p, const Hello& h);
  std::unique_ptr<Comm> complete(Group& g);

  Settings settings_;
  Fd fd_;
  sockaddr_storage bound_{};
  uint64_t nonce_;
  std::vector<std::unique_ptr<Pending>> pending_;
  std::map<uint64_t, Group> groups_;
};

}  // namespace lioncub::net
