// The NCCL backend (see nccl_comm.h). Scratch buffers are stream-ordered allocations
// (cudaMallocAsync / cudaFreeAsync on the call's stream) that grow and are kept; successive
// collectives of one communicator on different streams must be ordered by the caller, as NCCL
// requires for one communicator anyway.
#include "collectives/backend/nccl/nccl_comm.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/error.h"

namespace lioncub::coll {
namespace {

void cuda_check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) raise(lioncubCudaError, std::string(what) + ": " + cudaGetErrorString(e));
}

class NcclComm final : public Backend {
 public:
  explicit NcclComm(ncclComm_t nccl) : nccl_(nccl) {
    check(ncclCommCount(nccl, &nranks_), "ncclCommCount");
    check(ncclCommUserRank(nccl, &rank_), "ncclCommUserRank");
    check(ncclCommCuDevice(nccl, &device_), "ncclCommCuDevice");
  }
  ~NcclComm() override {
    for (void* b : buf_) {
      if (b != nullptr) cudaFree(b);  // waits for the device: the communicator is going away
    }
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
    const int P = nranks_;
    if (P == 1) return;
    auto* b = static_cast<uint8_t*>(buf);
    size_t block = 0;
    bool regular = true;
    for (int j = 0; j < P; ++j) {
      block = std::max(block, sizes[j]);
      regular = regular && sizes[j] == sizes[0] && offsets[j] == offsets[0] + sizes[0] * j;
    }
    if (block == 0) return;
    count_ring_gather(block);
    if (regular) {
      uint8_t* base = b + offsets[0];
      check(ncclAllGather(base + block * rank_, base, block, ncclUint8, nccl_, stream_),
            "ncclAllGather");
      return;
    }
    auto* stage = static_cast<uint8_t*>(get(kInternal, block * P));
    copy(stage + block * rank_, b + offsets[rank_], sizes[rank_]);
    check(ncclAllGather(stage + block * rank_, stage, block, ncclUint8, nccl_, stream_),
          "ncclAllGather");
    for (int j = 0; j < P; ++j) {
      if (j != rank_) copy(b + offsets[j], stage + block * j, sizes[j]);
    }
  }

  void alltoallv(const void* send, const size_t* send_offsets, const size_t* send_sizes,
                 void* recv, const size_t* recv_offsets, const size_t* recv_sizes) override {
    const auto* s = static_cast<const uint8_t*>(send);
    auto* d = static_cast<uint8_t*>(recv);
    const int P = nranks_, r = rank_;
    if (recv_sizes[r] != send_sizes[r]) raise(lioncubInternalError, "alltoallv: own block sizes differ");
    copy(d + recv_offsets[r], s + send_offsets[r], send_sizes[r]);
    if (P == 1) return;
    check(ncclGroupStart(), "ncclGroupStart");
    for (int k = 1; k < P; ++k) {
      const int to = (r + k) % P, from = (r - k + P) % P;
      if (recv_sizes[from] > 0) {
        check(ncclRecv(d + recv_offsets[from], recv_sizes[from], ncclUint8, from, nccl_, stream_),
              "ncclRecv");
        traffic_.received += recv_sizes[from];
      }
      if (send_sizes[to] > 0) {
        check(ncclSend(s + send_offsets[to], send_sizes[to], ncclUint8, to, nccl_, stream_),
              "ncclSend");
        traffic_.sent += send_sizes[to];
      }
    }
    check(ncclGroupEnd(), "ncclGroupEnd");
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
    check(ncclAllReduce(send, recv, count, type, average ? ncclAvg : ncclSum, nccl_, stream_),
          "ncclAllReduce");
  }

  void allgather_control(void* buf, size_t block) override {
    if (nranks_ == 1) return;
    auto* stage = static_cast<uint8_t*>(get(kInternal, block * nranks_));
    auto* h = static_cast<uint8_t*>(buf);
    cuda_check(cudaMemcpyAsync(stage + block * rank_, h + block * rank_, block,
                               cudaMemcpyHostToDevice, stream_),
               "cudaMemcpyAsync");
    check(ncclAllGather(stage + block * rank_, stage, block, ncclUint8, nccl_, stream_),
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
  static constexpr int kInternal = kNumScratch;  // the allgather staging buffer

  void check(ncclResult_t rc, const char* what) {
    if (rc == ncclSuccess || rc == ncclInProgress) return;
    const char* last = ncclGetLastError(nccl_);
    raise(lioncubNcclError, std::string(what) + ": " + ncclGetErrorString(rc) +
                                (last != nullptr && *last != '\0' ? std::string(" (") + last + ")" : ""));
  }

  void count_ring_gather(size_t block) {
    traffic_.sent += block * static_cast<uint64_t>(nranks_ - 1);
    traffic_.received += block * static_cast<uint64_t>(nranks_ - 1);
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

  ncclComm_t nccl_;
  int nranks_ = 1, rank_ = 0, device_ = 0, saved_device_ = 0;
  void* buf_[kNumScratch + 1] = {};
  size_t cap_[kNumScratch + 1] = {};
};

}  // namespace

Backend* make_nccl_backend(ncclComm_t nccl) { return new NcclComm(nccl); }

}  // namespace lioncub::coll
