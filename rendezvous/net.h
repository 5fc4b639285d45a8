// Sockets of the rendezvous store: resolving, binding, connecting with deadlines, and exact
// reads and writes with deadlines. Every wait is a poll of at most one second, so no timeout is
// ever cast to an int that it overflows.
#pragma once

#include <cstddef>
#include <string>

namespace lioncub::rendezvous {

struct Endpoint;

// A listening socket on `at`, non-blocking. The host is bound as given (its first address);
// the wildcard of its family when `any`, when the host is 0.0.0.0, ::, or *, or when
// LIONCUB_STORE_BIND=any; LIONCUB_STORE_BIND=<address> binds that address instead. *port gets
// the bound port (at.port 0: ephemeral). Throws Error naming the address.
int listen_on(const Endpoint& at, bool any, int* port);
// A connected socket, retrying refused connects until deadline_s; Error(lioncubTimeout) then.
int connect_to(const Endpoint& at, double deadline_s);
// false on EOF, error or deadline.
bool read_exact(int fd, void* p, size_t n, double deadline_s);
bool write_exact(int fd, const void* p, size_t n, double deadline_s);

}  // namespace lioncub::rendezvous
