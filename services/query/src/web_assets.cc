// The dashboard's files (web_assets.h).
#include "web_assets.h"

#include <fstream>
#include <sstream>
#include <string>

#include "fmt/format.h"

namespace pilotage::query {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDashboardPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ContentType(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".woff") return "font/woff";
  if (ext == ".map") return "application/json";
  return "application/octet-stream";
}

}  // namespace

absl::Status AddDashboardRoutes(http::Routes& routes, const fs::path& web_dir) {
  const fs::path index = web_dir / "index.html";
  if (!fs::exists(index)) {
    return absl::NotFoundError(fmt::format(
        "--web-dir: {} has no index.html (build the target query-web)", web_dir.string()));
  }
  auto page = [index](const http::Request&, http::Response& res) {
    // Only this origin's own files run: an injected inline script or
    // a foreign source is blocked; no framing (clickjacking).
    res.set_header("Content-Security-Policy", kDashboardPolicy);
    res.set_content(ReadFile(index), "text/html; charset=utf-8");
  };
  routes.Get("/", page);
  routes.Get("/national", page);
  routes.Get("/quality", page);
  // Fund usage, trends, quarterly bilan (print), accessibility statement
  // (decision 0038).
  for (const char* path : {"/funds", "/trends", "/bilan", R"(/bilan/[^/]+)", "/accessibilite"}) {
    routes.Get(path, page);
  }
  routes.Get(R"(/lot/[^/]+)", page);
  routes.Get(R"(/lot/[^/]+/penalties/[^/]+)", page);
  // The State's design system (decision 0044) lives in assets/dsfr/ with
  // its fonts and icons in subfolders: paths of several segments, none
  // starting with a dot (no "..", no hidden file).
  routes.Get(R"(/assets/((?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*))",
             [web_dir](const http::Request& req, http::Response& res) {
               const fs::path file = web_dir / "assets" / req.matches[1];
               if (!fs::is_regular_file(file)) {
                 res.status = 404;
                 return;
               }
               res.set_content(ReadFile(file), ContentType(file));
             });
  return absl::OkStatus();
}

}  // namespace pilotage::query
