#include "rendezvous/store.h"

#include <chrono>

#include "common/clock.h"
#include "common/error.h"
#include "rendezvous/crypto.h"

namespace lioncub::rendezvous {

bool slice(const std::vector<uint8_t>& v, uint32_t offset, uint32_t length,
           std::vector<uint8_t>* out) {
  if (offset > v.size()) return false;
  const size_t n = length == 0 ? v.size() - offset : length;
  if (n > v.size() - offset) return false;
  out->assign(v.begin() + offset, v.begin() + offset + static_cast<std::ptrdiff_t>(n));
  return true;
}

MemoryStore::MemoryStore() {
  crypto::random(id_.data(), id_.size());
}

void MemoryStore::set(const std::string& key, const std::vector<uint8_t>& value, double) {
  std::unique_lock<std::mutex> lock(mu_);
  if (data_.count(key) != 0) {
    const std::string why = "key '" + key + "' registered twice";
    abort_code_ = lioncubInvalidUsage;
    abort_why_ = why;
    cv_.notify_all();
    raise(lioncubInvalidUsage, "rendezvous: " + why);
  }
  data_[key] = value;
  cv_.notify_all();
}

std::vector<uint8_t> MemoryStore::get(const std::string& key, uint32_t offset, uint32_t length,
                                      double deadline_s, const std::string& who) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto it = data_.find(key);
    if (it != data_.end() && abort_code_ == lioncubSuccess) {
      std::vector<uint8_t> out;
      if (!slice(it->second, offset, length, &out)) {
        raise(lioncubInvalidUsage, "rendezvous: key '" + key + "' is shorter than asked");
      }
      return out;
    }
    if (abort_code_ != lioncubSuccess) raise(abort_code_, "rendezvous aborted: " + abort_why_);
    const double left = deadline_s - now_s();
    if (left <= 0)
      raise(lioncubTimeout, "rendezvous: " + who + " did not arrive before the deadline");
    cv_.wait_for(lock, std::chrono::duration<double>(std::min(left, 1.0)));
  }
}

void MemoryStore::abort(lioncubResult_t code, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  abort_code_ = code;
  abort_why_ = why;
  cv_.notify_all();
}

}  // namespace lioncub::rendezvous
