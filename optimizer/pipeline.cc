// The communication side of a step (pipeline.h).
#include "optimizer/pipeline.h"

#include <algorithm>

#include "common/error.h"

namespace lioncub::lion {

Worker::Worker() : thread_([this] { loop(); }) {}

Worker::~Worker() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Worker::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> g(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_all();
}

void Worker::loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

Pipeline::Pipeline(coll::Backend& be, size_t nbuckets)
    : be_(be), device_(be.memory() == lioncubMemDevice) {
  if (device_) {
    comm_ = be.stream_create();
    before_.create(be);
    end_.create(be);
    exchanged_ev_.resize(nbuckets);
    for (Event& e : exchanged_ev_) e.create(be);
  } else {
    worker_ = std::make_unique<Worker>();
  }
  exchanged_.assign(nbuckets, 0);
}

Pipeline::~Pipeline() {
  worker_.reset();  // joins: no job runs past here
  if (comm_ != nullptr) be_.stream_destroy(comm_);
}

void Pipeline::begin(cudaStream_t stream) {
  stream_ = stream;
  std::lock_guard<std::mutex> g(mu_);
  std::fill(exchanged_.begin(), exchanged_.end(), 0);
  posted_ = done_ = 0;
  err_ = lioncubSuccess;
  msg_.clear();
  totals_ = CommTotals{};
}

void Pipeline::run_job(long mark, const std::function<void()>& job) {
  bool skip;
  {
    std::lock_guard<std::mutex> g(mu_);
    skip = err_ != lioncubSuccess;
  }
  lioncubResult_t rc = lioncubSuccess;
  std::string msg;
  if (!skip) {
    try {
      job();
    } catch (...) {  // Error, or the net plugin's errors on the host backend
      rc = describe_exception(std::current_exception(), &msg);
    }
  }
  std::lock_guard<std::mutex> g(mu_);
  if (rc != lioncubSuccess && err_ == lioncubSuccess) {
    err_ = rc;
    msg_ = msg;
  }
  if (!skip && rc == lioncubSuccess && mark >= 0) exchanged_[size_t(mark)] = 1;
  ++done_;
  // Under the lock: once the caller sees the last job done it may go on and reuse the state.
  cv_.notify_all();
}

void Pipeline::post(long mark, std::function<void()> job) {
  {
    std::lock_guard<std::mutex> g(mu_);
    ++posted_;
  }
  if (device_) {
    // Enqueued now on the communication stream, after the caller's stream so far; a failure
    // of the ordering calls counts as the job's.
    run_job(mark, [&] {
      be_.event_record(before_.get(), stream_);
      be_.stream_wait(comm_, before_.get());
      be_.set_stream(comm_);
      job();
      if (mark >= 0) be_.event_record(exchanged_ev_[size_t(mark)].get(), comm_);
    });
    be_.set_stream(stream_);
    return;
  }
  worker_->post([this, mark, job = std::move(job)] { run_job(mark, job); });
}

bool Pipeline::ready(size_t b) {
  if (device_) return wait(b);
  std::lock_guard<std::mutex> g(mu_);
  return exchanged_[b] != 0;
}

bool Pipeline::wait(size_t b) {
  if (device_) {
    if (failed()) return false;
    be_.stream_wait(stream_, exchanged_ev_[b].get());
    return true;
  }
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [&] { return exchanged_[b] || err_ != lioncubSuccess; });
  return err_ == lioncubSuccess;
}

bool Pipeline::failed() {
  std::lock_guard<std::mutex> g(mu_);
  return err_ != lioncubSuccess;
}

void Pipeline::abort(lioncubResult_t rc, const std::string& msg) {
  std::lock_guard<std::mutex> g(mu_);
  if (err_ == lioncubSuccess) {
    err_ = rc;
    msg_ = msg;
  }
}

void Pipeline::finish() {
  {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return done_ == posted_; });
  }
  if (device_ && err_ == lioncubSuccess && posted_ > 0) {
    be_.event_record(end_.get(), comm_);
    be_.stream_wait(stream_, end_.get());
  }
  if (err_ != lioncubSuccess) raise(err_, msg_);
}

}  // namespace lioncub::lion
