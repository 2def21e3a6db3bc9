#pragma once
// The steering subcommands of pilotagectl, registered on its CLI11 app.

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "pilotage/pilotagectl/steering.h"

namespace pilotage::pilotagectl {

struct SteeringCli {
  AwardOptions award;
  ReviewOptions review;
  ActionOpenOptions action_open;
  ActionCloseOptions action_close;
  ObservationsOptions observations;
  DecisionOptions confirm;
  DecisionOptions waive;
  ReportOptions ledger;
  ReportOptions actions;
  ReportOptions statements;
  ReportOptions reviews;
  StatementOptions statement;
  int64_t annual_budget_cents = 0;
  std::string statement_catch_up_wait = "0s";  // --catch-up-wait of `statement`

  CLI::App* award_cmd = nullptr;
  CLI::App* review_cmd = nullptr;
  CLI::App* action_open_cmd = nullptr;
  CLI::App* action_close_cmd = nullptr;
  CLI::App* observations_cmd = nullptr;
  CLI::App* confirm_cmd = nullptr;
  CLI::App* waive_cmd = nullptr;
  CLI::App* ledger_cmd = nullptr;
  CLI::App* actions_cmd = nullptr;
  CLI::App* statements_cmd = nullptr;
  CLI::App* reviews_cmd = nullptr;
  CLI::App* statement_cmd = nullptr;
};

// Adds `lot award`, `review record`, `action open|close`,
// `penalty observations|confirm|waive`, `ledger`, `actions`, `reviews`,
// `statement`, `statements`.
void AddSteeringCommands(CLI::App& app, SteeringCli& cli);

// Runs the steering subcommand that was parsed, with the store under
// `data_dir`; nullopt when none was.
std::optional<absl::Status> RunSteering(SteeringCli& cli, const std::filesystem::path& data_dir,
                                        std::ostream& out);

}  // namespace pilotage::pilotagectl
