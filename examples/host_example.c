/* lioncub from C on the CPU: two ranks (forked processes) on one machine form a host communicator
 * over loopback, aggregate 1-bit sign codes, then run a few Lion Cub optimizer steps. Each rank
 * checks what it can check alone, and the parent checks that both ranks ended with the same
 * parameters. Exit status 0 when everything matched; messages name what failed.
 *
 *   ./lioncub_host_example            (build: see examples/CMakeLists.txt or docs/install.md)
 *
 * On two machines, run one process per machine with the same "host:port" of rank 0 instead of
 * forking (or lioncubCommInitFromEnv with torchrun's variables). */
#define _POSIX_C_SOURCE 200809L /* setenv, fork, pipe with -std=c11 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lioncub/lioncub.h>

#define NRANKS 2
#define NUMEL 1000 /* not a multiple of 32: the last packed word is partly padding */
#define STEPS 3

/* Every lioncub call returns a lioncubResult_t; on failure the thread's last error message says
 * what went wrong (which argument, which peer, which timeout). */
#define CHECK(rank, call)                                                                    \
  do {                                                                                       \
    lioncubResult_t r_ = (call);                                                             \
    if (r_ != lioncubSuccess) {                                                              \
      fprintf(stderr, "rank %d: %s failed: %s: %s\n", (rank), #call, lioncubGetErrorString(r_), \
              lioncubGetLastErrorMessage());                                                 \
      return 1;                                                                              \
    }                                                                                        \
  } while (0)

/* The sign bit every rank sets for element i: known to all, so each rank can compute the
 * expected vote itself. */
static int sign_bit(int rank, size_t i) { return rank == 0 ? (i % 3 == 0) : (i % 5 < 2); }

/* A deterministic gradient that differs between ranks (a real program has its own). */
static float gradient(int rank, int step, size_t i) {
  return sinf(0.01f * (float)(i + 1) * (float)(rank + 1) + (float)step);
}

static int aggregate_signs(lioncubComm_t comm, int rank) {
  uint32_t sign[(NUMEL + 31) / 32], out[(NUMEL + 31) / 32], nonzero[(NUMEL + 31) / 32];
  memset(sign, 0, sizeof sign);
  for (size_t i = 0; i < NUMEL; ++i) {
    if (sign_bit(rank, i)) sign[i / 32] |= 1u << (i % 32);
  }
  lioncubCollStats_t stats;
  CHECK(rank, lioncubSignAggregate(comm, lioncubAlgoAuto, lioncubCodeSign, sign, NULL, NUMEL,
                                   lioncubTieZero, 0, out, nonzero, &stats, NULL));
  /* Majority of two votes: both 1 -> +1, both 0 -> -1, one each -> a tie -> 0 (lioncubTieZero). */
  for (size_t i = 0; i < NUMEL; ++i) {
    const int votes = sign_bit(0, i) + sign_bit(1, i);
    const int want_sign = votes == 2, want_nonzero = votes != 1;
    const int got_sign = (out[i / 32] >> (i % 32)) & 1, got_nonzero = (nonzero[i / 32] >> (i % 32)) & 1;
    if (got_nonzero != want_nonzero || (want_nonzero && got_sign != want_sign)) {
      fprintf(stderr, "rank %d: vote of element %zu is wrong\n", rank, i);
      return 1;
    }
  }
  if (rank == 0) {
    printf("lioncubSignAggregate: %d elements, algorithm %s, %llu bytes sent\n", NUMEL,
           lioncubAlgorithmName(stats.algorithm), (unsigned long long)stats.bytesSent);
  }
  return 0;
}

/* A few Lion Cub steps on NUMEL fp32 parameters; the final parameters go to `result_fd`. */
static int train(lioncubComm_t comm, int rank, int result_fd) {
  lioncubLionConfig_t cfg;
  CHECK(rank, lioncubLionConfigDefault(&cfg)); /* always start from the defaults */
  cfg.lr = 0.01f;
  lioncubLion_t opt = NULL;
  CHECK(rank, lioncubLionCreate(&opt, comm, NUMEL, lioncubFloat32, &cfg));

  /* Bad input is an error code and a message, never a crash; the optimizer stays usable after
   * lioncubInvalidArgument. */
  lioncubResult_t bad = lioncubLionSetLr(opt, -1.0f);
  if (bad != lioncubInvalidArgument) {
    fprintf(stderr, "rank %d: lioncubLionSetLr(-1) returned %s\n", rank, lioncubGetErrorString(bad));
    lioncubLionDestroy(opt);
    return 1;
  }
  if (rank == 0) printf("expected error: %s\n", lioncubGetLastErrorMessage());

  static float params[NUMEL], grads[NUMEL], momentum[NUMEL];
  for (size_t i = 0; i < NUMEL; ++i) params[i] = 0.5f, momentum[i] = 0.0f;
  int failed = 0;
  for (int step = 0; step < STEPS && !failed; ++step) {
    for (size_t i = 0; i < NUMEL; ++i) grads[i] = gradient(rank, step, i);
    lioncubResult_t r = lioncubLionStep(opt, params, grads, momentum, NULL);
    if (r != lioncubSuccess) {
      fprintf(stderr, "rank %d: lioncubLionStep: %s: %s\n", rank, lioncubGetErrorString(r),
              lioncubGetLastErrorMessage());
      failed = 1;
    }
  }
  lioncubLionStats_t stats;
  if (!failed && lioncubLionGetStats(opt, &stats) == lioncubSuccess && rank == 0) {
    printf("lioncubLionStep: %d steps, algorithm %s, %llu bytes sent in the last one\n", STEPS,
           lioncubAlgorithmName(stats.algorithm), (unsigned long long)stats.bytesSent);
  }
  lioncubLionDestroy(opt);
  if (failed) return 1;
  /* Lion moves each parameter by lr * u per step, u in {-1, 0, +1} (no weight decay here). */
  for (size_t i = 0; i < NUMEL; ++i) {
    if (!(fabsf(params[i] - 0.5f) <= STEPS * cfg.lr * 1.001f)) {
      fprintf(stderr, "rank %d: parameter %zu = %g moved more than %d steps allow\n", rank, i,
              (double)params[i], STEPS);
      return 1;
    }
  }
  if (write(result_fd, params, sizeof params) != (ssize_t)sizeof params) return 1;
  return 0;
}

static int rank_main(int rank, const char* rendezvous, int result_fd) {
  lioncubComm_t comm = NULL;
  CHECK(rank, lioncubCommInitHost(&comm, NRANKS, rank, rendezvous));
  int failed = aggregate_signs(comm, rank);
  if (!failed) failed = train(comm, rank, result_fd);
  lioncubCommDestroy(comm);
  return failed;
}

/* A loopback port that was free a moment ago (rank 0 listens on it for the rendezvous). */
static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (fd >= 0 && bind(fd, (struct sockaddr*)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr*)&a, &len) == 0) {
    port = ntohs(a.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

/* Reads exactly n bytes (a pipe may deliver them in pieces). */
static int read_all(int fd, void* buf, size_t n) {
  char* p = (char*)buf;
  while (n > 0) {
    ssize_t got = read(fd, p, n);
    if (got <= 0) return -1;
    p += got;
    n -= (size_t)got;
  }
  return 0;
}

int main(void) {
  int major = 0, minor = 0, patch = 0;
  lioncubGetVersion(&major, &minor, &patch);
  printf("lioncub %d.%d.%d (CUDA kernels: %s)\n", major, minor, patch, lioncubHasCuda() ? "yes" : "no");

  const int port = free_port();
  if (port == 0) {
    fprintf(stderr, "no free loopback port\n");
    return 1;
  }
  char rendezvous[64];
  snprintf(rendezvous, sizeof rendezvous, "127.0.0.1:%d", port);
  /* Both ranks are on this machine: use loopback, and give up after 30 s rather than the
   * default 5 minutes if a rank dies. An environment that sets these already wins. */
  setenv("LIONCUB_NET_IFNAME", "=lo", 0);
  setenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS", "30000", 0);
  setenv("LIONCUB_TIMEOUT_MS", "30000", 0);
#ifdef LIONCUB_EXAMPLE_NET_PLUGIN
  /* Linked with liblioncub.a: the library cannot find the net plugin next to itself, so name it
   * (examples/CMakeLists.txt passes the package's LIONCUB_NET_PLUGIN_PATH). */
  setenv("LIONCUB_NET_PLUGIN", LIONCUB_EXAMPLE_NET_PLUGIN, 0);
#endif

  fflush(stdout); /* or the children inherit (and print again) what is still buffered */
  int pipes[NRANKS][2];
  pid_t pids[NRANKS];
  for (int r = 0; r < NRANKS; ++r) {
    if (pipe(pipes[r]) != 0) return 1;
    pids[r] = fork();
    if (pids[r] < 0) return 1;
    if (pids[r] == 0) {
      close(pipes[r][0]);
      const int rc = rank_main(r, rendezvous, pipes[r][1]);
      fflush(stdout); /* _exit (no atexit handlers of the parent's in the child) skips it */
      _exit(rc);
    }
    close(pipes[r][1]);
  }

  static float result[NRANKS][NUMEL];
  int failed = 0;
  for (int r = 0; r < NRANKS; ++r) {
    if (read_all(pipes[r][0], result[r], sizeof result[r]) != 0) failed = 1;
    close(pipes[r][0]);
  }
  for (int r = 0; r < NRANKS; ++r) {
    int status = 0;
    if (waitpid(pids[r], &status, 0) != pids[r] || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "rank %d failed\n", r);
      failed = 1;
    }
  }
  if (!failed && memcmp(result[0], result[1], sizeof result[0]) != 0) {
    fprintf(stderr, "the ranks' parameters differ\n");
    failed = 1;
  }
  if (!failed) {
    int moved = 0;
    for (size_t i = 0; i < NUMEL; ++i) moved += result[0][i] != 0.5f;
    printf("both ranks hold identical parameters (%d of %d moved)\n", moved, NUMEL);
    if (moved == 0) {
      fprintf(stderr, "no parameter moved: the steps did nothing\n");
      failed = 1;
    }
  }
  printf("%s\n", failed ? "FAILED" : "PASSED");
  return failed;
}
