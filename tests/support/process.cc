#include "support/process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <thread>

#include "common/clock.h"

namespace lioncub::test::forked {

pid_t spawn_status(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int rc = 1;
    try {
      rc = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child %d: %s\n", ::getpid(), e.what());
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  return pid;
}

pid_t spawn(const std::function<void()>& body) {
  return spawn_status([&] {
    body();
    return 0;
  });
}

int reap(pid_t pid, double timeout_s) {
  const double deadline = now_s() + timeout_s;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    if (r < 0) return kReapFailed;
    if (now_s() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return kReapTimedOut;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Pipe::Pipe() {
  if (::pipe(fds_) != 0) throw std::runtime_error("pipe failed");
}

Pipe::Pipe(Pipe&& other) noexcept {
  fds_[0] = other.fds_[0];
  fds_[1] = other.fds_[1];
  other.fds_[0] = other.fds_[1] = -1;
}

Pipe::~Pipe() {
  close_read();
  close_write();
}

void Pipe::close_read() {
  if (fds_[0] >= 0) ::close(fds_[0]);
  fds_[0] = -1;
}

void Pipe::close_write() {
  if (fds_[1] >= 0) ::close(fds_[1]);
  fds_[1] = -1;
}

void Pipe::write_all(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fds_[1], p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("pipe write failed");
    p += n;
    size -= static_cast<size_t>(n);
  }
}

bool Pipe::read_until(void* data, size_t size, double deadline) {
  auto* p = static_cast<unsigned char*>(data);
  while (size > 0) {
    const int left_ms = static_cast<int>((deadline - now_s()) * 1000);
    if (left_ms <= 0) return false;
    pollfd pfd{fds_[0], POLLIN, 0};
    if (::poll(&pfd, 1, left_ms) <= 0) continue;
    const ssize_t n = ::read(fds_[0], p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void Pipe::read_all(void* data, size_t size, double timeout_s) {
  if (!read_until(data, size, now_s() + timeout_s))
    throw std::runtime_error("pipe read timed out or the writer closed it");
}

std::string Pipe::read_to_end() {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds_[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  if (fd >= 0) ::close(fd);
  return ok ? ntohs(a.sin_port) : 0;
}

std::string loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace lioncub::test::forked
