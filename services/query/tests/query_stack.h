#pragma once
// A running stack for the query service's tests: two golden scenarios of
// tests/fixtures/cep (may-every-kpi: LOT-94; closing-late: LOT-11) produced
// to a real broker, folded by the real pilotage-projector until caught up,
// with the steering events of fixtures/steering-lot-94.ndjson (README.md
// there), then served by a real pilotage-query process with a pilot token and an
// operator token holding LOT-94 only. The service logs JSON lines into
// dir()/query.log and writes decisions to the stack's contract topic.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::query_test {

inline constexpr char kPilotToken[] = "pilot-token-for-tests";
inline constexpr char kPilot2Token[] = "second-pilot-token-for-tests";
inline constexpr char kCorseToken[] = "op-corse-token-for-tests";  // LOT-94 only

class QueryStack {
 public:
  // Starts everything; check ok() (failures are reported as test failures).
  // `extra_scenarios`: folders of fixtures/ laid out as tests/fixtures/cep
  // scenarios (events.ndjson, contract.ndjson, terms/, expected.json),
  // produced after the steering events, e.g. {"funds-lot-95"}.
  explicit QueryStack(const std::vector<std::string>& extra_scenarios = {});
  ~QueryStack();
  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string base_url() const;
  const std::filesystem::path& dir() const { return dir_.path(); }

  struct Answer {
    int status = 0;
    nlohmann::json body;
    std::string text;
  };
  // Runs `pilotage-projector rebuild --into DATA/stores/<name>` on the
  // stack's topics (it repoints DATA/current when done); its exit code.
  int Rebuild(const std::string& name) const;

  // Sends the first activity event of may-every-kpi again (a resent copy:
  // same event id) and folds it with `pilotage-projector run
  // --until-caught-up`: the stored offsets move, no figure changes. The
  // projector's exit code.
  int ResendAndFold() const;

  // GET `path` (with query string) with `token` ("" for none).
  Answer Get(const std::string& path, const std::string& token = kPilotToken) const;
  // The same from another pilotage-query of the stack (StartQueryOn's URL).
  Answer GetAt(const std::string& base_url, const std::string& path,
               const std::string& token = kPilotToken) const;

  // POST `body` (JSON) to `path` of the service at `base_url` ("" for the
  // stack's) with `token` ("" for none) and `headers` (the dashboard's
  // X-Requested-With is not added: pass it).
  Answer Post(const std::string& path, const std::string& body, const std::string& token,
              const std::vector<std::pair<std::string, std::string>>& headers,
              const std::string& base_url = "") const;

  // Folds what the topics hold with `pilotage-projector run
  // --until-caught-up` (decisions written by the service); its exit code.
  int Fold() const;
  // That command: the program, then its arguments.
  std::vector<std::string> FoldCommand() const;

  // The `written` events written to the contract topic after the stack's
  // own (decisions), in order.
  std::vector<v1::Event> WrittenContractEvents(size_t written) const;

  // Starts another pilotage-query over the same store, judging closings and
  // deadlines as on `today` (YYYY-MM-DD, its --today); its base URL, "" when
  // it did not become ready (a test failure is reported). Stopped with the
  // stack.
  std::string StartQueryOn(const std::string& today);

 private:
  struct Started {
    pid_t pid = -1;
    int port = -1;
  };
  // Spawns pilotage-query with the stack's options and `extra` flags, logs
  // in DIR/<name>.log, and waits until it is ready.
  Started StartQuery(const std::string& name, const std::vector<std::string>& extra) const;

  testing::TempDir dir_;
  std::string bootstrap_, activity_, contract_, dead_, rejected_;
  size_t contract_records_ = 0;  // written by the stack itself
  std::filesystem::path tokens_;
  pid_t query_pid_ = -1;
  std::vector<pid_t> others_;
  int port_ = -1;
};

}  // namespace pilotage::query_test
