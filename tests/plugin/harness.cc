#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace lioncub::test {

const driver::Plugin& plugin() {
  static driver::Plugin* p = new driver::Plugin(LIONCUB_NET_PLUGIN_PATH);
  return *p;
}

abi::ncclNet_v11_t* net() { return plugin().net(); }

Pipe::Pipe() {
  if (::pipe(fds_) != 0) throw std::runtime_error("pipe failed");
}

Pipe::~Pipe() {
  ::close(fds_[0]);
  ::close(fds_[1]);
}

void Pipe::write_all(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::write(fds_[1], p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("pipe write failed");
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void Pipe::read_all(void* data, size_t size, double timeout_s) {
  auto* p = static_cast<uint8_t*>(data);
  const double deadline = driver::now_s() + timeout_s;
  while (size > 0) {
    pollfd pfd{fds_[0], POLLIN, 0};
    const int left_ms = static_cast<int>((deadline - driver::now_s()) * 1000);
    if (left_ms <= 0) throw std::runtime_error("pipe read timed out");
    if (::poll(&pfd, 1, left_ms) <= 0) continue;
    ssize_t n = ::read(fds_[0], p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("pipe closed");
    p += n;
    size -= static_cast<size_t>(n);
  }
}

driver::Handle Pipe::receive_handle() {
  driver::Handle h(abi::NCCL_NET_HANDLE_MAXSIZE);
  read_all(h.data(), h.size());
  return h;
}

pid_t spawn(const std::function<void()>& body) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int rc = 0;
    try {
      body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child %d: %s\n", ::getpid(), e.what());
      rc = 1;
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  return pid;
}

int reap(pid_t pid, double timeout_s) {
  const double deadline = driver::now_s() + timeout_s;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    if (r < 0) return -1000;
    if (driver::now_s() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -2000;  // timed out
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

LocalPair connect_locally(void* ctx) {
  LocalPair p;
  driver::Handle h;
  p.listen_comm = driver::listen(net(), ctx, 0, &h);
  const double deadline = driver::now_s() + kTimeout;
  while (p.send_comm == nullptr || p.recv_comm == nullptr) {
    abi::ncclNetDeviceHandle_t* dh = nullptr;
    if (p.send_comm == nullptr) {
      driver::check(net()->connect(ctx, 0, h.data(), &p.send_comm, &dh), "connect");
    }
    if (p.recv_comm == nullptr) driver::check(net()->accept(p.listen_comm, &p.recv_comm, &dh), "accept");
    if (driver::now_s() > deadline) throw std::runtime_error("local connect timed out");
  }
  return p;
}

void close_locally(const LocalPair& p) {
  if (p.send_comm) net()->closeSend(p.send_comm);
  if (p.recv_comm) net()->closeRecv(p.recv_comm);
  if (p.listen_comm) net()->closeListen(p.listen_comm);
}

}  // namespace lioncub::test

int main(int argc, char** argv) {
  // Traffic stays on loopback unless a test (the namespace test) says otherwise.
  ::setenv("LIONCUB_NET_IFNAME", "=lo", 0);
  ::signal(SIGPIPE, SIG_IGN);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
