#include "harness.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <cstdlib>

namespace lioncub::test {

const driver::Plugin& plugin() {
  static driver::Plugin* p = new driver::Plugin(LIONCUB_NET_PLUGIN_PATH);
  return *p;
}

abi::ncclNet_v11_t* net() { return plugin().net(); }

driver::Handle Pipe::receive_handle() {
  driver::Handle h(abi::NCCL_NET_HANDLE_MAXSIZE);
  read_all(h.data(), h.size());
  return h;
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
