/* Rendezvous time on loopback: forks P ranks that call lioncubCommInitHost on 127.0.0.1:port
 * and prints, per round, the slowest rank's init time, then the median over the rounds.
 * Public C API only, so the same file measures any build of liblioncub:
 *   cc -O2 tests/security/rendezvous_time.c -Iinclude -Lbuild/dev/lib -llioncub \
 *      -Wl,-rpath,$PWD/build/dev/lib -o /tmp/rdv_time && /tmp/rdv_time 8 20 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lioncub/lioncub.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A loopback port that was free a moment ago. */
static int free_port(void) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  socklen_t len = sizeof a;
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr*)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr*)&a, &len) != 0) {
    close(fd);
    return 0;
  }
  close(fd);
  return ntohs(a.sin_port);
}

static int cmp(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  const int P = argc > 1 ? atoi(argv[1]) : 8, rounds = argc > 2 ? atoi(argv[2]) : 10;
  double* t = calloc((size_t)rounds, sizeof *t);
  setenv("LIONCUB_NET_IFNAME", "=lo", 0);
  for (int r = 0; r < rounds; ++r) {
    char rdv[64];
    snprintf(rdv, sizeof rdv, "127.0.0.1:%d", free_port());
    int fds[2];
    if (pipe(fds) != 0) return 1;
    for (int k = 0; k < P; ++k) {
      if (fork() == 0) {
        lioncubComm_t comm = NULL;
        const double t0 = now();
        const lioncubResult_t rc = lioncubCommInitHost(&comm, P, k, rdv);
        double s = now() - t0;
        if (rc != lioncubSuccess) {
          fprintf(stderr, "rank %d: %s\n", k, lioncubGetLastErrorMessage());
          s = -1;
        }
        if (write(fds[1], &s, sizeof s) != sizeof s) _exit(2);
        lioncubCommDestroy(comm);
        _exit(rc == lioncubSuccess ? 0 : 1);
      }
    }
    double worst = 0;
    for (int k = 0; k < P; ++k) {
      double s = 0;
      if (read(fds[0], &s, sizeof s) != sizeof s || s < 0) worst = 1e9;
      if (s > worst) worst = s;
    }
    while (wait(NULL) > 0) {
    }
    close(fds[0]);
    close(fds[1]);
    t[r] = worst;
    printf("round %d: slowest init %.4f s\n", r, worst);
  }
  qsort(t, (size_t)rounds, sizeof *t, cmp);
  printf("P = %d, %d rounds: median slowest init %.4f s (min %.4f, max %.4f)\n", P, rounds,
         t[rounds / 2], t[0], t[rounds - 1]);
  free(t);
  return 0;
}
