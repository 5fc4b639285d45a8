#include "common/settings.h"

#include <cstdlib>

namespace lioncub {

long env_ms(const char* var, long def) {
  const char* v = std::getenv(var);
  if (v == nullptr || *v == '\0') return def;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (end == v || *end != '\0' || x <= 0) return def;
  return x;
}

}  // namespace lioncub
