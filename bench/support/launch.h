// How lioncub-perf, lioncub-step-bench and the demo start their ranks: under a launcher
// (launcher_env.h) this process is one rank, joined with lioncubCommInitFromEnv; otherwise it
// forks N ranks on loopback, each with a host communicator. Either way every rank runs the same
// body and the process's exit status is the first failing rank's.
#pragma once

#include <functional>
#include <string>

#include "lioncub/lioncub.h"

namespace lioncub::bench {

// A TCP port on 127.0.0.1 that was free a moment ago (for the rendezvous of forked ranks).
int free_loopback_port();

// How run_ranks started the ranks, for the tools' headers ("forked on loopback", "torchrun").
std::string launch_description();

// `np` > 0: fork np ranks (the option wins over a launcher's environment). `np` == 0: one rank
// of the launcher's job when a launcher set a rank, else fork `default_np` ranks. Returns the
// first non-zero exit status of the ranks (128 + signal for a killed one), 0 when all succeed.
int run_ranks(int np, int default_np, const std::function<int(lioncubComm_t)>& body);

}  // namespace lioncub::bench
