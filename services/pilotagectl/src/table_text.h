#pragma once
// Text for the French tables pilotagectl prints for pilots: column padding
// by display width (UTF-8 accents count as one column). Figures come from
// domain/french.h.

#include <cstddef>
#include <string>

namespace pilotage::pilotagectl {

// Display width of UTF-8 text: the bytes that start a code point.
size_t DisplayWidth(const std::string& s);
// `s` padded with spaces on the right (Pad) or left (PadLeft) to `width`
// columns; unchanged when already as wide.
std::string Pad(const std::string& s, size_t width);
std::string PadLeft(const std::string& s, size_t width);

}  // namespace pilotage::pilotagectl
