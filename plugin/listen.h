// The listening end: a bound TCP socket plus the connections that arrived but have not yet
// presented a valid hello. accept() never blocks: it takes what the kernel has queued, reads
// hellos that are there, drops strangers (bad magic, wrong nonce, another job's or an
// unauthenticated hello, silence past the deadline) without touching other connections, and
// returns a receive comm once one connection's control stream and all of its data streams
// have arrived.
//
// File descriptors: connections awaiting their hello are capped below the process's open-file
// limit (a quarter of the soft RLIMIT_NOFILE, at most 1024), and when the cap is reached or
// accept fails with EMFILE/ENFILE the oldest of them is dropped to make room, so a flood of
// silent connections cannot starve the peers that say hello at once.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <deque>
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
  size_t pending_cap() const { return pending_cap_; }

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
    uint8_t control_bytes[kHelloSize] = {};  // as received: the ack's MAC covers them
    bool have_control = false;
    Fd control;
    std::vector<Fd> data;
    int have_data = 0;
    std::string peer;
    int64_t deadline_ms = 0;
  };

  void accept_new(int64_t now);
  bool drop_oldest_pending(const char* why);
  bool read_hello(Pending& p);  // true when the connection is finished with (kept or dropped)
  bool admit(Pending& p, const Hello& h);  // job and authentication checks
  void refuse(Pending& p, const Hello& h, AckStatus status);
  void file(Pending& p, const Hello& h);
  std::unique_ptr<Comm> complete(Group& g);

  Settings settings_;
  Fd fd_;
  sockaddr_storage bound_{};
  uint64_t nonce_;
  size_t pending_cap_;
  std::deque<std::unique_ptr<Pending>> pending_;  // arrival order: the front is the oldest
  std::map<uint64_t, Group> groups_;
};

}  // namespace lioncub::net
