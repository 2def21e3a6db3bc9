#pragma once
// The HTTP request and response that pilotage's handlers see (decision
// 0025): plain values, independent of the HTTP library beneath, so that no
// service includes it. Not thread-safe; a handler owns the pair it is given.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pilotage::http {

// Header fields in arrival order; names compare case-insensitively.
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  // As sent: "GET", "POST", ...
  std::string method;
  // The request target as sent: "/api/v1/lots?quarter=2024-Q1".
  std::string target;
  // The target's path, percent-decoded: "/api/v1/lots".
  std::string path;
  // The query string's parameters, percent-decoded ('+' is a space); a key
  // given twice appears twice.
  std::multimap<std::string, std::string> params;
  Headers headers;
  std::string body;
  // The route's regular expression matched against `path`: [0] the whole
  // path, [1...] its capture groups.
  std::vector<std::string> matches;

  bool has_header(std::string_view name) const;
  // The first field named `name` (any case); "" when there is none.
  std::string header(std::string_view name) const;
};

struct Response {
  int status = 200;
  // Fields besides Content-Type, Content-Length and Connection, which the
  // server writes itself.
  Headers headers;
  std::string body;
  // Empty: no Content-Type field.
  std::string content_type;
  // Why the server itself chose the status (a limit or framing refusal, no
  // route, a handler that threw), for the error handler's message; never
  // sent. Empty otherwise.
  std::string reason;

  void set_content(std::string content, std::string type) {
    body = std::move(content);
    content_type = std::move(type);
  }
  // Replaces any field of that name (any case).
  void set_header(std::string_view name, std::string value);
  bool has_header(std::string_view name) const;
  std::string header(std::string_view name) const;
};

}  // namespace pilotage::http
