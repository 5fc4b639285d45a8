#include "common/launcher.h"

#include <cstdlib>

#include "common/error.h"

namespace lioncub {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

bool parse_int(const char* text, long* out) {
  if (text == nullptr || *text == '\0') return false;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

struct Launcher {
  const char* rank;
  const char* size;
};
constexpr Launcher kLaunchers[] = {
    {"LIONCUB_RANK", "LIONCUB_WORLD_SIZE"},
    {"RANK", "WORLD_SIZE"},  // torchrun
    {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
    {"SLURM_PROCID", "SLURM_NTASKS"},
};

}  // namespace

LaunchEnv launch_env(int max_ranks) {
  const Launcher* found = nullptr;
  for (const Launcher& l : kLaunchers) {
    if (env(l.rank) || env(l.size)) {
      found = &l;
      break;
    }
  }
  if (found == nullptr) {
    raise(lioncubInvalidArgument,
          "no rank in the environment: set LIONCUB_RANK and LIONCUB_WORLD_SIZE (or torchrun's "
          "RANK/WORLD_SIZE, or run under mpirun or srun)");
  }
  LaunchEnv out;
  out.source = std::string(found->rank) + "/" + found->size;
  const char* rank_s = env(found->rank);
  const char* size_s = env(found->size);
  if (found == &kLaunchers[1] && env("MASTER_ADDR") && env("MASTER_PORT")) {
    const std::string addr = env("MASTER_ADDR");
    out.root = (addr.find(':') != std::string::npos ? "[" + addr + "]" : addr) + ":" +
               env("MASTER_PORT");
  }
  if (env("LIONCUB_ROOT")) out.root = env("LIONCUB_ROOT");  // always wins when set
  long rank = 0, size = 0;
  if (!parse_int(rank_s, &rank) || !parse_int(size_s, &size) || size < 1 || size > max_ranks ||
      rank < 0 || rank >= size) {
    raise(lioncubInvalidArgument, out.source + " = '" + (rank_s ? rank_s : "(unset)") + "'/'" +
                                      (size_s ? size_s : "(unset)") + "': want 0 <= rank < size");
  }
  if (size > 1 && out.root.empty()) {
    raise(lioncubInvalidArgument, out.source + " gives " + std::to_string(size) +
                                      " ranks but no rendezvous: set LIONCUB_ROOT=host:port (or "
                                      "MASTER_ADDR and MASTER_PORT)");
  }
  out.rank = static_cast<int>(rank);
  out.size = static_cast<int>(size);
  return out;
}

}  // namespace lioncub
