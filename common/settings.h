// lioncub's library settings (environment variables).
#pragma once

namespace lioncub {

// Milliseconds from `var` (a positive integer), else `def`.
long env_ms(const char* var, long def);

}  // namespace lioncub
