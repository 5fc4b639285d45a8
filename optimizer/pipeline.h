// The communication side of a step with P > 1, one abstraction for both backends:
//
//   host backend    a worker thread owns the communicator and runs the posted jobs one at a time
//                   in posting order (the same on every rank, so the collectives match) while the
//                   caller's thread encodes and applies;
//   device backend  the jobs are enqueued at once on a second stream; an event recorded on the
//                   caller's stream before each job orders it after everything the caller's side
//                   enqueued so far, and one event per bucket orders that bucket's apply after
//                   its exchange. Exchange and encode/apply overlap on the device.
//
// The step strategies (strategies.cc) are written once against post / ready / wait / finish.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collectives/backend/backend.h"
#include "optimizer/device.h"

namespace lioncub::lion {

// Runs posted jobs one at a time, in order, on its own thread.
class Worker {
 public:
  Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();
  void post(std::function<void()> job);

 private:
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

// What the communication side accounts during one step; written by the jobs, read after finish().
struct CommTotals {
  double seconds_exchange = 0, seconds_sync = 0;
  lioncubAlgorithm_t algorithm = lioncubAlgoAuto;
  int non_finite = 0;
};

class Pipeline {
 public:
  Pipeline(coll::Backend& be, size_t nbuckets);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // A new step whose caller's side runs on `stream`.
  void begin(cudaStream_t stream);
  // Runs job on the communication side after everything the caller's side did so far. mark >= 0:
  // the job is bucket mark's exchange (ready / wait follow it).
  void post(long mark, std::function<void()> job);
  // Whether bucket b's exchange is done, without blocking (device: orders the caller's stream
  // after it and says yes).
  bool ready(size_t b);
  // Until bucket b's exchange is done (device: orders the caller's stream after it); false when
  // the step failed.
  bool wait(size_t b);
  bool failed();
  // A failure on the caller's side: the jobs not yet run are skipped.
  void abort(lioncubResult_t rc, const std::string& msg);
  // Until every job ran (device: the caller's stream after the communication stream); throws the
  // first failure of the step.
  void finish();
  CommTotals& totals() { return totals_; }

 private:
  void run_job(long mark, const std::function<void()>& job);

  coll::Backend& be_;
  const bool device_;
  std::unique_ptr<Worker> worker_;  // host
  cudaStream_t comm_ = nullptr;     // device
  Event before_, end_;              // device
  std::vector<Event> exchanged_ev_; // device, per bucket
  cudaStream_t stream_ = nullptr;   // the caller's

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<char> exchanged_;  // host, per bucket
  size_t posted_ = 0, done_ = 0;
  lioncubResult_t err_ = lioncubSuccess;
  std::string msg_;
  CommTotals totals_;
};

}  // namespace lioncub::lion
