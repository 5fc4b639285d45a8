// The NCCL backend (see nccl_comm.h). NCCL is resolved at run time (nccl_api.h). Scratch buffers
// are stream-ordered allocations (cudaMallocAsync / cudaFreeAsync on the call's stream) that grow
// and are kept; successive collectives of one communicator on different streams must be ordered
// by the caller, as NCCL requires for one communicator anyway. Every call runs on the
// communicator's device (begin_call / end_call, and the destructor).
#include "collectives/backend/nccl/nccl_comm.h"

#include <cuda_runtime.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "collectives/backend/nccl/gather_plan.h"
#include "collectives/backend/nccl/nccl_api.h"
#include "common/error.h"

namespace lioncub::coll {
namespace {

void cuda_check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) raise(lioncubCudaError, std::string(what) + ": " + cudaGetErrorString(e));
}

// Seconds an operation of a non-blocking communicator may stay ncclInProgress before the call
// gives up with lioncubTimeout (LIONCUB_NCCL_TIMEOUT_S, default 300).
double in_progress_limit_s() {
  const char* v = std::getenv("LIONCUB_NCCL_TIMEOUT_S");
  const double s = v != nullptr ? std::atof(v) : 0.0;
  return s > 0 ? s : 300.0;
}

class NcclComm final : public Backend {
 public:
  explicit NcclComm(ncclComm_t nccl) : api_(nccl_api()), nccl_(nccl) {
    check(api_.CommCount(nccl, &nranks_), "ncclCommCount");
    check(api_.CommUserRank(nccl, &rank_), "ncclCommUserRank");
    check(api_.CommCuDevice(nccl, &device_), "ncclCommCuDevice");
  }
  // The scratch buffers live on the communicator's device: free them there, whatever device the
  // caller has made current. cudaFree waits for the work queued on them.
  ~NcclComm() override {
    int saved = -1;
    if (cudaGetDevice(&saved) != cudaSuccess) saved = -1;
    const bool switched = saved != device_ && cudaSetDevice(device_) == cudaSuccess;
    for (void* b : buf_) {
      if (b != nullptr) cudaFree(b);
    }
    if (switched && saved >= 0) cudaSetDevice(saved);
    cudaGetLastError();  // a destructor reports nothing: leave no sticky error for the caller
  }

  int rank() const override { return rank_; }
  int size() const override { return nranks_; }
  lioncubMemory_t memory() const override { return lioncubMemDevice; }
  bool timed() const override { return false; }

  void begin_call() override {
    cuda_check(cudaGetDevice(&saved_device_), "cudaGetDevice");
    if (saved_device_ != device_) cuda_check(cudaSetDevice(device_), "cudaSetDevice");
  }
  void end_call() override {
    if (saved_device_ != device_) cudaSetDevice(saved_device_);
  }

  void allgatherv(void* buf, const size_t* offsets, const size_t* sizes) override {
    const GatherPlan plan = plan_gather(nranks_, rank_, offsets, sizes);
    if (plan.kind == GatherPlan::kNothing) return;
    traffic_.sent += plan.sent;
    traffic_.received += plan.received;
    auto* b = static_cast<uint8_t*>(buf);
    if (plan.kind == GatherPlan::kAllGather) {
      uint8_t* base = b + plan.base;
      check(api_.AllGather(base + plan.block * rank_, base, plan.block, ncclUint8, nccl_, stream_),
            "ncclAllGather");
      return;
    }
    // Unequal blocks: in place, own block to every peer, every peer's block to its offset.
    Group group(*this);
    for (int k = 1; k < nranks_; ++k) {
      const int to = (rank_ + k) % nranks_, from = (rank_ - k + nranks_) % nranks_;
      if (sizes[from] > 0) {
        check(api_.Recv(b + offsets[from], sizes[from], ncclUint8, from, nccl_, stream_), "ncclRecv");
      }
      if (sizes[rank_] > 0) {
        check(api_.Send(b + offsets[rank_], sizes[rank_], ncclUint8, to, nccl_, stream_), "ncclSend");
      }
    }
    group.end();
  }

  void alltoallv(const void* send, const size_t* send_offsets, const size_t* send_sizes,
                 void* recv, const size_t* recv_offsets, const size_t* recv_sizes) override {
    const auto* s = static_cast<const uint8_t*>(send);
    auto* d = static_cast<uint8_t*>(recv);
    const int P = nranks_, r = rank_;
    if (recv_sizes[r] != send_sizes[r]) raise(lioncubInternalError, "alltoallv: own block sizes differ");
    copy(d + recv_offsets[r], s + send_offsets[r], send_sizes[r]);
    if (P == 1) return;
    Group group(*this);
    for (int k = 1; k < P; ++k) {
      const int to = (r + k) % P, from = (r - k + P) % P;
      if (recv_sizes[from] > 0) {
        check(api_.Recv(d + recv_offsets[from], recv_sizes[from], ncclUint8, from, nccl_, stream_),
              "ncclRecv");
        traffic_.received += recv_sizes[from];
      }
      if (send_sizes[to] > 0) {
        check(api_.Send(s + send_offsets[to], send_sizes[to], ncclUint8, to, nccl_, stream_),
              "ncclSend");
        traffic_.sent += send_sizes[to];
      }
    }
    group.end();
  }

  void allreduce(const void* send, void* recv, size_t count, Lane lane, bool average,
                 double* /*reduce_s*/, double* /*gather_s*/) override {
    ncclDataType_t type = ncclUint8;
    switch (lane) {
      case Lane::f32: type = ncclFloat32; break;
      case Lane::i32: type = ncclInt32; break;
      case Lane::u8: type = ncclUint8; break;
      case Lane::i16: raise(lioncubNotSupported, "NCCL has no int16 sum (use int32 or uint8 lanes)");
    }
    if (average && lane != Lane::f32) {
      raise(lioncubInvalidArgument, "allreduce: average needs a floating-point type");
    }
    if (count == 0) return;
    if (nranks_ == 1) {
      copy(recv, send, count * lane_size(lane));
      return;
    }
    // Ring schedule: every segment but the two this rank receives last, twice over.
    const size_t e = lane_size(lane), P = static_cast<size_t>(nranks_);
    auto seg = [&](size_t j) { return (count * (j + 1) / P - count * j / P) * e; };
    const uint64_t moved = 2 * count * e - seg((rank_ + 1) % P) - seg((rank_ + 2) % P);
    traffic_.sent += moved;
    traffic_.received += 2 * count * e - seg(rank_ % P) - seg((rank_ + 1) % P);
    check(api_.AllReduce(send, recv, count, type, average ? ncclAvg : ncclSum, nccl_, stream_),
          "ncclAllReduce");
  }

  void allgather_control(void* buf, size_t block) override {
    if (nranks_ == 1) return;
    auto* stage = static_cast<uint8_t*>(get(kInternal, block * nranks_));
    auto* h = static_cast<uint8_t*>(buf);
    cuda_check(cudaMemcpyAsync(stage + block * rank_, h + block * rank_, block,
                               cudaMemcpyHostToDevice, stream_),
               "cudaMemcpyAsync");
    check(api_.AllGather(stage + block * rank_, stage, block, ncclUint8, nccl_, stream_),
          "ncclAllGather");
    cuda_check(cudaMemcpyAsync(h, stage, block * nranks_, cudaMemcpyDeviceToHost, stream_),
               "cudaMemcpyAsync");
    cuda_check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (argument check)");
  }

  void copy(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0 || dst == src) return;
    cuda_check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_),
               "cudaMemcpyAsync");
  }

  void fill(void* dst, int byte, size_t bytes) override {
    if (bytes == 0) return;
    cuda_check(cudaMemsetAsync(dst, byte, bytes, stream_), "cudaMemsetAsync");
  }

  void* scratch(int slot, size_t bytes) override {
    if (slot < 0 || slot >= kNumScratch) raise(lioncubInternalError, "scratch slot out of range");
    return get(slot, bytes);
  }

  // --- Owned buffers and stream ordering (the optimizer; backend.h) --------------------------
  // Called inside begin_call/end_call, so on this communicator's device.
  void* allocate(size_t bytes) override {
    if (bytes == 0) return nullptr;
    void* p = nullptr;
    cuda_check(cudaMalloc(&p, bytes), "cudaMalloc");
    // Synchronous zeros: nothing on any stream can see the buffer before they are complete.
    const cudaError_t e = cudaMemset(p, 0, bytes);
    const cudaError_t e2 = e == cudaSuccess ? cudaDeviceSynchronize() : e;
    if (e2 != cudaSuccess) {
      cudaFree(p);
      cuda_check(e2, "cudaMemset");
    }
    return p;
  }
  void release(void* p) noexcept override {
    if (p != nullptr) cudaFree(p);
  }
  void read(void* host_dst, const void* src, size_t bytes) override {
    if (bytes != 0) cuda_check(cudaMemcpy(host_dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy");
  }
  cudaStream_t stream_create() override {
    cudaStream_t s = nullptr;
    cuda_check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    return s;
  }
  void stream_destroy(cudaStream_t s) noexcept override {
    if (s != nullptr) cudaStreamDestroy(s);
  }
  void* event_create() override {
    cudaEvent_t e = nullptr;
    cuda_check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreateWithFlags");
    return e;
  }
  void event_destroy(void* e) noexcept override {
    if (e != nullptr) cudaEventDestroy(static_cast<cudaEvent_t>(e));
  }
  void event_record(void* e, cudaStream_t s) override {
    cuda_check(cudaEventRecord(static_cast<cudaEvent_t>(e), s), "cudaEventRecord");
  }
  void stream_wait(cudaStream_t s, void* e) override {
    cuda_check(cudaStreamWaitEvent(s, static_cast<cudaEvent_t>(e), 0), "cudaStreamWaitEvent");
  }
  void event_sync(void* e) override {
    cuda_check(cudaEventSynchronize(static_cast<cudaEvent_t>(e)), "cudaEventSynchronize");
  }

 private:
  static constexpr int kInternal = kNumScratch;  // the argument check's staging buffer

  // ncclGroupStart .. ncclGroupEnd; an exception in between still closes the group (the
  // operations already queued are issued, the error propagates), so NCCL is never left inside
  // a group that the next call would unknowingly join.
  class Group {
   public:
    explicit Group(NcclComm& c) : c_(c) {
      c_.check(c_.api_.GroupStart(), "ncclGroupStart");
      open_ = true;
    }
    void end() {
      open_ = false;
      c_.check(c_.api_.GroupEnd(), "ncclGroupEnd");
    }
    ~Group() {
      if (open_) c_.api_.GroupEnd();
    }
    Group(const Group&) = delete;
    Group& operator=(const Group&) = delete;

   private:
    NcclComm& c_;
    bool open_ = false;
  };

  // A non-blocking communicator (ncclConfig_t::blocking = 0) answers ncclInProgress: the
  // operation is not issued yet. Poll its state until it settles, as NCCL documents, and treat
  // what it settles to as the call's result.
  void check(ncclResult_t rc, const char* what) {
    if (rc == ncclInProgress) {
      const auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::duration<double>(in_progress_limit_s());
      do {
        ncclResult_t state = ncclSuccess;
        const ncclResult_t q = api_.CommGetAsyncError(nccl_, &state);
        rc = q != ncclSuccess ? q : state;
        if (rc != ncclInProgress) break;
        if (std::chrono::steady_clock::now() > deadline) {
          raise(lioncubTimeout, std::string(what) +
                                    ": the NCCL communicator is still in progress after " +
                                    std::to_string(in_progress_limit_s()) +
                                    " s (LIONCUB_NCCL_TIMEOUT_S); abort it with ncclCommAbort");
        }
        sched_yield();
      } while (true);
    }
    if (rc == ncclSuccess) return;
    const char* last = api_.GetLastError != nullptr ? api_.GetLastError(nccl_) : nullptr;
    raise(lioncubNcclError, std::string(what) + ": " + api_.GetErrorString(rc) +
                                (last != nullptr && *last != '\0' ? std::string(" (") + last + ")" : ""));
  }

  // Stream-ordered growth: the old buffer is freed after the work already queued on the stream.
  void* get(int slot, size_t bytes) {
    if (buf_[slot] != nullptr && bytes <= cap_[slot]) return buf_[slot];
    if (buf_[slot] != nullptr) cuda_check(cudaFreeAsync(buf_[slot], stream_), "cudaFreeAsync");
    buf_[slot] = nullptr;
    cap_[slot] = 0;
    const size_t cap = std::max<size_t>((bytes + 65535) / 65536 * 65536, 65536);
    cuda_check(cudaMallocAsync(&buf_[slot], cap, stream_), "cudaMallocAsync");
    cap_[slot] = cap;
    return buf_[slot];
  }

  const NcclApi& api_;
  ncclComm_t nccl_;
  int nranks_ = 1, rank_ = 0, device_ = 0, saved_device_ = 0;
  void* buf_[kNumScratch + 1] = {};
  size_t cap_[kNumScratch + 1] = {};
};

}  // namespace

Backend* make_nccl_backend(ncclComm_t nccl) { return new NcclComm(nccl); }

}  // namespace lioncub::coll
