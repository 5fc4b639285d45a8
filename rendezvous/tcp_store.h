// The TCP store's client: every rank (rank 0 too) opens one session with the server that rank 0
// runs (store_server.h). The session starts with a hello naming the job, the rank and the world
// size; with LIONCUB_SECRET every request and reply is MACed (wire.h).
//
// Replies are validated before anything is believed: a status or result code outside the
// protocol is lioncubRemoteError, text from the wire is stripped of control characters, a get
// never succeeds without the bytes it asked for, and a reply to another request (sequence
// number) is refused.
#pragma once

#include <string>
#include <vector>

#include "rendezvous/job.h"
#include "rendezvous/store.h"
#include "rendezvous/store_server.h"
#include "rendezvous/wire.h"

namespace lioncub::rendezvous {

class StoreClient final : public Store {
 public:
  // Connects (retrying refused connects until deadline_s, now_s() clock) and says hello as
  // `rank` of `job`; Error naming the store's address when refused or on the deadline.
  StoreClient(const Endpoint& at, const Job& job, int rank, double deadline_s);
  ~StoreClient() override;
  StoreClient(const StoreClient&) = delete;
  StoreClient& operator=(const StoreClient&) = delete;

  void set(const std::string& key, const std::vector<uint8_t>& value, double deadline_s) override;
  std::vector<uint8_t> get(const std::string& key, uint32_t offset, uint32_t length,
                           double deadline_s, const std::string& who) override;
  void done(double deadline_s) override;
  const StoreId& id() const override { return id_; }
  const Job& job() const { return job_; }
  int rank() const { return rank_; }

 private:
  // Sends one request and returns the validated reply; `what` names it in errors.
  wire::Reply call(wire::Request q, double deadline_s, size_t max_value, const std::string& what,
                   const std::string& who);
  [[noreturn]] void fail(lioncubResult_t code, const std::string& why);

  Endpoint at_;
  Job job_;
  int rank_ = 0;
  int fd_ = -1;
  bool broken_ = false;  // a request timed out or failed mid-way: the session is unusable
  wire::Session session_;
  uint64_t seq_ = 0;
  StoreId id_{};
};

}  // namespace lioncub::rendezvous
