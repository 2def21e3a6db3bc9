#pragma once
// A small memo table per thread, for the fold's hot date computations.

#include <array>
#include <cstddef>
#include <memory>

namespace pilotage::domain {

// The calling thread's table of N slots, value-initialised and allocated on
// the heap at the thread's first call, then reused until the thread ends.
// Not a `thread_local std::array`: glibc carves a program's static
// thread-local storage out of every thread's stack, including the threads
// libraries start with small stacks (civetweb's, under prometheus-cpp's
// exposer, crashed with tens of KiB of tables taken from its 100 KiB).
// Each (Slot, N) has its own table; a function's local Slot type makes it
// that function's.
template <typename Slot, std::size_t N>
std::array<Slot, N>& PerThreadTable() {
  thread_local std::unique_ptr<std::array<Slot, N>> table;
  if (table == nullptr) table = std::make_unique<std::array<Slot, N>>();
  return *table;
}

}  // namespace pilotage::domain
