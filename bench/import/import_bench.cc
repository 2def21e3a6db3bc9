// bench-import: writes a CSV of N appointment_held lines (default 2,000,000,
// one operator, one lot, spread over 2024, each with its recording day), then
// runs the real `pilotagectl import` on it against the benchmark's broker and
// measures the whole command: both passes (validation, then writing with
// acks=all), until every event and the import's record are acknowledged.
// Checks that the topic holds exactly N events. Prints
// `BENCH import lines_per_s=… peak_rss_mib=… lines=… seconds=…` last;
// peak_rss_mib is the import process's maximum resident set (wait4).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/service/service.h"

namespace {

namespace fs = std::filesystem;
constexpr int kPartitions = 4;

void WriteCsv(const fs::path& path, int64_t lines) {
  std::ofstream out(path, std::ios::trunc);
  out << "lot_id;date_rdv;date_saisie;beneficiaire;id_rdv;niveau;modalite;type_accompagnement;"
         "duree_minutes;departement\n";
  static const char* kModality[] = {"présentiel", "téléphone", "visio"};
  static const char* kDept[] = {"75", "77", "78", "91", "92", "93", "94", "95"};
  std::string buf;
  for (int64_t i = 0; i < lines; ++i) {
    const int day = static_cast<int>(i % 360);  // 2024-01-03 .. 2024-12-27
    const int month = 1 + day / 30, dom = 3 + day % 25;
    buf += fmt::format(
        "LOT-11;2024-{:02}-{:02} {:02}:{:02};2024-{:02}-{:02};ben-{:08x};R-{};{};{};{};"
        "{};{}\n",
        month, dom, 8 + i % 10, (i * 7) % 60, month, dom, (i * 2654435761u) & 0xffffffffu, i,
        1 + i % 2, kModality[i % 3], i % 4 ? "ponctuel" : "dans la durée", 30 + i % 60,
        kDept[i % 8]);
    if (buf.size() > (1 << 20)) {
      out << buf;
      buf.clear();
    }
  }
  out << buf;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench-import: pilotagectl import of a large generated CSV into a real broker"};
  std::string bootstrap;
  int64_t lines = 2000000;
  fs::path work_dir = "build/bench";
  app.add_option("--bootstrap", bootstrap, "Kafka bootstrap (default: the local test broker)")
      ->envname("PILOTAGE_KAFKA_BOOTSTRAP");
  app.add_option("--lines", lines, "lines of the generated file")->capture_default_str();
  app.add_option("--work-dir", work_dir, "where the file and the lot file are written")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (bootstrap.empty()) {
    auto b = pilotage::kafka::BootstrapFromEnvironment();
    if (!b.ok()) return pilotage::service::Fail("bench-import", b.status());
    bootstrap = *b;
  }
  const fs::path ctl = fs::read_symlink("/proc/self/exe").parent_path() / "pilotagectl";
  fs::create_directories(work_dir);
  const fs::path csv = work_dir / "import-bench.csv";
  const fs::path lots = work_dir / "import-bench-lots.json";
  {
    std::ofstream out(lots, std::ios::trunc);
    // A whole lot entry: pilotagectl reads it with the one lot-file reader
    // (libs/domain/lot_file.h), which checks every field.
    out << R"({"lots": [{"lot_id": "LOT-11", "region": "Île-de-France", "region_code": "11",
      "operator_id": "op-bench", "working_population_k": 5650, "start_date": "2024-01-02",
      "end_date": "2028-01-01", "annual_budget_cents": 1701600000, "departements": [
      {"code": "75", "population_k": 2133}, {"code": "77", "population_k": 1421},
      {"code": "78", "population_k": 1448}, {"code": "91", "population_k": 1306},
      {"code": "92", "population_k": 1624}, {"code": "93", "population_k": 1655},
      {"code": "94", "population_k": 1407}, {"code": "95", "population_k": 1249}]}]})"
        << "\n";
  }
  const auto gen_start = std::chrono::steady_clock::now();
  WriteCsv(csv, lines);
  std::cerr << fmt::format(
      "generated {} lines ({:.0f} MiB) in {:.1f}s\n", lines,
      static_cast<double>(fs::file_size(csv)) / (1 << 20),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - gen_start).count());

  auto admin = pilotage::kafka::Admin::Create(bootstrap);
  if (!admin.ok()) return pilotage::service::Fail("bench-import", admin.status());
  const std::string suffix = std::to_string(::getpid());
  const std::string activity = "bench.import.activity." + suffix;
  const std::string contract = "bench.import.contract." + suffix;
  for (const auto& t : {activity, contract}) {
    if (auto s = (*admin)->CreateTopic(t, kPartitions); !s.ok()) {
      return pilotage::service::Fail("bench-import", s);
    }
  }

  std::vector<std::string> args = {
      ctl.string(), "import",   "--bootstrap",      bootstrap,    "--lots", lots.string(),
      "--operator", "op-bench", "--file",           csv.string(), "--type", "appointment_held",
      "--topic",    activity,   "--contract-topic", contract,     "--by",   "bench-import"};
  std::vector<char*> argv_c;
  for (auto& a : args) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::freopen("/dev/null", "w", stdout);  // the report; progress stays on stderr
    ::execv(argv_c[0], argv_c.data());
    std::perror("execv pilotagectl");
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  if (::wait4(pid, &status, 0, &usage) != pid) {
    std::perror("wait4");
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << fmt::format("bench-import: pilotagectl import failed (status {})\n", status);
    return 1;
  }
  int64_t written = 0;
  for (int p = 0; p < kPartitions; ++p) {
    auto w = (*admin)->QueryWatermarks({activity, p});
    if (!w.ok()) return pilotage::service::Fail("bench-import", w.status());
    written += w->high - w->low;
  }
  if (written != lines) {
    std::cerr << fmt::format("bench-import: the topic holds {} events, expected {}\n", written,
                             lines);
    return 1;
  }
  std::error_code ec;
  fs::remove(csv, ec);
  const double rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is KiB
  std::cout << fmt::format(
      "BENCH import lines_per_s={:.0f} peak_rss_mib={:.1f} lines={} "
      "seconds={:.1f} cpu_s={:.1f}\n",
      lines / seconds, rss_mib, lines, seconds,
      usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
          (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
  return 0;
}
