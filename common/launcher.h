// Where this process sits in a job, from the environment its launcher left: lioncub's own
// variables, torchrun's, Open MPI's or Slurm's. Shared by lioncubCommInitFromEnv and the tools.
#pragma once

#include <string>

namespace lioncub {

struct LaunchEnv {
  int rank = 0;
  int size = 1;
  std::string root;    // host:port of rank 0's store; empty when the launcher gives none
  std::string source;  // the variables read, e.g. "RANK/WORLD_SIZE"
};

// The first launcher found, in this order: LIONCUB_RANK/LIONCUB_WORLD_SIZE, torchrun's
// RANK/WORLD_SIZE (root MASTER_ADDR:MASTER_PORT), Open MPI's OMPI_COMM_WORLD_RANK/SIZE, Slurm's
// SLURM_PROCID/SLURM_NTASKS. LIONCUB_ROOT, when set, always gives the root. Throws
// lioncub::Error(lioncubInvalidArgument) when none is found, when a value is not an integer or
// 0 <= rank < size <= max_ranks fails, or when size > 1 and no root is known.
LaunchEnv launch_env(int max_ranks);

}  // namespace lioncub
