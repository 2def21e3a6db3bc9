#include "table_text.h"

namespace pilotage::pilotagectl {

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Pad(const std::string& s, size_t width) {
  const size_t n = DisplayWidth(s);
  return n >= width ? s : s + std::string(width - n, ' ');
}

std::string PadLeft(const std::string& s, size_t width) {
  const size_t n = DisplayWidth(s);
  return n >= width ? s : std::string(width - n, ' ') + s;
}

}  // namespace pilotage::pilotagectl
