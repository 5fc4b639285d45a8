// The tests of the collectives, the optimizer and the faults include this name; the harness
// itself (forked ranks over loopback) is tests/support/ranks.h.
#pragma once

#include "support/ranks.h"
