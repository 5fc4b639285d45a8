// The communicator behind a lioncubComm_t handle: a backend and auto's link model. Shared by the
// collectives' C API (api.cc) and the optimizer, which drives the backend directly.
#pragma once

#include <memory>

#include "collectives/backend/backend.h"
#include "collectives/link_model.h"

struct lioncubComm {
  // Shared: an optimizer created on this communicator keeps the backend alive until it is
  // destroyed itself, whichever of the two handles the application destroys first.
  std::shared_ptr<lioncub::coll::Backend> backend;
  lioncub::coll::Link link;  // auto's link model
  bool checked = false;  // the first collective's arguments were compared across ranks
  bool check_every_call = false;  // LIONCUB_CHECK_ARGS=1
};
