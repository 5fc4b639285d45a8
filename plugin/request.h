// One isend or (grouped) irecv in flight. Completion is counted: `pending` is the number of
// pieces (byte runs on streams) plus, for receives, the slots not yet matched to a message.
// The request is done when pending reaches 0; workers never touch it after their last
// decrement, so test() may then free it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "abi/common.h"
#include "message.h"

namespace lioncub::net {

class Comm;

constexpr int kMaxRecvs = 8;

struct Request {
  struct Slot {
    uint8_t* data = nullptr;
    uint64_t capacity = 0;  // receive: buffer size; send: message size
    int tag = 0;
    bool matched = false;
    uint64_t size = 0;      // bytes that arrived (receive) or were sent (send)
  };

  Comm* comm = nullptr;
  void* token = nullptr;
  bool is_recv = false;
  int n = 1;
  int unmatched = 0;  // guarded by the comm's mutex
  Slot slots[kMaxRecvs];
  uint8_t header[kControlSize] = {};
  std::atomic<int64_t> pending{0};

  // First error wins; written before the last pending decrement.
  void set_error(abi::ncclResult_t code, std::string msg) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (error_code == abi::ncclSuccess) {
      error_code = code;
      error_msg = std::move(msg);
    }
  }
  std::mutex error_mu;
  abi::ncclResult_t error_code = abi::ncclSuccess;
  std::string error_msg;
};

}  // namespace lioncub::net
