#include "fault.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "log.h"

namespace lioncub::net {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool to_u64(std::string_view v, uint64_t* out) {
  if (v.empty()) return false;
  uint64_t mult = 1;
  switch (v.back()) {
    case 'K': case 'k': mult = uint64_t{1} << 10; break;
    case 'M': case 'm': mult = uint64_t{1} << 20; break;
    case 'G': case 'g': mult = uint64_t{1} << 30; break;
    default: break;
  }
  if (mult != 1) v.remove_suffix(1);
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size()) return false;
  if (x > UINT64_MAX / mult) return false;
  *out = x * mult;
  return true;
}

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

const char* kind_name(FaultKind k) {
  switch (k) {
    case FaultKind::kShort: return "short";
    case FaultKind::kStall: return "stall";
    case FaultKind::kReset: return "reset";
    case FaultKind::kDelay: return "delay";
  }
  return "?";
}

}  // namespace

std::optional<std::vector<FaultRule>> parse_fault_spec(std::string_view spec, std::string* why) {
  auto bad = [&](const std::string& msg) -> std::optional<std::vector<FaultRule>> {
    if (why != nullptr) *why = msg;
    return std::nullopt;
  };
  std::vector<FaultRule> rules;
  if (trim(spec).empty()) return bad("empty spec");
  if (spec.size() > 4096) return bad("spec longer than 4096 characters");
  for (std::string_view rule_text : split(spec, ';')) {
    rule_text = trim(rule_text);
    if (rule_text.empty()) continue;
    const size_t colon = rule_text.find(':');
    const std::string_view kind = trim(rule_text.substr(0, colon));
    FaultRule r;
    if (kind == "short") {
      r.kind = FaultKind::kShort;
    } else if (kind == "stall") {
      r.kind = FaultKind::kStall;
      r.stream = 0;
    } else if (kind == "reset") {
      r.kind = FaultKind::kReset;
      r.stream = 0;
    } else if (kind == "delay") {
      r.kind = FaultKind::kDelay;
      r.stream = 0;
      r.ms = 20;
    } else {
      return bad("unknown fault \"" + std::string(kind) + "\" (want short, stall, reset or delay)");
    }
    if (colon != std::string_view::npos) {
      for (std::string_view kv : split(rule_text.substr(colon + 1), ',')) {
        kv = trim(kv);
        if (kv.empty()) continue;
        const size_t eq = kv.find('=');
        if (eq == std::string_view::npos) return bad("\"" + std::string(kv) + "\": want key=value");
        const std::string_view key = trim(kv.substr(0, eq)), val = trim(kv.substr(eq + 1));
        uint64_t n = 0;
        const bool num = to_u64(val, &n);
        std::string err;
        if (key == "side") {
          if (val == "send") r.side = FaultSide::kSend;
          else if (val == "recv") r.side = FaultSide::kRecv;
          else if (val == "any") r.side = FaultSide::kAny;
          else err = "side (want send, recv or any)";
        } else if (key == "stream") {
          if (val == "c" || val == "control") r.stream = -1;
          else if (val == "all") r.stream = -2;
          else if (num && n < 64) r.stream = static_cast<int>(n);
          else err = "stream (want c, all or 0..63)";
        } else if (key == "comm") {
          if (num && n < (uint64_t{1} << 31)) r.comm = static_cast<int64_t>(n);
          else err = "comm";
        } else if (key == "max" && r.kind == FaultKind::kShort) {
          if (num && n >= 1) r.max = n;
          else err = "max (want >= 1)";
        } else if (key == "seed" && r.kind == FaultKind::kShort) {
          if (num) r.seed = n;
          else err = "seed";
        } else if (key == "after" && (r.kind == FaultKind::kStall || r.kind == FaultKind::kReset)) {
          if (num) r.after = n;
          else err = "after";
        } else if (key == "ms" && r.kind == FaultKind::kDelay) {
          if (num && n <= 3600000) r.ms = static_cast<int64_t>(n);
          else err = "ms (want 0..3600000)";
        } else if (key == "every" && r.kind == FaultKind::kDelay) {
          if (num && n >= 1) r.every = n;
          else err = "every (want >= 1)";
        } else {
          return bad("unknown key \"" + std::string(key) + "\" for fault " + kind_name(r.kind));
        }
        if (!err.empty()) return bad("bad value \"" + std::string(val) + "\" for " + err);
      }
    }
    rules.push_back(r);
  }
  if (rules.empty()) return bad("no rules");
  return rules;
}

std::shared_ptr<const FaultPlan> load_fault_plan(const char* text) {
  if (text == nullptr || *text == '\0') return nullptr;
  std::string why;
  auto rules = parse_fault_spec(text, &why);
  if (!rules) {
    LIONCUB_NET_WARN("ignoring LIONCUB_NET_FAULT=\"%s\": %s", text, why.c_str());
    return nullptr;
  }
  auto plan = std::make_shared<FaultPlan>();
  plan->rules = std::move(*rules);
  plan->text = text;
  LIONCUB_NET_WARN("fault injection on: LIONCUB_NET_FAULT=\"%s\" (tests only)", text);
  return plan;
}

std::unique_ptr<StreamFault> StreamFault::make(const FaultPlan& plan, FaultSide side, int index,
                                               int64_t comm_number) {
  std::unique_ptr<StreamFault> f;
  for (const FaultRule& r : plan.rules) {
    if (r.side != FaultSide::kAny && r.side != side) continue;
    if (r.stream != -2 && r.stream != index) continue;
    if (r.comm >= 0 && r.comm != comm_number) continue;
    if (!f) f.reset(new StreamFault());
    switch (r.kind) {
      case FaultKind::kShort:
        f->short_max_ = r.max;
        f->rng_ = splitmix(r.seed * 131 + static_cast<uint64_t>(index + 2));
        break;
      case FaultKind::kStall: f->stall_after_ = std::min(f->stall_after_, r.after); break;
      case FaultKind::kReset: f->reset_after_ = std::min(f->reset_after_, r.after); break;
      case FaultKind::kDelay:
        f->delay_ms_ = r.ms;
        f->delay_every_ = r.every;
        break;
    }
  }
  if (f) {
    f->what_ = std::string("injected fault (LIONCUB_NET_FAULT=\"") + plan.text + "\")";
  }
  return f;
}

uint64_t StreamFault::next_random() {
  rng_ = splitmix(rng_);
  return rng_;
}

uint64_t StreamFault::clip(uint64_t want) {
  if (want == 0) return 0;
  uint64_t limit = want;
  if (short_max_ > 0) {
    // Log-uniform over 1..max: as many 1..3-byte calls as 1..3-KiB ones, so every size occurs.
    int bits = 0;
    while (bits < 63 && (uint64_t{2} << bits) <= short_max_) ++bits;
    const uint64_t r = next_random();
    const int b = static_cast<int>(r % static_cast<uint64_t>(bits + 1));
    const uint64_t lo = uint64_t{1} << b;
    const uint64_t pick = std::min(short_max_, lo + (r >> 8) % lo);
    limit = std::min(limit, pick);
  }
  if (stall_after_ != UINT64_MAX) {
    if (total_ >= stall_after_) {
      stalled_ = true;
      return 0;
    }
    limit = std::min(limit, stall_after_ - total_);
  }
  if (reset_after_ != UINT64_MAX && total_ < reset_after_) {
    limit = std::min(limit, reset_after_ - total_);
  }
  return limit;
}

bool StreamFault::moved(uint64_t n) {
  total_ += n;
  return reset_due();
}

bool StreamFault::blocked(int64_t now_ms) {
  if (stalled_ || total_ >= stall_after_) {
    stalled_ = true;
    return true;
  }
  if (delay_ms_ > 0 && ops_ % delay_every_ == 0 && held_for_ != ops_) {
    held_for_ = ops_;
    hold_until_ = now_ms + delay_ms_;
  }
  return now_ms < hold_until_;
}

void reset_socket(int fd) {
  // connect(AF_UNSPEC) disconnects a TCP socket: the kernel sends an RST and the fd stays valid
  // (so epoll registrations and ownership are untouched).
  sockaddr sa{};
  sa.sa_family = AF_UNSPEC;
  [[maybe_unused]] int rc = ::connect(fd, &sa, sizeof(sa));
}

}  // namespace lioncub::net
