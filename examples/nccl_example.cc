// lioncub on GPUs: one rank per process, an NCCL communicator of the application's own
// (ncclCommInitRank), a lioncub communicator over it (lioncubCommInitNccl), and a few Lion Cub
// steps (lioncubLionStep) on device buffers, stream-ordered. At the end every rank checks that all
// ranks hold the same parameters (NCCL max and min allreduces) and exits non-zero otherwise.
//
//   lioncub_nccl_example RANK NRANKS ID_FILE
//
// Rank 0 writes NCCL's unique id to ID_FILE (a path every rank can read: a shared folder, or
// /tmp on one machine); the others wait for it. Process r uses GPU r % (number of GPUs). E.g.
// on one machine with 2 GPUs:
//   rm -f /tmp/lioncub.id
//   ./lioncub_nccl_example 0 2 /tmp/lioncub.id & ./lioncub_nccl_example 1 2 /tmp/lioncub.id; wait
// With NCCL_NET_PLUGIN=lioncub (or the full path, LIONCUB_NET_PLUGIN_PATH in CMake) NCCL's
// inter-node traffic goes through lioncub's Ethernet transport; see docs/install.md.
#include <cuda_runtime.h>
#include <nccl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <lioncub/lioncub.h>

namespace {

int fail(int rank, const char* what, const char* detail) {
  std::fprintf(stderr, "rank %d: %s: %s\n", rank, what, detail);
  return 1;
}

#define CUDA_CHECK(call)                                                  \
  do {                                                                    \
    cudaError_t e_ = (call);                                              \
    if (e_ != cudaSuccess) return fail(rank, #call, cudaGetErrorString(e_)); \
  } while (0)
#define NCCL_CHECK(call)                                                  \
  do {                                                                    \
    ncclResult_t e_ = (call);                                             \
    if (e_ != ncclSuccess) return fail(rank, #call, ncclGetErrorString(e_)); \
  } while (0)
// lioncub's last error message names the argument, peer or timeout that failed.
#define LIONCUB_CHECK(call)                                               \
  do {                                                                    \
    lioncubResult_t e_ = (call);                                          \
    if (e_ != lioncubSuccess) {                                           \
      std::fprintf(stderr, "rank %d: %s: %s: %s\n", rank, #call, lioncubGetErrorString(e_), \
                   lioncubGetLastErrorMessage());                         \
      return 1;                                                           \
    }                                                                     \
  } while (0)

// Rank 0 publishes the id with an atomic rename; the others poll for up to a minute.
bool exchange_id(int rank, const std::string& path, ncclUniqueId* id) {
  if (rank == 0) {
    if (ncclGetUniqueId(id) != ncclSuccess) return false;
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp, std::ios::binary).write(reinterpret_cast<const char*>(id), sizeof *id);
    return std::rename(tmp.c_str(), path.c_str()) == 0;
  }
  for (int i = 0; i < 600; ++i) {
    std::ifstream in(path, std::ios::binary);
    if (in.read(reinterpret_cast<char*>(id), sizeof *id)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

int run(int rank, int nranks, const std::string& id_file) {
  constexpr size_t kNumel = 1 << 20;
  constexpr int kSteps = 5;
  int devices = 0;
  CUDA_CHECK(cudaGetDeviceCount(&devices));
  CUDA_CHECK(cudaSetDevice(rank % devices));
  ncclUniqueId id;
  if (!exchange_id(rank, id_file, &id)) return fail(rank, "exchange_id", id_file.c_str());
  ncclComm_t nccl = nullptr;
  NCCL_CHECK(ncclCommInitRank(&nccl, nranks, id, rank));
  cudaStream_t stream = nullptr;
  CUDA_CHECK(cudaStreamCreate(&stream));

  // The lioncub communicator borrows the NCCL one: destroy it first.
  lioncubComm_t comm = nullptr;
  LIONCUB_CHECK(lioncubCommInitNccl(&comm, nccl));
  lioncubLionConfig_t cfg;
  LIONCUB_CHECK(lioncubLionConfigDefault(&cfg));  // always start from the defaults
  cfg.lr = 1e-3f;
  lioncubLion_t opt = nullptr;
  LIONCUB_CHECK(lioncubLionCreate(&opt, comm, kNumel, lioncubFloat32, &cfg));

  float *params = nullptr, *grads = nullptr, *momentum = nullptr;
  CUDA_CHECK(cudaMalloc(&params, kNumel * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&grads, kNumel * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&momentum, kNumel * sizeof(float)));
  std::vector<float> host(kNumel, 0.5f);
  CUDA_CHECK(cudaMemcpyAsync(params, host.data(), kNumel * sizeof(float), cudaMemcpyHostToDevice, stream));
  CUDA_CHECK(cudaMemsetAsync(momentum, 0, kNumel * sizeof(float), stream));
  for (int step = 0; step < kSteps; ++step) {
    // A real program's backward pass writes grads on the stream; here each rank differs.
    for (size_t i = 0; i < kNumel; ++i) host[i] = std::sin(0.001f * float(i + 1) * float(rank + 1) + float(step));
    CUDA_CHECK(cudaMemcpyAsync(grads, host.data(), kNumel * sizeof(float), cudaMemcpyHostToDevice, stream));
    CUDA_CHECK(cudaStreamSynchronize(stream));  // `host` is reused next step
    LIONCUB_CHECK(lioncubLionStep(opt, params, grads, momentum, stream));
  }
  lioncubLionStats_t stats;
  LIONCUB_CHECK(lioncubLionGetStats(opt, &stats));

  // Every rank must hold the same parameters: compare with the elementwise max and min.
  float *hi = nullptr, *lo = nullptr;
  CUDA_CHECK(cudaMalloc(&hi, kNumel * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&lo, kNumel * sizeof(float)));
  NCCL_CHECK(ncclAllReduce(params, hi, kNumel, ncclFloat32, ncclMax, nccl, stream));
  NCCL_CHECK(ncclAllReduce(params, lo, kNumel, ncclFloat32, ncclMin, nccl, stream));
  std::vector<float> p(kNumel), h(kNumel), l(kNumel);
  CUDA_CHECK(cudaMemcpyAsync(p.data(), params, kNumel * sizeof(float), cudaMemcpyDeviceToHost, stream));
  CUDA_CHECK(cudaMemcpyAsync(h.data(), hi, kNumel * sizeof(float), cudaMemcpyDeviceToHost, stream));
  CUDA_CHECK(cudaMemcpyAsync(l.data(), lo, kNumel * sizeof(float), cudaMemcpyDeviceToHost, stream));
  CUDA_CHECK(cudaStreamSynchronize(stream));
  size_t differ = 0, moved = 0;
  for (size_t i = 0; i < kNumel; ++i) {
    differ += p[i] != h[i] || p[i] != l[i];
    moved += p[i] != 0.5f;
  }

  LIONCUB_CHECK(lioncubLionDestroy(opt));
  LIONCUB_CHECK(lioncubCommDestroy(comm));
  NCCL_CHECK(ncclCommDestroy(nccl));
  for (float* b : {params, grads, momentum, hi, lo}) CUDA_CHECK(cudaFree(b));
  CUDA_CHECK(cudaStreamDestroy(stream));

  std::printf("rank %d: %d steps, algorithm %s, %zu of %zu parameters moved, %zu differ from other ranks\n",
              rank, kSteps, lioncubAlgorithmName(stats.algorithm), moved, kNumel, differ);
  const bool ok = differ == 0 && moved > 0;
  std::printf("rank %d: %s\n", rank, ok ? "PASSED" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s RANK NRANKS ID_FILE (see the comment at the top)\n", argv[0]);
    return 2;
  }
  const int rank = std::atoi(argv[1]), nranks = std::atoi(argv[2]);
  if (nranks < 1 || rank < 0 || rank >= nranks) {
    std::fprintf(stderr, "want 0 <= RANK < NRANKS\n");
    return 2;
  }
  return run(rank, nranks, argv[3]);
}
