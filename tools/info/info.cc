// lioncub-info: what this lioncub is and how it is configured. Prints the version, the build's
// features (CUDA kernels, NCCL backend), the net plugin a host communicator would load and
// whether it loads, then every setting of the library (common/settings.cc) and of the net plugin
// (plugin/params.cc) with its value and source (default or environment), and warns about
// LIONCUB_* variables no table knows.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "collectives/comm.h"
#include "common/settings.h"
#include "lioncub/lioncub.h"
#include "params.h"

int main() {
  int major = 0, minor = 0, patch = 0;
  lioncubGetVersion(&major, &minor, &patch);
  std::printf("lioncub %d.%d.%d\n", major, minor, patch);
#if defined(LIONCUB_HAVE_CUDA)
  std::printf("CUDA kernels     yes (%d device(s) usable now)\n", lioncubCudaDeviceCount());
#else
  std::printf("CUDA kernels     no (built without CUDA)\n");
#endif
#if defined(LIONCUB_HAVE_NCCL)
  std::printf("NCCL backend     yes\n");
#else
  std::printf("NCCL backend     no (needs CUDA and NCCL at build time)\n");
#endif
  const std::string plugin = lioncub::coll::net_plugin_path();
  void* lib = ::dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  const bool v11 = lib != nullptr && ::dlsym(lib, "ncclNetPlugin_v11") != nullptr;
  std::printf("net plugin       %s (%s)\n", plugin.c_str(),
              lib == nullptr ? "does not load" : v11 ? "loads, exports ncclNetPlugin_v11"
                                                     : "loads, but no ncclNetPlugin_v11");
  std::printf("\nlibrary settings (docs/collectives.md):\n");
  for (const lioncub::SettingReport& r : lioncub::describe_settings()) {
    std::printf("  %-30s = %-12s (%s)\n      %s\n", r.spec->name,
                r.value.empty() ? "-" : r.value.c_str(), r.source.c_str(), r.spec->doc);
  }
  std::printf("\nnet plugin settings (docs/transport.md):\n");
  for (const lioncub::net::IntParamSpec& s : lioncub::net::int_param_specs()) {
    const char* source = "default";
    std::string value = std::to_string(s.def);
    for (const char* var : {s.env, s.nccl_env}) {
      const char* v = var ? std::getenv(var) : nullptr;
      if (v != nullptr) {
        value = v;
        source = var;
        break;
      }
    }
    std::printf("  %-30s = %-12s (%s%s)\n      %s\n", s.env, value.c_str(),
                source == s.env || source == s.nccl_env ? "environment: " : "", source, s.help);
  }
  std::fflush(stdout);
  lioncub::warn_unknown_settings();
  return 0;
}
