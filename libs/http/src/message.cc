#include "pilotage/http/message.h"

#include <algorithm>
#include <cctype>

namespace pilotage::http {
namespace {

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

const std::string* Find(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (SameName(k, name)) return &v;
  }
  return nullptr;
}

}  // namespace

bool Request::has_header(std::string_view name) const { return Find(headers, name) != nullptr; }

std::string Request::header(std::string_view name) const {
  const std::string* v = Find(headers, name);
  return v == nullptr ? std::string() : *v;
}

void Response::set_header(std::string_view name, std::string value) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& field) { return SameName(field.first, name); }),
                headers.end());
  headers.emplace_back(std::string(name), std::move(value));
}

bool Response::has_header(std::string_view name) const { return Find(headers, name) != nullptr; }

std::string Response::header(std::string_view name) const {
  const std::string* v = Find(headers, name);
  return v == nullptr ? std::string() : *v;
}

}  // namespace pilotage::http
