/* The communicator API from C, through the shared liblioncub.so: the header compiles as C, and
 * two forked ranks find lioncub's plugin (next to liblioncub.so, else in the build tree) and run
 * each collective once. Exit 0 on success. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lioncub/lioncub.h"

static int rank_main(int rank, const char* rdv) {
  lioncubComm_t comm = NULL;
  lioncubResult_t rc = lioncubCommInitHost(&comm, 2, rank, rdv);
  if (rc != lioncubSuccess) {
    fprintf(stderr, "rank %d init: %s: %s\n", rank, lioncubGetErrorString(rc), lioncubGetLastErrorMessage());
    return 1;
  }
  uint32_t sign[2] = {rank ? 0xffffffffu : 0x0000ffffu, 0x3u}, out[2] = {0, 0}, nz[2] = {0, 0};
  lioncubCollStats_t st;
  rc = lioncubSignAggregate(comm, lioncubAlgoAuto, lioncubCodeSign, sign, NULL, 34, lioncubTieZero, 0,
                            out, nz, &st, NULL);
  /* P = 2: both 1 -> +1; one 1 -> tie -> 0. Word 0: bits 0..15 are +1, 16..31 ties. */
  int bad = rc != lioncubSuccess || out[0] != 0x0000ffffu || nz[0] != 0x0000ffffu || out[1] != 0x3u ||
            nz[1] != 0x3u || strcmp(lioncubAlgorithmName(st.algorithm), "allgather-vote") != 0;
  float x[3] = {1.0f + rank, 2.0f, 3.0f * rank};
  rc = lioncubAllreduce(comm, lioncubAlgoMean, x, x, 3, lioncubFloat32, lioncubAvg, NULL, NULL);
  bad |= rc != lioncubSuccess || x[0] != 1.5f || x[1] != 2.0f || x[2] != 1.5f;
  lioncubCommDestroy(comm);
  if (bad) fprintf(stderr, "rank %d: wrong result (%s)\n", rank, lioncubGetLastErrorMessage());
  return bad;
}

/* A loopback port that was free a moment ago. */
static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, (struct sockaddr*)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr*)&a, &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

int main(void) {
  char rdv[64];
  snprintf(rdv, sizeof rdv, "127.0.0.1:%d", free_port());
  setenv("LIONCUB_NET_IFNAME", "=lo", 0);
  setenv("LIONCUB_NET_STREAMS", "2", 0);
  setenv("LIONCUB_NET_THREADS", "1", 0);
  setenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS", "30000", 0);
  pid_t pids[2];
  for (int r = 0; r < 2; ++r) {
    pids[r] = fork();
    if (pids[r] == 0) _exit(rank_main(r, rdv));
  }
  int failed = 0;
  for (int r = 0; r < 2; ++r) {
    int status = 0;
    waitpid(pids[r], &status, 0);
    failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  }
  printf("%s\n", failed ? "FAILED" : "PASSED");
  return failed;
}
