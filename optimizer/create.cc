// Creating and destroying an optimizer (lion.h): checks, resolution, agreement, buffers.
#include <algorithm>
#include <memory>

#include "collectives/comm.h"
#include "collectives/link_model.h"
#include "common/error.h"
#include "common/handles.h"
#include "optimizer/lion.h"

lioncubLion::~lioncubLion() {
  if (be == nullptr) return;
  // Released on the communicator's device; the pipeline first (its thread may not outlive us).
  lioncub::lion::DeviceScope scope(*be);
  pipe.reset();
  for (lioncub::lion::Buffer* b : {&sign_in, &nz_in, &sign_out, &nz_out, &scratch, &flag, &flag_sum,
                                   &tmp_sign, &tmp_nz}) {
    b->reset();
  }
  step_done.reset();
}

namespace lioncub::lion {

lioncubLion* create(lioncubComm_t comm, const std::vector<size_t>& sizes, lioncubDataType_t dtype,
                    const lioncubLionConfig_t* cfg) {
  // Bound the sizes before anything is sized from them (buckets, planes, scratch).
  size_t total = 0;
  for (size_t n : sizes) {
    if (n > LIONCUB_MAX_ELEMENTS - total) {
      raise(lioncubInvalidArgument, "the tensors hold more than LIONCUB_MAX_ELEMENTS (2^40) elements");
    }
    total += n;
  }
  if (comm == nullptr || cfg == nullptr) raise(lioncubInvalidArgument, "comm or cfg is NULL");
  check_config(cfg, dtype, sizes.size());
  if (!coll::comm_handles().live(comm)) {
    raise(lioncubInvalidUsage, "comm is not a live communicator (destroyed already?)");
  }
  coll::Backend& be = *comm->backend;
  auto o = std::make_unique<lioncubLion>();
  o->comm = comm;
  o->s = resolve(*cfg, sizes, dtype, be, comm->link);
  const Setup& s = o->s;
  o->buckets = make_buckets(s.numels, s.bucket, s.block);
  o->sched = Schedule{s.cfg.momentumSync, s.cfg.momentumSyncEvery, double(s.cfg.momentumSyncExpK)};
  if (!s.exact) {  // auto resolved once per bucket, as the collectives would per call
    for (const Bucket& b : o->buckets) {
      lioncubAlgorithm_t a = s.cfg.algorithm;
      if (a == lioncubAlgoAuto) {
        a = coll::choose_sign_algorithm(s.nranks, b.end - b.begin, s.ternary, s.cfg.tie, comm->link);
      }
      o->bucket_algo.push_back(a);
    }
  }

  DeviceScope scope(be);
  be.set_stream(nullptr);
  agree(be, s);
  o->backend = comm->backend;
  o->be = &be;  // from here on the destructor releases what follows on the right device
  const size_t W = (s.total + 31) / 32;
  o->sign_in.allocate(be, W * 4);
  o->nz_in.allocate(be, W * 4);
  if (!s.exact) {
    o->sign_out.allocate(be, W * 4);
    o->nz_out.allocate(be, W * 4);
  }
  const bool needs_scratch = s.nranks > 1 && (s.cfg.algorithm == lioncubAlgoFull ||
                                              (dtype == lioncubBfloat16 && s.cfg.momentumSync != lioncubSyncNever));
  if (needs_scratch) o->scratch.allocate(be, s.total * 4);
  o->flag.allocate(be, sizeof(int));
  o->flag_sum.allocate(be, sizeof(int));
  size_t longest = 0;  // the planes of a piece that starts inside a word
  for (const Bucket& b : o->buckets) {
    for (const Piece& p : b.encode_pieces) {
      if (p.flat % 32 != 0) longest = std::max(longest, p.len);
    }
    for (const Piece& p : b.apply_pieces) {
      if (p.flat % 32 != 0) longest = std::max(longest, p.len);
    }
  }
  if (longest > 0) {
    o->tmp_sign.allocate(be, ((longest + 31) / 32 + 1) * 4);
    o->tmp_nz.allocate(be, ((longest + 31) / 32 + 1) * 4);
  }
  o->step_done.create(be);
  if (s.nranks > 1) o->pipe = std::make_unique<Pipeline>(be, o->buckets.size());
  lioncubLion* raw = o.release();
  coll::lion_handles().add(raw);
  return raw;
}

}  // namespace lioncub::lion
