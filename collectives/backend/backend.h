// The primitives every backend offers, and that the algorithms (algorithms/) are written
// against once:
//
//   allgatherv / alltoallv / allreduce   the exchanges, on buffers in memory()
//   copy / fill                          block moves within memory() (memcpy / cudaMemcpyAsync)
//   scratch(slot, bytes)                 per-communicator buffers in memory() that grow and are
//                                        kept between calls (no allocation or zero fill per call)
//   allgather_control                    a small host-memory allgather for the argument check
//
// Host backend (host_comm.h): CPU memory, the net plugin, blocking calls, seconds measured.
// NCCL backend (nccl_comm.h): device memory, stream(), every call enqueued on that stream, no
// host synchronization; the seconds are not measured (0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "lioncub/lioncub.h"

namespace lioncub::coll {

struct Traffic {
  uint64_t sent = 0;
  uint64_t received = 0;
};

// Element type of a sum-allreduce.
enum class Lane { f32, i32, i16, u8 };

inline size_t lane_size(Lane t) {
  switch (t) {
    case Lane::f32:
    case Lane::i32: return 4;
    case Lane::i16: return 2;
    default: return 1;
  }
}

// The scratch slots the algorithms use (contents do not survive from one call to the next).
enum ScratchSlot { kScratchA = 0, kScratchB = 1, kScratchC = 2, kNumScratch = 3 };

struct HostLayout;  // algorithms/topology.h

class Backend {
 public:
  virtual ~Backend() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual lioncubMemory_t memory() const = 0;
  // Whether the secondsX statistics are measured (the host backend) or 0 (stream-ordered).
  virtual bool timed() const = 0;
  const Traffic& traffic() const { return traffic_; }

  // Around every collective: the NCCL backend makes its device current and restores the caller's.
  virtual void begin_call() {}
  virtual void end_call() {}

  // The stream of the current call (ignored by the host backend).
  void set_stream(cudaStream_t s) { stream_ = s; }
  cudaStream_t stream() const { return stream_; }

  // Block j (bytes) lives at buf + offsets[j]; this rank's block is already in place.
  virtual void allgatherv(void* buf, const size_t* offsets, const size_t* sizes) = 0;
  // Block j of send goes to rank j; block j of recv comes from rank j; own block is copied.
  virtual void alltoallv(const void* send, const size_t* send_offsets, const size_t* send_sizes,
                         void* recv, const size_t* recv_offsets, const size_t* recv_sizes) = 0;
  // recv = sum over ranks of send (average: divided by P; floats only); send == recv is in place.
  // reduce_s / gather_s (optional) accumulate the seconds of the adds and of the allgather phase.
  virtual void allreduce(const void* send, void* recv, size_t count, Lane lane, bool average,
                         double* reduce_s, double* gather_s) = 0;
  // P blocks of `block` bytes in host memory, this rank's at buf + rank*block.
  virtual void allgather_control(void* buf, size_t block) = 0;

  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  virtual void fill(void* dst, int byte, size_t bytes) = 0;
  // At least `bytes` bytes in memory(), 256-byte aligned, kept until the communicator dies.
  virtual void* scratch(int slot, size_t bytes) = 0;

  // --- Owned buffers and stream ordering (the optimizer, optimizer/device.h) -----------------
  // The defaults are the host backend's: host memory, and every call already in program order.
  // A device backend overrides them; none of them may be called between begin_call/end_call of
  // another call on the same thread (begin_call does not nest).
  //
  // `bytes` zeroed bytes in memory(), 64-byte aligned, owned by the caller; the zeros are
  // complete (visible on every stream) when it returns.
  virtual void* allocate(size_t bytes);
  virtual void release(void* p) noexcept;
  // Blocking copy of `bytes` from memory() to host memory (after the work it depends on: see
  // event_sync).
  virtual void read(void* host_dst, const void* src, size_t bytes);
  // A second stream for the communication side of a pipelined call, and events ordering it with
  // the caller's stream. Host: null handles, no-ops.
  virtual cudaStream_t stream_create() { return nullptr; }
  virtual void stream_destroy(cudaStream_t) noexcept {}
  virtual void* event_create() { return nullptr; }
  virtual void event_destroy(void*) noexcept {}
  virtual void event_record(void* /*event*/, cudaStream_t) {}
  virtual void stream_wait(cudaStream_t, void* /*event*/) {}
  virtual void event_sync(void* /*event*/) {}

  // Which ranks share a host: filled on first use by host_layout() (algorithms/topology.cc).
  std::shared_ptr<const HostLayout> host_layout_cache;

 protected:
  Traffic traffic_;
  cudaStream_t stream_ = nullptr;
};


// The host defaults of the owned-buffer primitives.
inline void* Backend::allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  return p;
}
inline void Backend::release(void* p) noexcept { std::free(p); }
inline void Backend::read(void* host_dst, const void* src, size_t bytes) {
  if (bytes != 0) std::memcpy(host_dst, src, bytes);
}

// Host scratch: grown buffers, never value-initialized.
class HostScratch {
 public:
  void* get(int slot, size_t bytes);
  ~HostScratch();

 private:
  void* buf_[kNumScratch] = {};
  size_t cap_[kNumScratch] = {};
};

}  // namespace lioncub::coll
