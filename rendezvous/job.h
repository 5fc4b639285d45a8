// Who a rendezvous belongs to: the job id that scopes every store session, and the optional
// shared secret that authenticates it (docs/reliability.md, "Security model").
#pragma once

#include <string>

namespace lioncub::rendezvous {

struct Job {
  std::string id;      // printable, 1..128 characters
  std::string secret;  // empty: no authentication (the network is trusted)
  int nranks = 0;
  std::string id_source;  // where the id came from, for messages ("LIONCUB_JOB_ID", ...)
};

// The job of a rank rendezvousing at `address` with `nranks` ranks, from the environment:
// the id from LIONCUB_JOB_ID, else the launcher's run id (TORCHELASTIC_RUN_ID unless "none",
// PMIX_NAMESPACE, SLURM_JOB_ID.SLURM_STEP_ID), else derived from the address and world size;
// the secret from LIONCUB_SECRET (a value, or @path to a file only its owner can read).
// Throws Error(lioncubInvalidArgument) on a malformed id or secret.
Job job_from_env(const std::string& address, int nranks);

// LIONCUB_SECRET's value: "" when unset; "@path" reads the file (regular, owned by this user,
// no group/other permission bits); at least 16 bytes. Throws Error(lioncubInvalidArgument).
std::string secret_from(const char* value);

// Control characters and bytes >= 0x7f in text from the wire become '?', and it is cut at
// `max` bytes, so a remote message cannot rewrite the caller's terminal or log.
std::string printable(const std::string& text, size_t max = 512);

}  // namespace lioncub::rendezvous
