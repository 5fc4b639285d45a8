// The connecting end, as a state machine that connect() advances without blocking: open the
// control stream and the data streams (retrying refused connects until the deadline), send
// each stream's hello, then wait for the listener's ack on the control stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "handle.h"
#include "hello.h"
#include "params.h"
#include "socket.h"

namespace lioncub::net {

class Comm;

class PendingConnect {
 public:
  PendingConnect(const ListenHandle& handle, const Settings& settings);

  // A send comm once the listener acknowledged; nullptr while in progress; throws on failure
  // or when the connect deadline passes.
  std::unique_ptr<Comm> progress();

 private:
  struct Attempt {
    Fd fd;
    bool connected = false;
    uint8_t hello[kHelloSize] = {};
    size_t sent = 0;
    int64_t retry_at_ms = 0;
  };

  bool advance(Attempt& a, int64_t now);  // true when its hello is fully sent
  void check_ack();                        // throws unless ack_ accepts this connection

  ListenHandle handle_;
  Settings settings_;
  std::string peer_;
  uint64_t conn_id_;
  int64_t deadline_ms_;
  std::vector<Attempt> attempts_;  // [0] control, [1 + i] data stream i
  uint8_t ack_[kAckSize] = {};
  size_t ack_got_ = 0;
};

}  // namespace lioncub::net
