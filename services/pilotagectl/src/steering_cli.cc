#include "steering_cli.h"

#include "absl/time/time.h"
#include "fmt/format.h"

namespace pilotage::pilotagectl {
namespace {

constexpr const char* kOnHelp =
    "the day it happened, YYYY-MM-DD (Europe/Paris; default today, never in the future)";

void AddCommon(CLI::App* cmd, SteeringCommon& c, bool writes) {
  cmd->add_option("--lot", c.lot, "the lot, e.g. LOT-11")->required();
  cmd->add_option("--on", c.on, kOnHelp);
  if (!writes) return;
  cmd->add_option("--bootstrap", c.emit.bootstrap, "Kafka bootstrap servers host:port")
      ->envname("PILOTAGE_KAFKA_BOOTSTRAP");
  cmd->add_option("--topic", c.emit.topic, "the contract topic")->capture_default_str();
  cmd->add_flag("--dry-run", c.emit.dry_run, "print the event as JSON instead of sending it");
}

}  // namespace

void AddSteeringCommands(CLI::App& app, SteeringCli& cli) {
  auto* lot = app.add_subcommand("lot", "a lot of the contract: award it");
  lot->require_subcommand(1);
  cli.award_cmd = lot->add_subcommand(
      "award", "award a lot (LotAwarded): operator, départements, dates, budget envelopes");
  auto& a = cli.award;
  AddCommon(cli.award_cmd, a.common, true);
  cli.award_cmd->add_option("--file", a.file,
                            "JSON file of a LotAwarded (proto field names); flags override it");
  cli.award_cmd->add_option("--region", a.region, "the region's name");
  cli.award_cmd->add_option("--region-code", a.region_code, "INSEE region code, e.g. 11");
  cli.award_cmd->add_option("--operator-id", a.operator_id, "the operator's id");
  cli.award_cmd->add_option("--operator-name", a.operator_name, "the operator's name");
  cli.award_cmd->add_option("--departement", a.departements, "a département code (repeatable)");
  cli.award_cmd->add_option("--start", a.start_date, "first day of the contract, YYYY-MM-DD");
  cli.award_cmd->add_option("--end", a.end_date, "last day of the contract, YYYY-MM-DD");
  cli.award_cmd->add_option("--annual-budget-cents", cli.annual_budget_cents,
                            "the same envelope for every contract year, euro cents");
  cli.award_cmd->add_option("--budget", a.budgets,
                            "envelope of one contract year, YEAR=CENTS (repeatable)");

  auto* review = app.add_subcommand("review", "reviews (bilans) of a lot");
  review->require_subcommand(1);
  cli.review_cmd = review->add_subcommand("record", "record a review held with the operator");
  auto& r = cli.review;
  AddCommon(cli.review_cmd, r.common, true);
  cli.review_cmd->add_option("--id", r.id, "review id (default REV-<lot>-<period>-<day>)");
  cli.review_cmd->add_option("--period", r.period, "2024-Q2, 2024-06, 2024, CY1")->required();
  cli.review_cmd->add_option("--held-on", r.held_on, "day of the review (default --on)");
  cli.review_cmd->add_option("--finding", r.findings, "a finding (repeatable)");
  cli.review_cmd->add_option("--decision", r.decisions, "a decision (repeatable)");

  auto* action = app.add_subcommand("action", "corrective actions of a lot: open, close");
  action->require_subcommand(1);
  cli.action_open_cmd = action->add_subcommand("open", "open a corrective action");
  auto& ao = cli.action_open;
  AddCommon(cli.action_open_cmd, ao.common, true);
  cli.action_open_cmd->add_option("--id", ao.id, "action id (default derived from the content)");
  cli.action_open_cmd->add_option("--kpi", ao.kpi_id, "the KPI it answers (terms' KPI id)");
  cli.action_open_cmd->add_option("--finding", ao.finding, "or the review finding it answers");
  cli.action_open_cmd->add_option("--period", ao.period, "the period concerned, e.g. 2024-Q2");
  cli.action_open_cmd->add_option("--due", ao.due_date, "due date, YYYY-MM-DD")->required();
  cli.action_open_cmd->add_option("--description", ao.description, "what the operator must do")
      ->required();
  cli.action_open_cmd->add_option("--by", ao.by, "who opens it")->envname("PILOTAGE_PILOT");
  cli.action_close_cmd = action->add_subcommand("close", "close a corrective action");
  auto& ac = cli.action_close;
  AddCommon(cli.action_close_cmd, ac.common, true);
  cli.action_close_cmd->add_option("--id", ac.id, "the action id")->required();
  cli.action_close_cmd->add_option("--closed-on", ac.closed_on, "day closed (default --on)");
  cli.action_close_cmd->add_option("--evidence", ac.evidence, "what shows it is done")->required();
  cli.action_close_cmd->add_option("--by", ac.by, "who closes it")->envname("PILOTAGE_PILOT");

  auto* penalty = app.add_subcommand(
      "penalty", "the adversarial procedure of a penalty: observations, confirm, waive");
  penalty->require_subcommand(1);
  cli.observations_cmd =
      penalty->add_subcommand("observations", "record the operator's observations on a penalty");
  auto& ob = cli.observations;
  AddCommon(cli.observations_cmd, ob.common, true);
  cli.observations_cmd->add_option("--penalty", ob.penalty_id, "the penalty id")->required();
  auto* text = cli.observations_cmd->add_option("--text", ob.text, "the operator's text");
  auto* file = cli.observations_cmd->add_option("--text-file", ob.text_file, "or a file with it");
  text->excludes(file);
  cli.observations_cmd->add_option("--received-on", ob.received_on,
                                   "day received, YYYY-MM-DD (default --on)");
  cli.confirm_cmd = penalty->add_subcommand(
      "confirm", "confirm a penalty (after the deadline, or once observations are in)");
  AddCommon(cli.confirm_cmd, cli.confirm.common, true);
  cli.confirm_cmd->add_option("--penalty", cli.confirm.penalty_id, "the penalty id")->required();
  cli.confirm_cmd->add_option("--by", cli.confirm.by, "who decides")->envname("PILOTAGE_PILOT");
  cli.confirm_cmd->add_option("--reason", cli.confirm.reason, "why (optional)");
  cli.waive_cmd = penalty->add_subcommand("waive", "waive (abandon) a penalty");
  AddCommon(cli.waive_cmd, cli.waive.common, true);
  cli.waive_cmd->add_option("--penalty", cli.waive.penalty_id, "the penalty id")->required();
  cli.waive_cmd->add_option("--by", cli.waive.by, "who decides")->envname("PILOTAGE_PILOT");
  cli.waive_cmd->add_option("--reason", cli.waive.reason, "why")->required();

  cli.ledger_cmd = app.add_subcommand(
      "ledger", "a lot's penalties: amounts, states, deadlines, and those to decide");
  AddCommon(cli.ledger_cmd, cli.ledger.common, false);
  cli.ledger_cmd->add_flag("--json", cli.ledger.json, "print JSON");
  cli.actions_cmd = app.add_subcommand("actions", "a lot's corrective actions and their state");
  AddCommon(cli.actions_cmd, cli.actions.common, false);
  cli.actions_cmd->add_flag("--json", cli.actions.json, "print JSON");

  cli.reviews_cmd = app.add_subcommand("reviews", "a lot's reviews (bilans)");
  AddCommon(cli.reviews_cmd, cli.reviews.common, false);
  cli.reviews_cmd->add_flag("--json", cli.reviews.json, "print JSON");
  cli.statements_cmd = app.add_subcommand("statements", "the payment statements issued for a lot");
  AddCommon(cli.statements_cmd, cli.statements.common, false);
  cli.statements_cmd->add_flag("--json", cli.statements.json, "print JSON");

  cli.statement_cmd =
      app.add_subcommand("statement",
                         "a lot's payment statement for a period; --issue emits it, only from a "
                         "store that has folded every partition of both topics to the end (exit "
                         "code 10 otherwise, naming the partitions missing or behind)");
  auto& st = cli.statement;
  AddCommon(cli.statement_cmd, st.common, true);
  cli.statement_cmd->add_option("--period", st.period, "2024-Q2, 2024-06, 2024, CY1")->required();
  cli.statement_cmd->add_flag("--json", st.json, "print JSON");
  cli.statement_cmd->add_flag("--issue", st.issue,
                              "emit PaymentStatementIssued (closed periods only)");
  cli.statement_cmd->add_option("--by", st.by, "who issues it")->envname("PILOTAGE_PILOT");
  cli.statement_cmd
      ->add_option("--activity-topic", st.activity_topic,
                   "with --issue: the activity topic, which the store must have folded to its end "
                   "(like the contract topic)")
      ->capture_default_str();
  cli.statement_cmd
      ->add_option("--catch-up-wait", cli.statement_catch_up_wait,
                   "with --issue: how long to wait for the projector to fold the log up to its "
                   "end offsets (e.g. 30s) before refusing with exit code 10")
      ->capture_default_str();
}

std::optional<absl::Status> RunSteering(SteeringCli& cli, const std::filesystem::path& data_dir,
                                        std::ostream& out) {
  for (SteeringCommon* c :
       {&cli.award.common, &cli.review.common, &cli.action_open.common, &cli.action_close.common,
        &cli.observations.common, &cli.confirm.common, &cli.waive.common, &cli.ledger.common,
        &cli.actions.common, &cli.statement.common, &cli.statements.common, &cli.reviews.common}) {
    c->data_dir = data_dir;
  }
  if (cli.award_cmd->parsed()) {
    if (cli.award_cmd->get_option("--annual-budget-cents")->count() > 0) {
      cli.award.annual_budget_cents = cli.annual_budget_cents;
    }
    return AwardLot(cli.award, out);
  }
  if (cli.review_cmd->parsed()) return RecordReview(cli.review, out);
  if (cli.action_open_cmd->parsed()) return OpenAction(cli.action_open, out);
  if (cli.action_close_cmd->parsed()) return CloseAction(cli.action_close, out);
  if (cli.observations_cmd->parsed()) return RecordObservations(cli.observations, out);
  if (cli.confirm_cmd->parsed()) return ConfirmPenalty(cli.confirm, out);
  if (cli.waive_cmd->parsed()) return WaivePenalty(cli.waive, out);
  if (cli.ledger_cmd->parsed()) return PrintLedger(cli.ledger, out);
  if (cli.actions_cmd->parsed()) return PrintActions(cli.actions, out);
  if (cli.statement_cmd->parsed()) {
    if (!absl::ParseDuration(cli.statement_catch_up_wait, &cli.statement.catch_up_wait) ||
        cli.statement.catch_up_wait < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(fmt::format(
          "--catch-up-wait: '{}' is not a duration (e.g. 30s, 0s)", cli.statement_catch_up_wait));
    }
    return PrintStatement(cli.statement, out);
  }
  if (cli.statements_cmd->parsed()) return PrintStatements(cli.statements, out);
  if (cli.reviews_cmd->parsed()) return PrintReviews(cli.reviews, out);
  return std::nullopt;
}

}  // namespace pilotage::pilotagectl
