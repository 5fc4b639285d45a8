// The optimizer's memory and ordering, all through the communicator's Backend (backend.h), so
// that one code path serves host and device communicators: buffers from Backend::allocate, the
// communicator's device made current around every entry point (DeviceScope).
#pragma once

#include <cstddef>
#include <utility>

#include "collectives/backend/backend.h"

namespace lioncub::lion {

// A zeroed buffer in the backend's memory, released with it.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { reset(); }
  void allocate(coll::Backend& be, size_t bytes) {
    reset();
    be_ = &be;
    p_ = be.allocate(bytes);
  }
  void reset() {
    if (p_ != nullptr) be_->release(p_);
    p_ = nullptr;
  }
  template <class T>
  T* as() const {
    return static_cast<T*>(p_);
  }

 private:
  coll::Backend* be_ = nullptr;
  void* p_ = nullptr;
};

// The communicator's device is current inside (the NCCL backend's begin_call); does not nest.
class DeviceScope {
 public:
  explicit DeviceScope(coll::Backend& be) : be_(be) { be_.begin_call(); }
  ~DeviceScope() { be_.end_call(); }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  coll::Backend& be_;
};

// An event of the backend (null on the host, where every call is already in order).
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& o) noexcept : be_(o.be_), e_(std::exchange(o.e_, nullptr)) {}
  ~Event() { reset(); }
  void reset() {
    if (e_ != nullptr) be_->event_destroy(e_);
    e_ = nullptr;
  }
  void create(coll::Backend& be) {
    be_ = &be;
    e_ = be.event_create();
  }
  void* get() const { return e_; }

 private:
  coll::Backend* be_ = nullptr;
  void* e_ = nullptr;
};

}  // namespace lioncub::lion
