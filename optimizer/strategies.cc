// One step (lion.h), as three strategies over the same bucket operations:
//
//   local       one rank: encode + apply each bucket (plain Lion), nothing exchanged;
//   full        post the gradient allreduce of every bucket; encode + apply bucket b as soon as
//               its average arrived [then post sync(b)];
//   compressed  encode b -> post exchange(b) [and sync(b)] -> apply every bucket whose exchange
//               is done; so exchanging b overlaps encoding b+1 and applying b-1.
//
// The communication side is the Pipeline (pipeline.h): a worker thread on a host communicator,
// a second stream with events on a device one. The last job of a step with P > 1 sums the
// non-finite flag.
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "optimizer/lion.h"

namespace lioncub::lion {
namespace {

// The caller's side of one step: its busy seconds, and the non-finite flag on the host.
struct CallerSide {
  double encode = 0, apply = 0;
  int host_flag = 0;
  int* flag = nullptr;  // what encode writes: &host_flag, or the device flag
};

template <class F>
void timed(double& acc, F&& f) {
  const double t0 = now_s();
  f();
  acc += now_s() - t0;
}

void step_local(lioncubLion& o, const Ptrs& p, CallerSide& c, cudaStream_t s) {
  for (const Bucket& b : o.buckets) {
    timed(c.encode, [&] { encode_bucket(o, b, p, c.flag, s); });
    timed(c.apply, [&] { apply_bucket(o, b, p, s); });
  }
}

void step_full(lioncubLion& o, const Ptrs& p, CallerSide& c, bool sync, cudaStream_t s) {
  Pipeline& pipe = *o.pipe;
  const size_t nb = o.buckets.size();
  for (size_t b = 0; b < nb; ++b) {
    pipe.post(long(b), [&o, b, &p] { exchange_full(o, o.buckets[b], p); });
  }
  for (size_t b = 0; b < nb; ++b) {
    if (!pipe.wait(b)) return;
    timed(c.encode, [&] { encode_bucket(o, o.buckets[b], p, c.flag, s); });
    timed(c.apply, [&] { apply_bucket(o, o.buckets[b], p, s); });
    if (sync) pipe.post(-1, [&o, b, &p] { sync_momentum(o, o.buckets[b], p); });
  }
}

void step_compressed(lioncubLion& o, const Ptrs& p, CallerSide& c, bool sync, cudaStream_t s) {
  Pipeline& pipe = *o.pipe;
  const size_t nb = o.buckets.size();
  size_t applied = 0;
  for (size_t b = 0; b < nb; ++b) {
    timed(c.encode, [&] { encode_bucket(o, o.buckets[b], p, c.flag, s); });
    if (pipe.failed()) return;
    pipe.post(long(b), [&o, b] { exchange_codes(o, b); });
    if (sync) pipe.post(-1, [&o, b, &p] { sync_momentum(o, o.buckets[b], p); });
    while (applied < b && pipe.ready(applied)) {
      timed(c.apply, [&] { apply_bucket(o, o.buckets[applied], p, s); });
      ++applied;
    }
  }
  while (applied < nb && !pipe.failed()) {
    if (!pipe.wait(applied)) return;
    timed(c.apply, [&] { apply_bucket(o, o.buckets[applied], p, s); });
    ++applied;
  }
}

}  // namespace

void run_step(lioncubLion& o, const Ptrs& p, cudaStream_t s) {
  const double t_start = now_s();
  const bool device = o.s.mem == lioncubMemDevice;
  const int P = o.s.nranks;
  SchedulePos next_pos = o.pos;
  const bool sync = sync_fires(o.sched, o.step, &next_pos);
  const coll::Traffic before = o.be->traffic();
  CallerSide c;
  c.flag = device ? o.flag.as<int>() : &c.host_flag;
  if (device) {  // the flag is zeroed in stream order, before this step's encodes
    o.be->set_stream(s);
    o.be->fill(o.flag.as<int>(), 0, sizeof(int));
  }
  if (P == 1) {
    try {
      step_local(o, p, c, s);
    } catch (const Error& e) {
      o.broken = e.code != lioncubInvalidArgument;
      throw;
    }
  } else {
    Pipeline& pipe = *o.pipe;
    pipe.begin(s);
    try {
      if (o.s.exact) {
        step_full(o, p, c, sync, s);
      } else {
        step_compressed(o, p, c, sync, s);
      }
      if (!o.buckets.empty() && !pipe.failed()) {
        pipe.post(-1, [&o, &c] { exchange_flag(o, &c.host_flag); });
      }
    } catch (...) {  // let the queued jobs see the failure and skip
      std::string msg;
      const lioncubResult_t rc = describe_exception(std::current_exception(), &msg);
      pipe.abort(rc, msg);
    }
    try {
      pipe.finish();
    } catch (const Error&) {
      o.broken = true;
      throw;
    }
  }
  if (device) o.be->event_record(o.step_done.get(), s);

  const CommTotals t = P > 1 ? o.pipe->totals() : CommTotals{};
  lioncubLionStats_t& st = o.stats;
  st = lioncubLionStats_t{};
  st.step = o.step;
  st.algorithm = o.s.exact ? lioncubAlgoFull : t.algorithm;
  st.bytesSent = o.be->traffic().sent - before.sent;
  st.bytesReceived = o.be->traffic().received - before.received;
  st.secondsEncode = c.encode;
  st.secondsApply = c.apply;
  st.secondsExchange = t.seconds_exchange;
  st.secondsSync = t.seconds_sync;
  st.momentumSynced = sync ? 1 : 0;
  st.nonFinite = P > 1 ? t.non_finite : c.host_flag;  // device: read by lioncubLionGetStats
  ++o.step;
  ++o.tie_step;
  o.pos = next_pos;
  st.secondsTotal = now_s() - t_start;
}

}  // namespace lioncub::lion
