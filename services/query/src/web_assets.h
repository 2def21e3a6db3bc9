#pragma once
// The dashboard's files (the built query-web target): its pages, each the
// same index.html (the client routes), and its assets, served without a
// token.

#include <filesystem>

#include "absl/status/status.h"
#include "pilotage/http/server.h"

namespace pilotage::query {

// Adds to `routes` GET of every dashboard page (/, /national, /quality,
// /funds, /trends, /bilan, /bilan/<q>, /accessibilite, /lot/<id>,
// /lot/<id>/penalties/<p>) answering `web_dir`/index.html under a strict
// Content-Security-Policy (only this origin's own files run; no framing),
// and of /assets/<path> answering `web_dir`/assets/<path> (404 when absent;
// segments of letters, digits, '.', '_', '-', none starting with a dot: no
// way out of assets/). Files are read at each request. kNotFound, naming --web-dir, when `web_dir`
// has no index.html. The handlers only read `web_dir`: thread-safe.
[[nodiscard]] absl::Status AddDashboardRoutes(http::Routes& routes,
                                              const std::filesystem::path& web_dir);

}  // namespace pilotage::query
