// Kill, stop and reset tests of the collectives and the optimizer step on the host backend:
// P forked ranks over lioncub's plugin on loopback run one operation in a loop, every result
// checked against a reference; then one rank is SIGKILLed (or SIGSTOPped, or its connection is
// reset by the transport's fault hook, plugin/fault.h) mid-loop. Every other rank must return an
// error within twice the configured timeout (LIONCUB_TIMEOUT_MS = LIONCUB_NET_TIMEOUT_MS = 2 s
// here), never a wrong result, and after destroying its communicator have as many threads
// (/proc/self/task) and descriptors (/proc/self/fd) as before creating it.
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "lioncub/lioncub.h"

namespace lioncub::test {
namespace {

constexpr int kRanks = 4;
constexpr int kTimeoutMs = 2000;
constexpr int kTrials = 20;

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();  // CLOCK_MONOTONIC
}

int count_entries(const char* dir) {
  DIR* d = ::opendir(dir);
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) ++n;
  }
  ::closedir(d);
  return n - 1;  // the directory stream's own descriptor (for /proc/self/fd)
}
int threads() { return count_entries("/proc/self/task") + 1; }
int descriptors() { return count_entries("/proc/self/fd"); }

enum class Op { kAllgatherVote, kAlltoallVote, kQuant2Rs, kPackedSum, kFull, kMean, kLion };

const char* op_name(Op op) {
  switch (op) {
    case Op::kAllgatherVote: return "allgather-vote";
    case Op::kAlltoallVote: return "alltoall-vote";
    case Op::kQuant2Rs: return "quant2-rs";
    case Op::kPackedSum: return "packed-sum";
    case Op::kFull: return "full";
    case Op::kMean: return "mean";
    case Op::kLion: return "lioncubLionStep";
  }
  return "?";
}

// What a rank reports to the parent when its loop ends.
struct Report {
  int rc = -1;
  double t_error = 0;  // CLOCK_MONOTONIC seconds when the failing call returned
  int iterations = 0;
  int wrong = 0;       // successful calls whose result differed from the reference
  int threads_before = 0, threads_after = 0, fds_before = 0, fds_after = 0;
  int rc_after = -1;  // one more call after the failure: refused, not run on a broken comm
  char message[768] = {};
};

uint64_t mix(uint64_t a, uint64_t b, uint64_t c) { return splitmix64(a * 0x9e3779b97f4a7c15ull ^ splitmix64(b * 31 + c)); }

// One rank's loop body: inputs for (rank, iteration), the call, the check against a reference
// computed from every rank's inputs.
class Loop {
 public:
  Loop(Op op, lioncubComm_t comm, int P, int rank) : op_(op), comm_(comm), P_(P), rank_(rank) {
    const size_t words = lioncubPackedWords(kBits);
    sign_.resize(words);
    nz_.resize(words);
    out_sign_.resize(words);
    out_nz_.resize(words);
    want_sign_.resize(words);
    want_nz_.resize(words);
    floats_.resize(kFloats);
  }
  ~Loop() { lioncubLionDestroy(opt_); }

  lioncubResult_t setup() {
    if (op_ != Op::kLion) return lioncubSuccess;
    lioncubLionConfig_t cfg;
    lioncubLionConfigDefault(&cfg);
    cfg.lr = 1e-3f;
    cfg.bucketBytes = 16 << 10;
    params_.assign(kFloats, 0.5f);
    momentum_.assign(kFloats, 0.0f);
    return lioncubLionCreate(&opt_, comm_, kFloats, lioncubFloat32, &cfg);
  }

  lioncubResult_t step(int it, bool* wrong) {
    *wrong = false;
    switch (op_) {
      case Op::kAllgatherVote: return sign(it, lioncubAlgoAllgatherVote, lioncubCodeSign, wrong);
      case Op::kAlltoallVote: return sign(it, lioncubAlgoAlltoallVote, lioncubCodeSign, wrong);
      case Op::kQuant2Rs: return sign(it, lioncubAlgoQuant2Rs, lioncubCodeTernary, wrong);
      case Op::kPackedSum:
        return sign(it, lioncubAlgoPackedSum, it % 2 ? lioncubCodeTernary : lioncubCodeSign, wrong);
      case Op::kFull: return floats(it, lioncubAlgoFull, lioncubSum, wrong);
      case Op::kMean: return floats(it, lioncubAlgoMean, lioncubAvg, wrong);
      case Op::kLion: {
        for (size_t i = 0; i < kFloats; ++i) {
          floats_[i] = float(int(mix(rank_, it, i) % 129) - 64) / 64.0f;
        }
        return lioncubLionStep(opt_, params_.data(), floats_.data(), momentum_.data(), nullptr);
      }
    }
    return lioncubInternalError;
  }

 private:
  static constexpr size_t kBits = size_t{1} << 17;   // 16 KiB per sign plane
  static constexpr size_t kFloats = size_t{1} << 15; // 128 KiB per rank

  // Element i of rank r: +1, -1 or (ternary only) 0.
  static int value(int r, int it, size_t i, bool ternary) {
    const uint64_t h = mix(uint64_t(r) + 1, uint64_t(it), i);
    if (!ternary) return (h & 1) ? 1 : -1;
    return int(h % 3) - 1;
  }

  lioncubResult_t sign(int it, lioncubAlgorithm_t algo, lioncubCode_t code, bool* wrong) {
    const bool ternary = code == lioncubCodeTernary;
    std::fill(sign_.begin(), sign_.end(), 0u);
    std::fill(nz_.begin(), nz_.end(), 0u);
    std::fill(want_sign_.begin(), want_sign_.end(), 0u);
    std::fill(want_nz_.begin(), want_nz_.end(), 0u);
    for (size_t i = 0; i < kBits; ++i) {
      int sum = 0;
      for (int r = 0; r < P_; ++r) {
        const int v = value(r, it, i, ternary);
        sum += v;
        if (r == rank_) {
          if (v > 0) sign_[i / 32] |= 1u << (i % 32);
          if (v != 0) nz_[i / 32] |= 1u << (i % 32);
        }
      }
      // Majority of signs (tie: 0) = sign of the sum of +-1; ternary: sign of the exact sum.
      if (sum > 0) want_sign_[i / 32] |= 1u << (i % 32);
      if (sum != 0) want_nz_[i / 32] |= 1u << (i % 32);
    }
    const lioncubResult_t rc = lioncubSignAggregate(
        comm_, algo, code, sign_.data(), ternary ? nz_.data() : nullptr, kBits, lioncubTieZero,
        uint64_t(it), out_sign_.data(), out_nz_.data(), nullptr, nullptr);
    if (rc == lioncubSuccess) {
      for (size_t w = 0; w < sign_.size(); ++w) {
        if ((out_sign_[w] & want_nz_[w]) != want_sign_[w] || out_nz_[w] != want_nz_[w]) {
          *wrong = true;
          break;
        }
      }
    }
    return rc;
  }

  lioncubResult_t floats(int it, lioncubAlgorithm_t algo, lioncubReduceOp_t op, bool* wrong) {
    std::vector<float>& x = floats_;
    for (size_t i = 0; i < kFloats; ++i) x[i] = float(int(mix(rank_ + 1, it, i) % 17) - 8);
    const lioncubResult_t rc =
        lioncubAllreduce(comm_, algo, x.data(), x.data(), kFloats, lioncubFloat32, op, nullptr, nullptr);
    if (rc == lioncubSuccess) {
      for (size_t i = 0; i < kFloats; ++i) {
        float s = 0.0f;  // small integers: exact in any order
        for (int r = 0; r < P_; ++r) s += float(int(mix(r + 1, it, i) % 17) - 8);
        if (op == lioncubAvg) s = s / float(P_);
        if (x[i] != s) {
          *wrong = true;
          break;
        }
      }
    }
    return rc;
  }

  Op op_;
  lioncubComm_t comm_;
  int P_, rank_;
  lioncubLion_t opt_ = nullptr;
  std::vector<uint32_t> sign_, nz_, out_sign_, out_nz_, want_sign_, want_nz_;
  std::vector<float> floats_, params_, momentum_;
};

// The child: writes 'R' after its first good iteration, then its Report when the loop ends.
[[noreturn]] void rank_main(Op op, int rank, const std::string& rendezvous, const std::string& fault,
                            forked::Pipe& out) {
  if (!fault.empty()) ::setenv("LIONCUB_NET_FAULT", fault.c_str(), 1);
  Report rep;
  rep.threads_before = threads();
  rep.fds_before = descriptors();
  lioncubComm_t comm = nullptr;
  lioncubResult_t rc = lioncubCommInitHost(&comm, kRanks, rank, rendezvous.c_str());
  if (rc == lioncubSuccess) {
    Loop loop(op, comm, kRanks, rank);
    rc = loop.setup();
    const double give_up = now_s() + 25;  // a fault that never strikes: no error, not a hang
    for (int it = 0; rc == lioncubSuccess && now_s() < give_up; ++it) {
      bool wrong = false;
      rc = loop.step(it, &wrong);
      if (rc == lioncubSuccess) {
        rep.wrong += wrong;
        if (++rep.iterations == 1) out.write_all("R", 1);
      }
    }
    rep.t_error = now_s();
    std::snprintf(rep.message, sizeof rep.message, "%s", lioncubGetLastErrorMessage());
    if (rc != lioncubSuccess && rep.iterations > 0) {
      bool wrong = false;
      rep.rc_after = loop.step(rep.iterations, &wrong);
    }
  } else {
    rep.t_error = now_s();
    std::snprintf(rep.message, sizeof rep.message, "init: %s", lioncubGetLastErrorMessage());
  }
  rep.rc = rc;
  lioncubCommDestroy(comm);  // after the optimizer (Loop's destructor)
  rep.threads_after = threads();
  rep.fds_after = descriptors();
  out.write_all(&rep, sizeof rep);
  ::_exit(0);
}

enum class Fault { kKill, kStop, kReset };

struct Trial {
  std::vector<Report> reports;  // per rank (the victim's is empty for kill and stop)
  std::vector<bool> reported;
  double t_fault = 0;
  std::string setup_error;
};

// One trial: P ranks running `op`; the victim is killed or stopped once every rank has done
// one iteration, or (kReset) runs with `fault` set in its environment.
Trial run_trial(Op op, int victim, Fault fault, const std::string& spec, std::mt19937& rng) {
  ::setenv("LIONCUB_TIMEOUT_MS", std::to_string(kTimeoutMs).c_str(), 1);
  ::setenv("LIONCUB_NET_TIMEOUT_MS", std::to_string(kTimeoutMs).c_str(), 1);
  ::setenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS", "15000", 1);
  set_test_transport_env();
  const std::string rendezvous = loopback(free_port());
  std::vector<pid_t> pids(kRanks);
  std::vector<forked::Pipe> pipes;  // rank r's 'R' byte and Report
  pipes.reserve(kRanks);
  for (int r = 0; r < kRanks; ++r) {
    pipes.emplace_back();
    pids[r] = spawn([&] {
      for (int k = 0; k <= r; ++k) pipes[k].close_read();
      rank_main(op, r, rendezvous, fault == Fault::kReset && r == victim ? spec : "", pipes[r]);
    });
    pipes[r].close_write();
  }
  Trial t;
  t.reports.resize(kRanks);
  t.reported.assign(kRanks, false);
  const double ready_deadline = now_s() + 30;
  if (fault != Fault::kReset) {
    for (int r = 0; r < kRanks; ++r) {
      char c = 0;
      if (!pipes[r].read_until(&c, 1, ready_deadline) || c != 'R') {
        t.setup_error = "rank " + std::to_string(r) + " never completed a first iteration";
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 30000));
    t.t_fault = now_s();
    ::kill(pids[victim], fault == Fault::kKill ? SIGKILL : SIGSTOP);
  } else {
    t.t_fault = now_s();
  }
  // Survivors report within 2x the timeout (plus the time to destroy and write): wait longer, so
  // that a late report is measured rather than mistaken for a hang.
  const double deadline = now_s() + 4.0 * kTimeoutMs / 1000.0 + 30;
  for (int r = 0; r < kRanks; ++r) {
    if (fault != Fault::kReset && r == victim) continue;
    Report& rep = t.reports[r];
    if (fault == Fault::kReset) {
      char c = 0;  // the 'R' byte, if the rank got that far
      if (!pipes[r].read_until(&c, 1, deadline)) continue;
      if (c != 'R') {  // no first iteration: the byte is the report's first
        reinterpret_cast<char*>(&rep)[0] = c;
        t.reported[r] = pipes[r].read_until(reinterpret_cast<char*>(&rep) + 1, sizeof rep - 1, deadline);
        continue;
      }
    }
    t.reported[r] = pipes[r].read_until(&rep, sizeof rep, deadline);
  }
  for (int r = 0; r < kRanks; ++r) {
    if (r == victim && fault != Fault::kReset) ::kill(pids[r], SIGKILL);
    if (!t.reported[r] && !(r == victim && fault != Fault::kReset)) ::kill(pids[r], SIGKILL);
    ::waitpid(pids[r], nullptr, 0);
  }
  return t;
}

// The checks every survivor must pass; `stop` also wants the message to name the peer.
void check_survivors(const Trial& t, Op op, int victim, Fault fault, int trial) {
  SCOPED_TRACE(std::string(op_name(op)) + ", trial " + std::to_string(trial) + ", victim rank " +
               std::to_string(victim));
  ASSERT_EQ(t.setup_error, "");
  double t_fault = t.t_fault;
  if (fault == Fault::kReset) {  // the fault strikes mid-loop: time from the first error
    t_fault = 1e300;
    for (int r = 0; r < kRanks; ++r) {
      if (t.reported[r]) t_fault = std::min(t_fault, t.reports[r].t_error);
    }
  }
  for (int r = 0; r < kRanks; ++r) {
    if (r == victim && fault != Fault::kReset) continue;
    SCOPED_TRACE("rank " + std::to_string(r));
    ASSERT_TRUE(t.reported[r]) << "hang: no report within " << 4 * kTimeoutMs / 1000 + 30 << " s";
    const Report& rep = t.reports[r];
    EXPECT_NE(rep.rc, lioncubSuccess) << "the loop ended without an error";
    EXPECT_EQ(rep.wrong, 0) << "a call succeeded with a wrong result";
    const double after = rep.t_error - t_fault;
    EXPECT_LT(after, 2.0 * kTimeoutMs / 1000.0) << "error after " << after << " s: " << rep.message;
    if (fault != Fault::kReset) {
      EXPECT_GT(after, -0.001) << "failed before the fault: " << rep.message;
      EXPECT_GE(rep.iterations, 1);
    }
    EXPECT_STRNE(rep.message, "");
    if (rep.iterations > 0) {
      EXPECT_EQ(rep.rc_after, lioncubInvalidUsage) << "a call after the failure must be refused";
    }
#if defined(__SANITIZE_THREAD__)
    // A forked child has no ThreadSanitizer background thread until the runtime starts one
    // lazily, during the trial: one more thread after than before is that runtime thread.
    EXPECT_LE(rep.threads_after - rep.threads_before, 1) << "threads leaked";
#else
    EXPECT_EQ(rep.threads_after, rep.threads_before) << "threads leaked";
#endif
    EXPECT_EQ(rep.fds_after, rep.fds_before) << "descriptors leaked";
  }
}

void kill_trials(Op op) {
  std::mt19937 rng(static_cast<unsigned>(op) * 77 + 1);
  double worst = 0;
  Report last;
  for (int trial = 0; trial < kTrials; ++trial) {
    const int victim = trial % kRanks;
    Trial t = run_trial(op, victim, Fault::kKill, "", rng);
    check_survivors(t, op, victim, Fault::kKill, trial);
    for (int r = 0; r < kRanks; ++r) {
      if (!t.reported[r]) continue;
      worst = std::max(worst, t.reports[r].t_error - t.t_fault);
      last = t.reports[r];
    }
    if (::testing::Test::HasFailure()) break;
  }
  std::printf("%s: %d trials, slowest survivor error %.3f s after SIGKILL (bound %.1f s)\n",
              op_name(op), kTrials, worst, 2.0 * kTimeoutMs / 1000.0);
  std::printf("  e.g. threads %d -> %d, descriptors %d -> %d\n", last.threads_before, last.threads_after,
              last.fds_before, last.fds_after);
}

TEST(Kill, AllgatherVote) { kill_trials(Op::kAllgatherVote); }
TEST(Kill, AlltoallVote) { kill_trials(Op::kAlltoallVote); }
TEST(Kill, Quant2Rs) { kill_trials(Op::kQuant2Rs); }
TEST(Kill, PackedSum) { kill_trials(Op::kPackedSum); }
TEST(Kill, FullAllreduce) { kill_trials(Op::kFull); }
TEST(Kill, MeanAllreduce) { kill_trials(Op::kMean); }
TEST(Kill, LionStep) { kill_trials(Op::kLion); }

// A stopped rank: its peers' waits time out (transfer timeout, or the plugin's stall timeout) and
// return an error within twice the timeout; nothing hangs, nothing leaks.
TEST(Stop, TimeoutsFire) {
  std::mt19937 rng(3);
  const Op ops[] = {Op::kAllgatherVote, Op::kFull, Op::kLion};
  for (int trial = 0; trial < 3; ++trial) {
    const int victim = (trial + 1) % kRanks;
    Trial t = run_trial(ops[trial], victim, Fault::kStop, "", rng);
    check_survivors(t, ops[trial], victim, Fault::kStop, trial);
    for (int r = 0; r < kRanks; ++r) {
      if (t.reported[r]) std::printf("stop %s: rank %d: rc %d after %.3f s: %s\n", op_name(ops[trial]), r,
                                     t.reports[r].rc, t.reports[r].t_error - t.t_fault, t.reports[r].message);
    }
  }
}

// The timeout's message names the stopped peer (its rank) so that an operator knows which
// machine to look at: the host backend's waits add the rank, the peer and the direction to the
// plugin's error (whose own message, with the peer's address, reaches only the log).
TEST(Stop, TimeoutMessageNamesThePeer) {
  std::mt19937 rng(4);
  const int victim = 2;
  Trial t = run_trial(Op::kAllgatherVote, victim, Fault::kStop, "", rng);
  check_survivors(t, Op::kAllgatherVote, victim, Fault::kStop, 0);
  // The survivor that receives from the victim in the ring (victim + 1) times out first.
  const Report& rep = t.reports[(victim + 1) % kRanks];
  EXPECT_EQ(rep.rc, lioncubTimeout) << rep.message;
  EXPECT_NE(std::string(rep.message).find("rank " + std::to_string(victim)), std::string::npos)
      << rep.message;
}

// A connection reset in the middle of a message (the transport's fault hook, in one rank):
// every rank returns an error, none a wrong result. comm=N only where every connection carries
// traffic (all-to-all); the rings use one send and one receive comm per rank.
TEST(Reset, MidMessageIsAnErrorNotWrongData) {
  std::mt19937 rng(5);
  const struct {
    Op op;
    const char* spec;
  } cases[] = {
      {Op::kAllgatherVote, "reset:side=send,stream=0,after=40000"},  // a data chunk
      {Op::kAlltoallVote, "reset:side=recv,stream=c,after=9000,comm=1"},    // control / inline
      {Op::kQuant2Rs, "reset:side=send,stream=1,after=30001"},
      {Op::kPackedSum, "reset:side=recv,stream=0,after=20000"},
      {Op::kFull, "reset:side=send,stream=1,after=100000"},  // the ring uses one send comm
      {Op::kMean, "reset:side=recv,stream=1,after=65537"},
      {Op::kLion, "reset:side=send,stream=c,after=50000"},  // small buckets: inline payloads
  };
  int trial = 0;
  for (const auto& c : cases) {
    for (int k = 0; k < 2; ++k, ++trial) {
      const int victim = trial % kRanks;
      Trial t = run_trial(c.op, victim, Fault::kReset, c.spec, rng);
      SCOPED_TRACE(c.spec);
      check_survivors(t, c.op, victim, Fault::kReset, trial);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace lioncub::test
