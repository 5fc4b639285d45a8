// The one place where lioncub's tools decide whether a launcher started this process. It looks
// for the same variables as lioncubCommInitFromEnv (collectives/comm_api.cc): LIONCUB_RANK /
// LIONCUB_WORLD_SIZE (scripts/cluster.sh), torchrun's RANK / WORLD_SIZE, Open MPI's
// OMPI_COMM_WORLD_RANK / OMPI_COMM_WORLD_SIZE. When the library exports its own launcher
// detection, this header becomes a call to it and nothing else in bench/ changes.
#pragma once

#include <cstdlib>

namespace lioncub::bench {

// The launcher's name ("lioncub", "torchrun", "mpirun"), or nullptr when none set a rank.
inline const char* detect_launcher() {
  struct Source {
    const char *rank, *size, *name;
  };
  static constexpr Source kSources[] = {{"LIONCUB_RANK", "LIONCUB_WORLD_SIZE", "lioncub"},
                                        {"RANK", "WORLD_SIZE", "torchrun"},
                                        {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "mpirun"}};
  for (const Source& s : kSources)
    if (std::getenv(s.rank) != nullptr || std::getenv(s.size) != nullptr) return s.name;
  return nullptr;
}

}  // namespace lioncub::bench
