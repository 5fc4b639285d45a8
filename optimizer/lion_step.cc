// The Lion Cub optimizer step (issue 5), built only on the public C API: lioncubEncode, the
// collectives (lioncubSignAggregate, lioncubAllreduce) and lioncubApply. See docs/optimizer.md.
//
// Host communicator, P > 1: the caller's thread encodes and applies, one communication thread
// owns the communicator and runs every collective in the order they were posted (the same on
// every rank). Compressed algorithms: encode b -> post exchange(b) [, sync(b)]; apply every
// bucket whose exchange is done; so exchanging bucket b overlaps encoding b+1 and applying b-1.
// full: post the gradient allreduce of every bucket; encode + apply bucket b as soon as its
// average arrived [, post sync(b)]. Last, a one-float allreduce aggregates the non-finite flag.
// Device communicator: the same calls, run in order on the caller's thread, stream-ordered.
#include "optimizer/lion_step.h"
#include "common/handles.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kernels/dtype.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"

#ifdef LIONCUB_HAVE_CUDA
#include <cuda_runtime.h>
#endif

using lioncub::fnv1a64;
using lioncub::kFnvOffset;
using lioncub::now_s;

namespace lioncub::lion {
namespace {

size_t words(size_t n) { return (n + 31) / 32; }

// A buffer in the communicator's memory.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { release(); }
  lioncubResult_t allocate(lioncubMemory_t mem, size_t bytes) {
    release();
    mem_ = mem;
    if (bytes == 0) return lioncubSuccess;
    if (mem == lioncubMemHost) {
      p_ = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
      if (p_ == nullptr) return fail(lioncubSystemError, "lioncubLionCreate: out of host memory");
      std::memset(p_, 0, bytes);
      return lioncubSuccess;
    }
#ifdef LIONCUB_HAVE_CUDA
    if (cudaMalloc(&p_, bytes) != cudaSuccess || cudaMemset(p_, 0, bytes) != cudaSuccess) {
      p_ = nullptr;
      return fail(lioncubCudaError, "lioncubLionCreate: cudaMalloc of %zu bytes failed", bytes);
    }
    return lioncubSuccess;
#else
    return fail(lioncubNotSupported, "lioncubLionCreate: device memory in a build without CUDA");
#endif
  }
  template <class T>
  T* as() const {
    return static_cast<T*>(p_);
  }

 private:
  void release() {
    if (p_ == nullptr) return;
    if (mem_ == lioncubMemHost) {
      std::free(p_);
    } else {
#ifdef LIONCUB_HAVE_CUDA
      cudaFree(p_);
#endif
    }
    p_ = nullptr;
  }
  void* p_ = nullptr;
  lioncubMemory_t mem_ = lioncubMemHost;
};

// The communication thread: runs posted jobs one at a time, in order.
class Worker {
 public:
  Worker() : thread_([this] { loop(); }) {}
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() {
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> g(mu_);
      queue_.push_back(std::move(job));
    }
    cv_.notify_all();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

// What one step's jobs report back to the caller's thread.
struct Run {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<char> exchanged;  // per bucket
  size_t posted = 0, done = 0;
  lioncubResult_t err = lioncubSuccess;
  std::string msg;
  double seconds_exchange = 0, seconds_sync = 0;
  uint64_t sent = 0, received = 0;
  lioncubAlgorithm_t algorithm = lioncubAlgoAuto;
  int non_finite = 0;
};

// Per-tensor base pointers of one step (a flat call: the tensors' offsets in the flat buffer).
struct Ptrs {
  std::vector<char*> params;
  std::vector<const char*> grads;
  std::vector<char*> momentum;
};

// Copies `len` bits of src (from bit 0, pad bits 0) into plane at bit `bit` (bit % 32 != 0).
// Bits of plane below `bit` in its first word are kept; the rest of the words are overwritten.
void insert_bits(uint32_t* plane, size_t bit, const uint32_t* src, size_t len) {
  const size_t w = bit / 32, sh = bit % 32, last = (bit + len - 1) / 32, nsrc = words(len);
  plane[w] = (plane[w] & ((1u << sh) - 1u)) | (src[0] << sh);
  for (size_t k = w + 1; k <= last; ++k) {
    const size_t j = k - w;
    uint32_t v = src[j - 1] >> (32 - sh);
    if (j < nsrc) v |= src[j] << sh;
    plane[k] = v;
  }
}

// Copies bits [bit, bit + len) of plane to dst from bit 0; dst's pad bits become 0.
void extract_bits(const uint32_t* plane, size_t bit, size_t len, uint32_t* dst) {
  const size_t w = bit / 32, sh = bit % 32, last = (bit + len - 1) / 32, n = words(len);
  for (size_t j = 0; j < n; ++j) {
    uint32_t v = plane[w + j] >> sh;
    if (sh != 0 && w + j + 1 <= last) v |= plane[w + j + 1] << (32 - sh);
    dst[j] = v;
  }
  if (len % 32 != 0) dst[n - 1] &= (1u << (len % 32)) - 1u;
}

bool valid_algorithm(lioncubAlgorithm_t a) {
  return a == lioncubAlgoAuto || a == lioncubAlgoAllgatherVote || a == lioncubAlgoAlltoallVote ||
         a == lioncubAlgoQuant2Rs || a == lioncubAlgoPackedSum || a == lioncubAlgoFull;
}

constexpr char kMagic[8] = {'L', 'C', 'U', 'B', 'L', 'I', 'O', 'N'};
struct SavedState {
  char magic[8];
  uint32_t version, reserved;
  uint64_t numel, config_hash, step, tie_step, sched_j, sched_next;
  float lr;
  uint32_t pad;
};

}  // namespace
}  // namespace lioncub::lion

using lioncub::fail;
using namespace lioncub::lion;

struct lioncubLion {
  lioncubComm_t comm = nullptr;
  int rank = 0, nranks = 1;
  lioncubMemory_t mem = lioncubMemHost;
  lioncubLionConfig_t cfg{};
  lioncubDataType_t dtype = lioncubFloat32;
  size_t es = 4;
  std::vector<size_t> numels, starts;
  size_t total = 0;
  std::vector<char> sync_tensor;  // per tensor: momentum synchronized
  std::vector<Bucket> buckets;
  bool exact = false;   // plain Lion: one rank or `full` (ternary code, alpha 0, local apply)
  bool ternary = false; // the code encoded
  Schedule sched;
  SchedulePos pos;
  uint64_t step = 0, tie_step = 0;
  uint64_t config_hash = 0;
  Buffer sign_in, nz_in, sign_out, nz_out, scratch, flag, flag_sum;
  std::vector<uint32_t> tmp_sign, tmp_nz;  // host: pieces that start inside a word
  lioncubLionStats_t stats{};
  bool broken = false;
  std::unique_ptr<Worker> worker;  // host communicator with P > 1

  lioncubResult_t validate_and_setup(lioncubComm_t c, const std::vector<size_t>& sizes,
                                     lioncubDataType_t dt, const lioncubLionConfig_t* cf);
  lioncubResult_t agree();
  lioncubResult_t step_impl(const Ptrs& p, cudaStream_t stream);

  void post(Run& run, long mark, std::function<lioncubResult_t(Run&)> job);
  void wait_jobs(Run& run);
  lioncubResult_t encode_bucket(const Bucket& b, const Ptrs& p, int* flag_ptr, cudaStream_t s);
  lioncubResult_t apply_bucket(const Bucket& b, const Ptrs& p, cudaStream_t s);
  lioncubResult_t exchange_full(const Bucket& b, const Ptrs& p, Run& run, cudaStream_t s);
  lioncubResult_t exchange_codes(const Bucket& b, Run& run, cudaStream_t s);
  lioncubResult_t sync_momentum(const Bucket& b, const Ptrs& p, Run& run, cudaStream_t s);
};

namespace {

#define LION_REQUIRE(cond, ...)                             \
  do {                                                      \
    if (!(cond)) return fail(lioncubInvalidArgument, __VA_ARGS__); \
  } while (0)
#define LION_CHECK(expr)                     \
  do {                                       \
    const lioncubResult_t rc_ = (expr);      \
    if (rc_ != lioncubSuccess) return rc_;   \
  } while (0)

bool finite_nonneg(float x) { return std::isfinite(x) && x >= 0.0f; }

template <class F>
lioncubResult_t api(const char* where, F&& f) noexcept {
  return lioncub::c_api(where, std::forward<F>(f));
}

}  // namespace

lioncubResult_t lioncubLion::validate_and_setup(lioncubComm_t c, const std::vector<size_t>& sizes,
                                                lioncubDataType_t dt, const lioncubLionConfig_t* cf) {
  const char* fn = "lioncubLionCreate";
  LION_REQUIRE(c != nullptr && cf != nullptr, "%s: comm or cfg is NULL", fn);
  LION_REQUIRE(dt == lioncubFloat32 || dt == lioncubBfloat16,
               "%s: dtype %d is not supported (fp32 or bf16)", fn, int(dt));
  LION_REQUIRE(finite_nonneg(cf->lr), "%s: lr must be finite and >= 0 (got %g)", fn, double(cf->lr));
  LION_REQUIRE(cf->beta1 >= 0.0f && cf->beta1 < 1.0f, "%s: beta1 must be in [0, 1) (got %g)", fn,
               double(cf->beta1));
  LION_REQUIRE(cf->beta2 >= 0.0f && cf->beta2 < 1.0f, "%s: beta2 must be in [0, 1) (got %g)", fn,
               double(cf->beta2));
  LION_REQUIRE(finite_nonneg(cf->weightDecay), "%s: weightDecay must be finite and >= 0 (got %g)",
               fn, double(cf->weightDecay));
  LION_REQUIRE(valid_algorithm(cf->algorithm),
               "%s: algorithm %d is not a step algorithm (auto, allgather-vote, alltoall-vote, "
               "quant2-rs, packed-sum, full)", fn, int(cf->algorithm));
  LION_REQUIRE(cf->code == lioncubCodeSign || cf->code == lioncubCodeTernary, "%s: unknown code %d",
               fn, int(cf->code));
  LION_REQUIRE(!((cf->algorithm == lioncubAlgoAllgatherVote || cf->algorithm == lioncubAlgoAlltoallVote) &&
                 cf->code != lioncubCodeSign),
               "%s: %s needs code lioncubCodeSign", fn, lioncubAlgorithmName(cf->algorithm));
  LION_REQUIRE(!(cf->algorithm == lioncubAlgoQuant2Rs && cf->code != lioncubCodeTernary),
               "%s: quant2-rs needs code lioncubCodeTernary", fn);
  LION_REQUIRE(cf->tie == lioncubTieZero || cf->tie == lioncubTieAlternate, "%s: unknown tie policy %d",
               fn, int(cf->tie));
  LION_REQUIRE(finite_nonneg(cf->ternaryAlpha), "%s: ternaryAlpha must be finite and >= 0", fn);
  LION_REQUIRE(cf->ternaryBlock >= 32 && cf->ternaryBlock <= 16384 && cf->ternaryBlock % 32 == 0,
               "%s: ternaryBlock must be a multiple of 32 in [32, 16384] (got %u)", fn, cf->ternaryBlock);
  LION_REQUIRE(cf->bucketBytes > 0, "%s: bucketBytes must be > 0", fn);
  LION_REQUIRE(cf->momentumSync == lioncubSyncNever || cf->momentumSync == lioncubSyncEvery ||
                   cf->momentumSync == lioncubSyncExponential,
               "%s: unknown momentumSync %d", fn, int(cf->momentumSync));
  LION_REQUIRE(cf->momentumSync != lioncubSyncEvery || cf->momentumSyncEvery >= 1,
               "%s: momentumSyncEvery must be >= 1", fn);
  LION_REQUIRE(cf->momentumSync != lioncubSyncExponential ||
                   (std::isfinite(cf->momentumSyncExpK) && cf->momentumSyncExpK > 0.0f),
               "%s: momentumSyncExpK must be > 0", fn);
  LION_REQUIRE(cf->numMomentumSyncTensors >= 0 &&
                   (cf->numMomentumSyncTensors == 0 || cf->momentumSyncTensors != nullptr),
               "%s: momentumSyncTensors is NULL with numMomentumSyncTensors > 0", fn);

  comm = c;
  cfg = *cf;
  dtype = dt;
  es = dt == lioncubFloat32 ? 4 : 2;
  numels = sizes;
  starts.assign(sizes.size() + 1, 0);
  for (size_t t = 0; t < sizes.size(); ++t) starts[t + 1] = starts[t] + sizes[t];
  total = starts.back();
  sync_tensor.assign(sizes.size(), cf->momentumSyncTensors == nullptr ? 1 : 0);
  for (int i = 0; i < cf->numMomentumSyncTensors; ++i) {
    const int t = cf->momentumSyncTensors[i];
    LION_REQUIRE(t >= 0 && size_t(t) < sizes.size(), "%s: momentumSyncTensors[%d] = %d is not a tensor",
                 fn, i, t);
    sync_tensor[size_t(t)] = 1;
  }
  cfg.momentumSyncTensors = nullptr;  // not kept: copied into sync_tensor

  LION_CHECK(lioncubCommRank(comm, &rank));
  LION_CHECK(lioncubCommSize(comm, &nranks));
  LION_CHECK(lioncubCommMemory(comm, &mem));

  exact = nranks == 1 || cf->algorithm == lioncubAlgoFull;
  ternary = exact || cf->code == lioncubCodeTernary;
  const float alpha = exact ? 0.0f : cf->ternaryAlpha;
  const size_t block = (ternary && alpha > 0.0f) ? cf->ternaryBlock : 0;
  buckets = make_buckets(numels, bucket_elements(cf->bucketBytes, es, block ? block : 32), block);
  sched = Schedule{cf->momentumSync, cf->momentumSyncEvery, double(cf->momentumSyncExpK)};

  const bool needs_scratch = nranks > 1 && (cf->algorithm == lioncubAlgoFull ||
                                            (dt == lioncubBfloat16 && cf->momentumSync != lioncubSyncNever));
  if (mem == lioncubMemDevice) {
    if (dt == lioncubBfloat16 && needs_scratch) {
      return fail(lioncubNotSupported,
                  "%s: bf16 state with `full` or momentum sync on a device communicator needs a "
                  "bf16 <-> fp32 conversion kernel (not written yet)", fn);
    }
    for (const Bucket& b : buckets) {
      for (const Piece& p : b.encode_pieces) {
        if (p.flat % 32 != 0) {
          return fail(lioncubNotSupported,
                      "%s: on a device communicator every tensor (and ternary block) must start at a "
                      "multiple of 32 elements of the flat space (tensor %d starts at %zu)", fn,
                      p.tensor, starts[size_t(p.tensor)]);
        }
      }
    }
  }

  // What every rank must agree on; also what a saved state must match.
  uint64_t h = kFnvOffset;
  h = fnv1a64(h, &total, sizeof total);
  for (size_t n : numels) h = fnv1a64(h, &n, sizeof n);
  const int32_t ints[] = {int32_t(dt), int32_t(cf->algorithm), int32_t(cf->code), int32_t(cf->tie),
                          int32_t(cf->momentumSync), int32_t(cf->momentumSyncEvery),
                          int32_t(cf->ternaryBlock)};
  h = fnv1a64(h, ints, sizeof ints);
  const float floats[] = {cf->beta1, cf->beta2, cf->weightDecay, cf->ternaryAlpha, cf->momentumSyncExpK};
  h = fnv1a64(h, floats, sizeof floats);
  const size_t be = buckets.empty() ? 0 : buckets[0].end - buckets[0].begin;
  h = fnv1a64(h, &be, sizeof be);
  h = fnv1a64(h, sync_tensor.data(), sync_tensor.size());
  config_hash = h;

  const size_t W = words(total);
  LION_CHECK(sign_in.allocate(mem, W * 4));
  LION_CHECK(nz_in.allocate(mem, W * 4));
  if (!exact) {
    LION_CHECK(sign_out.allocate(mem, W * 4));
    LION_CHECK(nz_out.allocate(mem, W * 4));
  }
  if (needs_scratch) LION_CHECK(scratch.allocate(mem, total * 4));
  LION_CHECK(flag.allocate(mem, sizeof(float)));
  LION_CHECK(flag_sum.allocate(mem, sizeof(float)));
  if (mem == lioncubMemHost) {
    size_t longest = 0;
    for (const Bucket& b : buckets) {
      for (const Piece& p : b.encode_pieces) longest = std::max(longest, p.len);
      for (const Piece& p : b.apply_pieces) longest = std::max(longest, p.len);
    }
    tmp_sign.assign(words(longest) + 1, 0);
    tmp_nz.assign(words(longest) + 1, 0);
  }
  return lioncubSuccess;
}

// Every rank's numel and configuration, compared through one float allreduce: rank r writes its
// 16-bit fields in slot r, the others write 0, so the sum shows every rank's values exactly.
lioncubResult_t lioncubLion::agree() {
  if (nranks == 1) return lioncubSuccess;
  struct Field {
    const char* name;
    uint64_t value;
  };
  const Field fields[] = {{"numel", total},
                          {"number of tensors", numels.size()},
                          {"configuration or tensor sizes (hash)", config_hash},
                          {"lr (bits)", [&] {
                             uint32_t u;
                             std::memcpy(&u, &cfg.lr, 4);
                             return uint64_t(u);
                           }()}};
  constexpr size_t kChunks = 4;  // 64 bits as 4 x 16
  const size_t nf = sizeof fields / sizeof fields[0], per = nf * kChunks;
  std::vector<float> slots(per * size_t(nranks), 0.0f);
  for (size_t f = 0; f < nf; ++f) {
    for (size_t k = 0; k < kChunks; ++k) {
      slots[size_t(rank) * per + f * kChunks + k] = float((fields[f].value >> (16 * k)) & 0xffffu);
    }
  }
  float* buf = slots.data();
  Buffer dev;
  if (mem == lioncubMemDevice) {
#ifdef LIONCUB_HAVE_CUDA
    LION_CHECK(dev.allocate(mem, slots.size() * 4));
    if (cudaMemcpy(dev.as<float>(), slots.data(), slots.size() * 4, cudaMemcpyHostToDevice) != cudaSuccess) {
      return fail(lioncubCudaError, "lioncubLionCreate: cudaMemcpy failed");
    }
    buf = dev.as<float>();
#endif
  }
  LION_CHECK(lioncubAllreduce(comm, lioncubAlgoFull, buf, buf, slots.size(), lioncubFloat32, lioncubSum,
                              nullptr, nullptr));
#ifdef LIONCUB_HAVE_CUDA
  if (mem == lioncubMemDevice &&
      cudaMemcpy(slots.data(), buf, slots.size() * 4, cudaMemcpyDeviceToHost) != cudaSuccess) {
    return fail(lioncubCudaError, "lioncubLionCreate: cudaMemcpy failed");
  }
#endif
  auto value = [&](int r, size_t f) {
    uint64_t v = 0;
    for (size_t k = 0; k < kChunks; ++k) v |= uint64_t(slots[size_t(r) * per + f * kChunks + k]) << (16 * k);
    return v;
  };
  for (size_t f = 0; f < nf; ++f) {
    for (int r = 1; r < nranks; ++r) {
      if (value(r, f) != value(0, f)) {
        return fail(lioncubInvalidArgument,
                    "lioncubLionCreate: %s differs between ranks: rank 0 has %llu, rank %d has %llu",
                    fields[f].name, static_cast<unsigned long long>(value(0, f)), r,
                    static_cast<unsigned long long>(value(r, f)));
      }
    }
  }
  return lioncubSuccess;
}

void lioncubLion::post(Run& run, long mark, std::function<lioncubResult_t(Run&)> job) {
  {
    std::lock_guard<std::mutex> g(run.mu);
    ++run.posted;
  }
  auto body = [&run, mark, job = std::move(job)] {
    bool skip;
    {
      std::lock_guard<std::mutex> g(run.mu);
      skip = run.err != lioncubSuccess;
    }
    const lioncubResult_t rc = skip ? lioncubSuccess : job(run);
    const std::string msg = rc != lioncubSuccess ? lioncubGetLastErrorMessage() : "";
    {
      std::lock_guard<std::mutex> g(run.mu);
      if (rc != lioncubSuccess && run.err == lioncubSuccess) {
        run.err = rc;
        run.msg = msg;
      }
      if (!skip && rc == lioncubSuccess && mark >= 0) run.exchanged[size_t(mark)] = 1;
      ++run.done;
      // Under the lock: once the caller sees the last job done it returns and destroys `run`,
      // so nothing may touch it after the mutex is released.
      run.cv.notify_all();
    }
  };
  if (worker) {
    worker->post(std::move(body));
  } else {
    body();
  }
}

void lioncubLion::wait_jobs(Run& run) {
  std::unique_lock<std::mutex> lk(run.mu);
  run.cv.wait(lk, [&] { return run.done == run.posted; });
}

lioncubResult_t lioncubLion::encode_bucket(const Bucket& b, const Ptrs& p, int* flag_ptr, cudaStream_t s) {
  const bool from_scratch = exact && nranks > 1;  // full: the averaged fp32 gradient
  lioncubEncodeDesc_t d{};
  d.gradType = from_scratch ? lioncubFloat32 : dtype;
  d.momentumType = dtype;
  d.beta1 = cfg.beta1;
  d.beta2 = cfg.beta2;
  d.code = ternary ? lioncubCodeTernary : lioncubCodeSign;
  d.ternaryAlpha = exact ? 0.0f : cfg.ternaryAlpha;
  d.ternaryBlock = cfg.ternaryBlock;
  for (const Piece& pc : b.encode_pieces) {
    d.numel = pc.len;
    const size_t t = size_t(pc.tensor);
    const void* g = from_scratch ? static_cast<const void*>(scratch.as<float>() + pc.flat)
                                 : static_cast<const void*>(p.grads[t] + pc.tensor_offset * es);
    void* m = p.momentum[t] + pc.tensor_offset * es;
    if (pc.flat % 32 == 0) {
      LION_CHECK(lioncubEncode(&d, g, m, sign_in.as<uint32_t>() + pc.flat / 32,
                               ternary ? nz_in.as<uint32_t>() + pc.flat / 32 : nullptr, flag_ptr, mem, s));
    } else {  // host only (rejected at create on a device communicator)
      LION_CHECK(lioncubEncode(&d, g, m, tmp_sign.data(), ternary ? tmp_nz.data() : nullptr, flag_ptr, mem, s));
      insert_bits(sign_in.as<uint32_t>(), pc.flat, tmp_sign.data(), pc.len);
      if (ternary) insert_bits(nz_in.as<uint32_t>(), pc.flat, tmp_nz.data(), pc.len);
    }
  }
  return lioncubSuccess;
}

lioncubResult_t lioncubLion::apply_bucket(const Bucket& b, const Ptrs& p, cudaStream_t s) {
  const uint32_t* sp = exact ? sign_in.as<uint32_t>() : sign_out.as<uint32_t>();
  const uint32_t* np = exact ? nz_in.as<uint32_t>() : nz_out.as<uint32_t>();
  for (const Piece& pc : b.apply_pieces) {
    lioncubUpdate_t u{};
    u.kind = lioncubUpdatePlanes;
    if (pc.flat % 32 == 0) {
      u.sign = sp + pc.flat / 32;
      u.nonzero = np + pc.flat / 32;
    } else {
      extract_bits(sp, pc.flat, pc.len, tmp_sign.data());
      extract_bits(np, pc.flat, pc.len, tmp_nz.data());
      u.sign = tmp_sign.data();
      u.nonzero = tmp_nz.data();
    }
    LION_CHECK(lioncubApply(pc.len, dtype, p.params[size_t(pc.tensor)] + pc.tensor_offset * es, &u, cfg.lr,
                            cfg.weightDecay, mem, s));
  }
  return lioncubSuccess;
}

namespace {
void add_stats(Run& run, const lioncubCollStats_t& st, double seconds, bool sync) {
  std::lock_guard<std::mutex> g(run.mu);
  run.sent += st.bytesSent;
  run.received += st.bytesReceived;
  (sync ? run.seconds_sync : run.seconds_exchange) += seconds;
}

// Runs of pieces whose memory is contiguous (one collective each).
template <class F>
lioncubResult_t for_each_run(const std::vector<Piece>& pieces, const std::vector<char>* only,
                             const std::function<const char*(const Piece&)>& ptr, size_t es, F&& f) {
  size_t i = 0;
  while (i < pieces.size()) {
    if (only != nullptr && !(*only)[size_t(pieces[i].tensor)]) {
      ++i;
      continue;
    }
    size_t j = i + 1, len = pieces[i].len;
    while (j < pieces.size() && (only == nullptr || (*only)[size_t(pieces[j].tensor)]) &&
           pieces[j].flat == pieces[i].flat + len && ptr(pieces[j]) == ptr(pieces[i]) + len * es) {
      len += pieces[j].len;
      ++j;
    }
    const lioncubResult_t rc = f(pieces[i], len);
    if (rc != lioncubSuccess) return rc;
    i = j;
  }
  return lioncubSuccess;
}
}  // namespace

// full: the average of the gradients of bucket b, fp32, into scratch.
lioncubResult_t lioncubLion::exchange_full(const Bucket& b, const Ptrs& p, Run& run, cudaStream_t s) {
  const double t0 = now_s();
  lioncubCollStats_t st{};
  float* avg = scratch.as<float>();
  if (dtype == lioncubFloat32) {
    auto gptr = [&](const Piece& pc) { return p.grads[size_t(pc.tensor)] + pc.tensor_offset * es; };
    LION_CHECK(for_each_run(b.apply_pieces, nullptr, gptr, es, [&](const Piece& first, size_t len) {
      lioncubCollStats_t one{};
      const lioncubResult_t rc = lioncubAllreduce(comm, lioncubAlgoFull, gptr(first), avg + first.flat, len,
                                                  lioncubFloat32, lioncubAvg, &one, s);
      st.bytesSent += one.bytesSent;
      st.bytesReceived += one.bytesReceived;
      return rc;
    }));
  } else {  // host only: bf16 -> fp32 (exact), then the average in place
    for (const Piece& pc : b.apply_pieces) {
      const auto* g = reinterpret_cast<const lioncub::bf16*>(p.grads[size_t(pc.tensor)] + pc.tensor_offset * es);
      for (size_t i = 0; i < pc.len; ++i) avg[pc.flat + i] = lioncub::to_float(g[i]);
    }
    LION_CHECK(lioncubAllreduce(comm, lioncubAlgoFull, avg + b.begin, avg + b.begin, b.end - b.begin,
                                lioncubFloat32, lioncubAvg, &st, s));
  }
  add_stats(run, st, now_s() - t0, false);
  return lioncubSuccess;
}

lioncubResult_t lioncubLion::exchange_codes(const Bucket& b, Run& run, cudaStream_t s) {
  const double t0 = now_s();
  lioncubCollStats_t st{};
  const size_t w = b.begin / 32;
  LION_CHECK(lioncubSignAggregate(comm, cfg.algorithm, ternary ? lioncubCodeTernary : lioncubCodeSign,
                                  sign_in.as<uint32_t>() + w, ternary ? nz_in.as<uint32_t>() + w : nullptr,
                                  b.end - b.begin, cfg.tie, tie_step, sign_out.as<uint32_t>() + w,
                                  nz_out.as<uint32_t>() + w, &st, s));
  {
    std::lock_guard<std::mutex> g(run.mu);
    run.algorithm = st.algorithm;
  }
  add_stats(run, st, now_s() - t0, false);
  return lioncubSuccess;
}

// The exact mean over ranks of the momentum of the chosen tensors in bucket b.
lioncubResult_t lioncubLion::sync_momentum(const Bucket& b, const Ptrs& p, Run& run, cudaStream_t s) {
  const double t0 = now_s();
  lioncubCollStats_t st{};
  auto mptr = [&](const Piece& pc) -> const char* { return p.momentum[size_t(pc.tensor)] + pc.tensor_offset * es; };
  LION_CHECK(for_each_run(b.apply_pieces, &sync_tensor, mptr, es, [&](const Piece& first, size_t len) {
    lioncubCollStats_t one{};
    char* m = const_cast<char*>(mptr(first));
    lioncubResult_t rc;
    if (dtype == lioncubFloat32) {
      rc = lioncubAllreduce(comm, lioncubAlgoMean, m, m, len, lioncubFloat32, lioncubAvg, &one, s);
    } else {  // host only: through fp32 (bf16 on the wire is not in lioncubAllreduce yet)
      float* f = scratch.as<float>() + first.flat;
      auto* h = reinterpret_cast<lioncub::bf16*>(m);
      for (size_t i = 0; i < len; ++i) f[i] = lioncub::to_float(h[i]);
      rc = lioncubAllreduce(comm, lioncubAlgoMean, f, f, len, lioncubFloat32, lioncubAvg, &one, s);
      if (rc == lioncubSuccess) {
        for (size_t i = 0; i < len; ++i) h[i] = lioncub::to_bf16(f[i]);
      }
    }
    st.bytesSent += one.bytesSent;
    st.bytesReceived += one.bytesReceived;
    return rc;
  }));
  add_stats(run, st, now_s() - t0, true);
  return lioncubSuccess;
}

lioncubResult_t lioncubLion::step_impl(const Ptrs& p, cudaStream_t s) {
  const double t_start = now_s();
  const bool device = mem == lioncubMemDevice;
  SchedulePos next_pos = pos;
  const bool sync = sync_fires(sched, step, &next_pos);
  Run run;
  run.exchanged.assign(buckets.size(), 0);
  int host_flag = 0;
  int* flag_ptr = device ? flag.as<int>() : &host_flag;
#ifdef LIONCUB_HAVE_CUDA
  if (device && cudaMemsetAsync(flag.as<int>(), 0, sizeof(int), s) != cudaSuccess) {
    return fail(lioncubCudaError, "lioncubLionStep: cudaMemsetAsync failed");
  }
#endif
  double sec_encode = 0, sec_apply = 0;
  lioncubResult_t local = lioncubSuccess;  // a failure on the caller's thread
  auto timed = [&](double& acc, auto&& f) {
    const double t0 = now_s();
    const lioncubResult_t rc = f();
    acc += now_s() - t0;
    return rc;
  };
  auto failed = [&] {
    if (local != lioncubSuccess) return true;
    std::lock_guard<std::mutex> g(run.mu);
    return run.err != lioncubSuccess;
  };
  auto wait_exchanged = [&](size_t b) {
    std::unique_lock<std::mutex> lk(run.mu);
    run.cv.wait(lk, [&] { return run.exchanged[b] || run.err != lioncubSuccess; });
    return run.err == lioncubSuccess;
  };
  auto post_sync = [&](size_t b) {
    post(run, -1, [this, b, &p, s](Run& r) { return sync_momentum(buckets[b], p, r, s); });
  };
  const size_t nb = buckets.size();
  if (exact && nranks == 1) {
    for (size_t b = 0; b < nb && local == lioncubSuccess; ++b) {
      local = timed(sec_encode, [&] { return encode_bucket(buckets[b], p, flag_ptr, s); });
      if (local == lioncubSuccess) local = timed(sec_apply, [&] { return apply_bucket(buckets[b], p, s); });
    }
  } else if (exact) {  // full
    for (size_t b = 0; b < nb; ++b) {
      post(run, long(b), [this, b, &p, s](Run& r) { return exchange_full(buckets[b], p, r, s); });
    }
    for (size_t b = 0; b < nb; ++b) {
      if (!wait_exchanged(b)) break;
      local = timed(sec_encode, [&] { return encode_bucket(buckets[b], p, flag_ptr, s); });
      if (local == lioncubSuccess) local = timed(sec_apply, [&] { return apply_bucket(buckets[b], p, s); });
      if (local != lioncubSuccess) break;
      if (sync) post_sync(b);
    }
  } else {  // compressed
    size_t applied = 0;
    auto exchanged_now = [&](size_t b) {
      std::lock_guard<std::mutex> g(run.mu);
      return run.exchanged[b] != 0;
    };
    for (size_t b = 0; b < nb; ++b) {
      local = timed(sec_encode, [&] { return encode_bucket(buckets[b], p, flag_ptr, s); });
      if (local != lioncubSuccess || failed()) break;
      post(run, long(b), [this, b, s](Run& r) { return exchange_codes(buckets[b], r, s); });
      if (sync) post_sync(b);
      while (applied < b && exchanged_now(applied) && local == lioncubSuccess) {
        local = timed(sec_apply, [&] { return apply_bucket(buckets[applied++], p, s); });
      }
      if (local != lioncubSuccess) break;
    }
    while (local == lioncubSuccess && applied < nb && !failed()) {
      if (!wait_exchanged(applied)) break;
      local = timed(sec_apply, [&] { return apply_bucket(buckets[applied++], p, s); });
    }
  }
  // The non-finite flag, aggregated so that every rank reports the same.
  if (nranks > 1 && nb > 0 && local == lioncubSuccess && !failed()) {
    post(run, -1, [this, device, &host_flag, s](Run& r) {
      float* f = flag_sum.as<float>();
      if (!device) *f = host_flag != 0 ? 1.0f : 0.0f;
      // Device: the int 1 the encode kernel stores reads as the smallest subnormal float; a sum
      // of those is exact and non-zero iff any rank set it.
      const void* src = device ? static_cast<const void*>(flag.as<int>()) : static_cast<const void*>(f);
      lioncubCollStats_t st{};
      const double t0 = now_s();
      LION_CHECK(lioncubAllreduce(comm, lioncubAlgoFull, src, f, 1, lioncubFloat32, lioncubSum, &st, s));
      add_stats(r, st, now_s() - t0, false);
      if (!device) {
        std::lock_guard<std::mutex> g(r.mu);
        r.non_finite = *f != 0.0f;
      }
      return lioncubSuccess;
    });
  }
  if (local != lioncubSuccess) {  // let queued jobs see the failure and skip
    const std::string msg = lioncubGetLastErrorMessage();
    {
      std::lock_guard<std::mutex> g(run.mu);
      if (run.err == lioncubSuccess) {
        run.err = local;
        run.msg = msg;
      }
    }
  }
  wait_jobs(run);
  if (run.err != lioncubSuccess) {
    broken = run.err != lioncubInvalidArgument || nranks > 1;
    return fail(run.err, "%s", run.msg.c_str());
  }
  stats = lioncubLionStats_t{};
  stats.step = step;
  stats.algorithm = exact ? lioncubAlgoFull : run.algorithm;
  stats.bytesSent = run.sent;
  stats.bytesReceived = run.received;
  stats.secondsEncode = sec_encode;
  stats.secondsApply = sec_apply;
  stats.secondsExchange = run.seconds_exchange;
  stats.secondsSync = run.seconds_sync;
  stats.momentumSynced = sync ? 1 : 0;
  stats.nonFinite = nranks > 1 ? run.non_finite : host_flag;
  ++step;
  ++tie_step;
  pos = next_pos;
  stats.secondsTotal = now_s() - t_start;
  return lioncubSuccess;
}

static lioncubResult_t create(lioncubLion_t* opt, lioncubComm_t comm, const std::vector<size_t>& sizes,
                              lioncubDataType_t dtype, const lioncubLionConfig_t* cfg) {
  *opt = nullptr;
  // Bound the sizes before anything is sized from them (buckets, planes, scratch).
  size_t total = 0;
  for (size_t n : sizes) {
    if (n > LIONCUB_MAX_ELEMENTS - total) {
      return fail(lioncubInvalidArgument,
                  "lioncubLionCreate: the tensors hold more than LIONCUB_MAX_ELEMENTS (2^40) elements");
    }
    total += n;
  }
  auto o = std::make_unique<lioncubLion>();
  LION_CHECK(o->validate_and_setup(comm, sizes, dtype, cfg));
  LION_CHECK(o->agree());
  if (o->mem == lioncubMemHost && o->nranks > 1) o->worker = std::make_unique<Worker>();
  *opt = o.release();
  lioncub::coll::lion_handles().add(*opt);
  return lioncubSuccess;
}

// A destroyed or foreign optimizer handle is an error, not a use of freed memory.
static lioncubResult_t check_live(lioncubLion_t opt, const char* fn) {
  if (!lioncub::coll::lion_handles().live(opt)) {
    return fail(lioncubInvalidUsage, "%s: not a live optimizer (destroyed already?)", fn);
  }
  return lioncubSuccess;
}

static lioncubResult_t check_step(lioncubLion_t opt, const char* fn) {
  if (opt == nullptr) return fail(lioncubInvalidArgument, "%s: opt is NULL", fn);
  LION_CHECK(check_live(opt, fn));
  if (opt->broken) {
    return fail(lioncubInvalidUsage, "%s: an earlier step failed; destroy the optimizer and communicator", fn);
  }
  return lioncubSuccess;
}

extern "C" {

lioncubResult_t lioncubLionConfigDefault(lioncubLionConfig_t* cfg) {
  if (cfg == nullptr) return fail(lioncubInvalidArgument, "lioncubLionConfigDefault: cfg is NULL");
  *cfg = lioncubLionConfig_t{};
  cfg->lr = 1e-4f;
  cfg->beta1 = 0.9f;
  cfg->beta2 = 0.99f;
  cfg->weightDecay = 0.0f;
  cfg->algorithm = lioncubAlgoAuto;
  cfg->code = lioncubCodeSign;
  cfg->tie = lioncubTieZero;
  cfg->ternaryAlpha = 0.0f;
  cfg->ternaryBlock = 1024;
  cfg->bucketBytes = size_t(1) << 20;
  cfg->momentumSync = lioncubSyncNever;
  cfg->momentumSyncEvery = 1;
  cfg->momentumSyncExpK = 1.0f;
  return lioncubSuccess;
}

lioncubResult_t lioncubLionCreate(lioncubLion_t* opt, lioncubComm_t comm, size_t numel, lioncubDataType_t dtype,
                                  const lioncubLionConfig_t* cfg) {
  return api("lioncubLionCreate", [&]() -> lioncubResult_t {
    if (opt == nullptr) return fail(lioncubInvalidArgument, "lioncubLionCreate: opt is NULL");
    return create(opt, comm, {numel}, dtype, cfg);
  });
}

lioncubResult_t lioncubLionCreateTensors(lioncubLion_t* opt, lioncubComm_t comm, int ntensors,
                                         const size_t* numels, lioncubDataType_t dtype,
                                         const lioncubLionConfig_t* cfg) {
  return api("lioncubLionCreateTensors", [&]() -> lioncubResult_t {
    if (opt == nullptr || numels == nullptr || ntensors < 1) {
      return fail(lioncubInvalidArgument, "lioncubLionCreateTensors: opt or numels is NULL, or ntensors < 1");
    }
    return create(opt, comm, std::vector<size_t>(numels, numels + ntensors), dtype, cfg);
  });
}

lioncubResult_t lioncubLionDestroy(lioncubLion_t opt) {
  return api("lioncubLionDestroy", [&]() -> lioncubResult_t {
    if (opt == nullptr) return lioncubSuccess;
    if (!lioncub::coll::lion_handles().remove(opt)) {
      return fail(lioncubInvalidUsage, "lioncubLionDestroy: not a live optimizer (destroyed already?)");
    }
    delete opt;
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubLionStep(lioncubLion_t opt, void* params, const void* grads, void* momentum,
                                cudaStream_t stream) {
  return api("lioncubLionStep", [&]() -> lioncubResult_t {
    LION_CHECK(check_step(opt, "lioncubLionStep"));
    const size_t es = opt->es;
    LION_REQUIRE(opt->total == 0 || (params && grads && momentum), "lioncubLionStep: a buffer is NULL");
    LION_REQUIRE(reinterpret_cast<uintptr_t>(params) % es == 0 && reinterpret_cast<uintptr_t>(grads) % es == 0 &&
                     reinterpret_cast<uintptr_t>(momentum) % es == 0,
                 "lioncubLionStep: buffers must be aligned to %zu bytes", es);
    Ptrs p;
    for (size_t t = 0; t < opt->numels.size(); ++t) {
      p.params.push_back(static_cast<char*>(params) + opt->starts[t] * es);
      p.grads.push_back(static_cast<const char*>(grads) + opt->starts[t] * es);
      p.momentum.push_back(static_cast<char*>(momentum) + opt->starts[t] * es);
    }
    return opt->step_impl(p, stream);
  });
}

lioncubResult_t lioncubLionStepTensors(lioncubLion_t opt, void* const* params, const void* const* grads,
                                       void* const* momentum, cudaStream_t stream) {
  return api("lioncubLionStepTensors", [&]() -> lioncubResult_t {
    LION_CHECK(check_step(opt, "lioncubLionStepTensors"));
    LION_REQUIRE(params && grads && momentum, "lioncubLionStepTensors: a pointer array is NULL");
    const size_t es = opt->es;
    Ptrs p;
    for (size_t t = 0; t < opt->numels.size(); ++t) {
      LION_REQUIRE(opt->numels[t] == 0 || (params[t] && grads[t] && momentum[t]),
                   "lioncubLionStepTensors: a buffer of tensor %zu is NULL", t);
      LION_REQUIRE(reinterpret_cast<uintptr_t>(params[t]) % es == 0 &&
                       reinterpret_cast<uintptr_t>(grads[t]) % es == 0 &&
                       reinterpret_cast<uintptr_t>(momentum[t]) % es == 0,
                   "lioncubLionStepTensors: buffers of tensor %zu must be aligned to %zu bytes", t, es);
      p.params.push_back(static_cast<char*>(params[t]));
      p.grads.push_back(static_cast<const char*>(grads[t]));
      p.momentum.push_back(static_cast<char*>(momentum[t]));
    }
    return opt->step_impl(p, stream);
  });
}

lioncubResult_t lioncubLionSetLr(lioncubLion_t opt, float lr) {
  if (opt == nullptr) return fail(lioncubInvalidArgument, "lioncubLionSetLr: opt is NULL");
  LION_CHECK(check_live(opt, "lioncubLionSetLr"));
  if (!finite_nonneg(lr)) return fail(lioncubInvalidArgument, "lioncubLionSetLr: lr must be finite and >= 0");
  opt->cfg.lr = lr;
  return lioncubSuccess;
}

lioncubResult_t lioncubLionGetStats(lioncubLion_t opt, lioncubLionStats_t* stats) {
  if (opt == nullptr || stats == nullptr) return fail(lioncubInvalidArgument, "lioncubLionGetStats: NULL argument");
  LION_CHECK(check_live(opt, "lioncubLionGetStats"));
  *stats = opt->stats;
#ifdef LIONCUB_HAVE_CUDA
  if (opt->mem == lioncubMemDevice && opt->step > 0) {
    if (opt->nranks > 1) {
      float f = 0;
      if (cudaMemcpy(&f, opt->flag_sum.as<float>(), 4, cudaMemcpyDeviceToHost) != cudaSuccess) {
        return fail(lioncubCudaError, "lioncubLionGetStats: cudaMemcpy failed");
      }
      stats->nonFinite = f != 0.0f;
    } else {
      int i = 0;
      if (cudaMemcpy(&i, opt->flag.as<int>(), 4, cudaMemcpyDeviceToHost) != cudaSuccess) {
        return fail(lioncubCudaError, "lioncubLionGetStats: cudaMemcpy failed");
      }
      stats->nonFinite = i != 0;
    }
  }
#endif
  return lioncubSuccess;
}

lioncubResult_t lioncubLionStateSize(lioncubLion_t opt, size_t* bytes) {
  if (opt == nullptr || bytes == nullptr) return fail(lioncubInvalidArgument, "lioncubLionStateSize: NULL argument");
  LION_CHECK(check_live(opt, "lioncubLionStateSize"));
  *bytes = sizeof(SavedState);
  return lioncubSuccess;
}

lioncubResult_t lioncubLionSaveState(lioncubLion_t opt, void* buf, size_t bytes) {
  if (opt == nullptr || buf == nullptr) return fail(lioncubInvalidArgument, "lioncubLionSaveState: NULL argument");
  LION_CHECK(check_live(opt, "lioncubLionSaveState"));
  if (bytes < sizeof(SavedState)) {
    return fail(lioncubInvalidArgument, "lioncubLionSaveState: %zu bytes is less than the %zu needed", bytes,
                sizeof(SavedState));
  }
  SavedState s{};
  std::memcpy(s.magic, kMagic, sizeof kMagic);
  s.version = 1;
  s.numel = opt->total;
  s.config_hash = opt->config_hash;
  s.step = opt->step;
  s.tie_step = opt->tie_step;
  s.sched_j = opt->pos.j;
  s.sched_next = opt->pos.next;
  s.lr = opt->cfg.lr;
  std::memcpy(buf, &s, sizeof s);
  return lioncubSuccess;
}

lioncubResult_t lioncubLionLoadState(lioncubLion_t opt, const void* buf, size_t bytes) {
  const char* fn = "lioncubLionLoadState";
  if (opt == nullptr || buf == nullptr) return fail(lioncubInvalidArgument, "%s: NULL argument", fn);
  LION_CHECK(check_live(opt, fn));
  SavedState s{};
  if (bytes != sizeof s) return fail(lioncubInvalidArgument, "%s: %zu bytes, a state has %zu", fn, bytes, sizeof s);
  std::memcpy(&s, buf, sizeof s);
  if (std::memcmp(s.magic, kMagic, sizeof kMagic) != 0 || s.version != 1) {
    return fail(lioncubInvalidArgument, "%s: not a lioncub optimizer state (or another version)", fn);
  }
  if (s.numel != opt->total || s.config_hash != opt->config_hash) {
    return fail(lioncubInvalidArgument, "%s: the state belongs to an optimizer of another size or configuration", fn);
  }
  if (!finite_nonneg(s.lr)) return fail(lioncubInvalidArgument, "%s: corrupt lr", fn);
  opt->step = s.step;
  opt->tie_step = s.tie_step;
  opt->pos.j = s.sched_j;
  opt->pos.next = s.sched_next;
  opt->cfg.lr = s.lr;
  return lioncubSuccess;
}

}  // extern "C"
