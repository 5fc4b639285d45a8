// lioncub-net-perf: one-directional throughput through a net plugin's ncclNet_v11 table,
// driven like NCCL's proxy (isend/irecv/test with a window of requests in flight).
//
//   lioncub-net-perf [options]                       both ends here (fork), loopback by default
//   lioncub-net-perf --role recv --handle-file F     receiver: listens, writes its handle to F
//   lioncub-net-perf --role send --handle-file F     sender: waits for F, connects, sends
// The two roles can run in different network namespaces (ip netns exec ...). The receiver
// prints one line per size: bytes/s, the ratio to --link-gbps (or the device's reported speed
// when --link-from-device), and CPU seconds per GB of both ends (the sender reports its CPU
// time over the connection).
//
// Options: --plugin PATH (default: the built libnccl-net-lioncub.so), --sizes 4K,1M,64M,
// --bytes N per size (default 1G), --window W requests in flight (default 4), --verify,
// --link-gbps G.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "driver/driver.h"
#include "driver/pattern.h"

namespace {

using namespace lioncub;
constexpr double kTimeout = 120;
constexpr int kSyncTag = 1;
constexpr int kDataTag = 2;
constexpr int kCpuTag = 3;

struct Options {
  std::string plugin = LIONCUB_NET_PLUGIN_PATH;
  std::string role;  // "", "send", "recv"
  std::string handle_file;
  std::vector<size_t> sizes = {4096, 65536, 1 << 20, 4 << 20, 16 << 20, 64 << 20};
  size_t bytes = size_t{1} << 30;
  int window = 4;
  bool verify = false;
  double link_gbps = 0;
};

size_t parse_size(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  switch (*end) {
    case 'K': case 'k': v *= 1024; break;
    case 'M': case 'm': v *= 1024 * 1024; break;
    case 'G': case 'g': v *= 1024.0 * 1024 * 1024; break;
    default: break;
  }
  return static_cast<size_t>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--plugin") o.plugin = next();
    else if (a == "--role") o.role = next();
    else if (a == "--handle-file") o.handle_file = next();
    else if (a == "--bytes") o.bytes = parse_size(next());
    else if (a == "--window") o.window = std::atoi(next().c_str());
    else if (a == "--verify") o.verify = true;
    else if (a == "--link-gbps") o.link_gbps = std::atof(next().c_str());
    else if (a == "--sizes") {
      o.sizes.clear();
      std::stringstream ss(next());
      for (std::string item; std::getline(ss, item, ',');) o.sizes.push_back(parse_size(item));
    } else {
      std::fprintf(stderr, "unknown option %s (see the comment at the top of perf.cc)\n", a.c_str());
      std::exit(2);
    }
  }
  if (o.window < 1) o.window = 1;
  return o;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

size_t iterations(const Options& o, size_t size) {
  size_t n = o.bytes / (size ? size : 1);
  return std::max<size_t>(n, 8);
}

void run_sender(const Options& o, abi::ncclNet_v11_t* net, driver::Handle handle) {
  driver::Context ctx(net);
  void* sc = driver::connect(net, ctx.get(), 0, &handle, kTimeout);
  size_t max_size = 0;
  for (size_t s : o.sizes) max_size = std::max(max_size, s);
  std::vector<std::vector<uint8_t>> bufs(o.window, std::vector<uint8_t>(max_size));
  for (auto& b : bufs) driver::fill_pattern(b.data(), b.size(), 42);
  for (size_t size : o.sizes) {
    uint8_t sync = 0;
    driver::wait(net, driver::isend(net, sc, &sync, 0, kSyncTag, nullptr, kTimeout), 1, kTimeout);
    const double cpu0 = cpu_seconds();
    const size_t iters = iterations(o, size);
    std::vector<void*> inflight(o.window, nullptr);
    for (size_t i = 0; i < iters; ++i) {
      const size_t slot = i % o.window;
      if (inflight[slot]) driver::wait(net, inflight[slot], 1, kTimeout);
      inflight[slot] = driver::isend(net, sc, bufs[slot].data(), size, kDataTag, nullptr, kTimeout);
    }
    for (void* r : inflight) {
      if (r) driver::wait(net, r, 1, kTimeout);
    }
    double cpu = cpu_seconds() - cpu0;
    driver::wait(net, driver::isend(net, sc, &cpu, sizeof(cpu), kCpuTag, nullptr, kTimeout), 1,
                 kTimeout);
  }
  driver::check(net->closeSend(sc), "closeSend");
}

void run_receiver(const Options& o, abi::ncclNet_v11_t* net, void* ctx, void* lc) {
  void* rc = driver::accept(net, lc, kTimeout);
  abi::ncclNetProperties_v11_t props;
  driver::check(net->getProperties(0, &props), "getProperties");
  const double link_gbps = o.link_gbps;
  size_t max_size = 0;
  for (size_t s : o.sizes) max_size = std::max(max_size, s);
  std::vector<std::vector<uint8_t>> bufs(o.window, std::vector<uint8_t>(max_size));
  std::printf("# lioncub-net-perf: device %s (reported %d Mbit/s), window %d, %s\n", props.name,
              props.speed, o.window, o.verify ? "verifying every byte" : "no verification");
  std::printf("%12s %8s %10s %10s %8s %12s\n", "size", "iters", "GB/s", "Gbit/s", "ratio",
              "cpu_s/GB");
  auto post = [&](size_t slot, size_t size, int tag) {
    void* d = bufs[slot].data();
    size_t s = size;
    return driver::irecv(net, rc, 1, &d, &s, &tag, nullptr, kTimeout);
  };
  for (size_t size : o.sizes) {
    uint8_t sync;
    void* sd = &sync;
    size_t one = 1;
    int stag = kSyncTag;
    driver::wait(net, driver::irecv(net, rc, 1, &sd, &one, &stag, nullptr, kTimeout), 1, kTimeout);
    const double t0 = driver::now_s();
    const double cpu0 = cpu_seconds();
    const size_t iters = iterations(o, size);
    std::vector<void*> inflight(o.window, nullptr);
    size_t posted = 0;
    for (; posted < std::min<size_t>(iters, o.window); ++posted) inflight[posted] = post(posted, size, kDataTag);
    for (size_t done = 0; done < iters; ++done) {
      const size_t slot = done % o.window;
      auto got = driver::wait(net, inflight[slot], 1, kTimeout);
      if (got[0] != static_cast<int>(size)) throw driver::DriverError("short message", -1);
      if (o.verify && driver::check_pattern(bufs[slot].data(), size, 42) != -1) {
        throw driver::DriverError("data mismatch at size " + std::to_string(size), -1);
      }
      inflight[slot] = posted < iters ? (++posted, post(slot, size, kDataTag)) : nullptr;
    }
    const double secs = driver::now_s() - t0;
    const double my_cpu = cpu_seconds() - cpu0;
    double peer_cpu = 0;
    void* cd = &peer_cpu;
    size_t cs = sizeof(peer_cpu);
    int ctag = kCpuTag;
    driver::wait(net, driver::irecv(net, rc, 1, &cd, &cs, &ctag, nullptr, kTimeout), 1, kTimeout);
    const double gb = static_cast<double>(size) * iters / 1e9;
    const double gbps = gb * 8 / secs;
    char ratio[32] = "-";
    if (link_gbps > 0) std::snprintf(ratio, sizeof(ratio), "%.3f", gbps / link_gbps);
    std::printf("%12zu %8zu %10.3f %10.3f %8s %12.3f\n", size, iters, gb / secs, gbps, ratio,
                (my_cpu + peer_cpu) / gb);
    std::fflush(stdout);
  }
  driver::check(net->closeRecv(rc), "closeRecv");
  (void)ctx;
}

driver::Handle read_handle_file(const std::string& path) {
  const double deadline = driver::now_s() + kTimeout;
  for (;;) {
    std::ifstream in(path, std::ios::binary);
    driver::Handle h(abi::NCCL_NET_HANDLE_MAXSIZE);
    if (in.read(reinterpret_cast<char*>(h.data()), h.size())) return h;
    if (driver::now_s() > deadline) throw driver::DriverError("no handle in " + path, -1);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (o.role.empty()) ::setenv("LIONCUB_NET_IFNAME", "=lo", 0);
  try {
    driver::Plugin plugin(o.plugin);
    abi::ncclNet_v11_t* net = plugin.net();
    if (o.role == "send") {
      run_sender(o, net, read_handle_file(o.handle_file));
      return 0;
    }
    int fds[2];
    if (o.role.empty() && ::pipe(fds) != 0) return 1;
    pid_t child = -1;
    if (o.role.empty()) {
      std::fflush(nullptr);
      child = ::fork();
      if (child == 0) {
        ::close(fds[1]);
        driver::Handle h(abi::NCCL_NET_HANDLE_MAXSIZE);
        size_t got = 0;
        while (got < h.size()) {
          ssize_t n = ::read(fds[0], h.data() + got, h.size() - got);
          if (n <= 0) ::_exit(1);
          got += static_cast<size_t>(n);
        }
        try {
          run_sender(o, net, h);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "sender: %s\n", e.what());
          ::_exit(1);
        }
        ::_exit(0);
      }
    }
    driver::Context ctx(net);
    driver::Handle h;
    void* lc = driver::listen(net, ctx.get(), 0, &h);
    if (o.role.empty()) {
      if (::write(fds[1], h.data(), h.size()) != static_cast<ssize_t>(h.size())) return 1;
    } else {
      const std::string tmp = o.handle_file + ".tmp";
      std::ofstream(tmp, std::ios::binary).write(reinterpret_cast<char*>(h.data()), h.size());
      std::rename(tmp.c_str(), o.handle_file.c_str());
    }
    run_receiver(o, net, ctx.get(), lc);
    driver::check(net->closeListen(lc), "closeListen");
    if (child > 0) {
      int status = 0;
      ::waitpid(child, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lioncub-net-perf: %s\n", e.what());
    return 1;
  }
  return 0;
}
