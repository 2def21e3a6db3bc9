#pragma once
// Environment variables as command-line defaults. Header-only; reads the
// environment (std::getenv: not to be called while another thread sets it).

#include <cstdlib>
#include <string>

namespace pilotage::service {

// The value of the environment variable `name`, or `fallback` when it is
// unset or empty (e.g. a --data default shown by --help as it will be used).
inline std::string EnvOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace pilotage::service
