#include "rendezvous/job.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/error.h"

namespace lioncub::rendezvous {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

void check_id(const std::string& id, const char* source) {
  if (id.size() > 128) {
    raise(lioncubInvalidArgument, std::string(source) + " is longer than 128 characters");
  }
  for (const char c : id) {
    if (c < 0x21 || c > 0x7e) {
      raise(lioncubInvalidArgument,
            std::string(source) + " '" + printable(id) + "' holds a space or control character");
    }
  }
}

}  // namespace

std::string printable(const std::string& text, size_t max) {
  std::string out = text.substr(0, std::min(max, text.size()));
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  if (text.size() > max) out += "...";
  return out;
}

std::string secret_from(const char* value) {
  if (value == nullptr || *value == '\0') return "";
  std::string secret;
  if (value[0] == '@') {
    const std::string path = value + 1;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      raise(lioncubInvalidArgument, "LIONCUB_SECRET file '" + path + "': " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      raise(lioncubInvalidArgument, "LIONCUB_SECRET file '" + path + "' is not a regular file");
    }
    if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
      ::close(fd);
      raise(lioncubInvalidArgument, "LIONCUB_SECRET file '" + path +
                                        "' must be owned by this user and readable by no one "
                                        "else (chmod 600 '" +
                                        path + "')");
    }
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && secret.size() < (64u << 10)) {
      secret.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  } else {
    secret = value;
  }
  if (secret.size() < 16) {
    raise(lioncubInvalidArgument,
          "LIONCUB_SECRET is shorter than 16 bytes (e.g. `openssl rand -hex 32`)");
  }
  return secret;
}

Job job_from_env(const std::string& address, int nranks) {
  Job job;
  job.nranks = nranks;
  if (const char* v = env("LIONCUB_JOB_ID")) {
    job.id = v;
    job.id_source = "LIONCUB_JOB_ID";
  } else if (const char* t = env("TORCHELASTIC_RUN_ID"); t && std::strcmp(t, "none") != 0) {
    // torchrun's --rdzv-id; its default "none" is the same for every job, so it names none
    job.id = std::string("torchrun:") + t;
    job.id_source = "TORCHELASTIC_RUN_ID";
  } else if (const char* p = env("PMIX_NAMESPACE")) {  // Open MPI / PMIx launchers
    job.id = std::string("pmix:") + p;
    job.id_source = "PMIX_NAMESPACE";
  } else if (const char* s = env("SLURM_JOB_ID")) {
    const char* step = env("SLURM_STEP_ID");
    job.id = std::string("slurm:") + s + "." + (step ? step : "0");
    job.id_source = "SLURM_JOB_ID";
  } else {
    // Two identical launches on one address share this id; only LIONCUB_JOB_ID (or a launcher's
    // run id) tells them apart. Different world sizes or addresses still differ.
    job.id = "addr:" + address + "/np" + std::to_string(nranks);
    job.id_source = "the rendezvous address and world size";
  }
  check_id(job.id, job.id_source.c_str());
  job.secret = secret_from(std::getenv("LIONCUB_SECRET"));
  return job;
}

}  // namespace lioncub::rendezvous
