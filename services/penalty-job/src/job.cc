#include "pilotage/penalty_job/job.h"

#include <fstream>
#include <ostream>
#include <sstream>
#include <system_error>

#include "absl/strings/cord.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "google/protobuf/util/json_util.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/terms.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/penalty_job/plan.h"
#include "pilotage/penalty_job/report.h"
#include "pilotage/penalty_job/textfile.h"
#include "pilotage/readmodel/coverage.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/open.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/service/service.h"
#include "spdlog/spdlog.h"

namespace pilotage::penalty_job {
namespace {

namespace v1 = ::pilotage::v1;

// The lots asked for, checked against those of `view`.
absl::StatusOr<std::vector<std::string>> LotsToPlan(const JobOptions& options,
                                                    const readmodel::ReadStore& view) {
  auto all = readmodel::ListLots(view.store());
  if (!all.ok()) return all.status();
  if (options.lots.empty()) return *all;
  for (const auto& lot : options.lots) {
    if (std::find(all->begin(), all->end(), lot) == all->end()) {
      return absl::NotFoundError(
          fmt::format("--lot: no data for lot '{}' in {}", lot, view.location().path.string()));
    }
  }
  std::vector<std::string> lots = options.lots;
  std::sort(lots.begin(), lots.end());
  lots.erase(std::unique(lots.begin(), lots.end()), lots.end());
  return lots;
}

// Plans every lot asked for from one read-only instance (a fixed view), one
// lot at a time, from its KPI cells: no journey is read. With
// `drafted` (--what-if), each lot is also planned under `options.draft`.
struct Plans {
  std::vector<LotPlan> in_force;
  std::vector<LotPlan> drafted;
  // Where the view stood: the report prints it.
  std::vector<v1::SourceOffset> input_offsets;
};
absl::StatusOr<Plans> PlanLots(const JobOptions& job, PlanOptions options,
                               const v1::ContractTerms* draft, const readmodel::ReadStore& view) {
  // What the penalties are computed on: the activity and contract topics,
  // not the gateway's refusals the store also counts (decision 0045).
  for (auto& o : readmodel::SourceOffsets(view.freshness())) {
    if (o.topic() == job.activity_topic || o.topic() == job.topic) {
      options.input_offsets.push_back(std::move(o));
    }
  }
  auto lots = LotsToPlan(job, view);
  if (!lots.ok()) return lots.status();
  Plans out;
  out.input_offsets = options.input_offsets;
  std::vector<std::string> without_terms;
  for (const auto& lot : *lots) {
    // The KPIs and fees from the KPI cells (decision 0034): the lot's
    // journeys are not read, so memory does not grow with them.
    auto model = readmodel::ReadLot(view.store(), lot, {.journeys = false});
    if (!model.ok()) return model.status();
    if (model->facts.award && model->terms.empty()) {
      without_terms.push_back(lot);
      continue;
    }
    auto steering = readmodel::ReadSteering(view.store(), lot);
    if (!steering.ok()) return steering.status();
    const LotSnapshot snapshot{
        .lot_id = lot,
        .facts = std::move(model->facts),
        .terms = std::move(model->terms),
        .steering = std::move(*steering),
        .cells = [&view, &lot](const domain::Period& period, absl::CivilDay closing_day) {
          return readmodel::ReadKnownCells(view.store(), lot, period, closing_day);
        }};
    auto plan = PlanLot(snapshot, options);
    if (!plan.ok()) return plan.status();
    out.in_force.push_back(std::move(*plan));
    if (draft != nullptr) {
      PlanOptions drafting = options;
      drafting.draft = draft;
      auto drafted = PlanLot(snapshot, drafting);
      if (!drafted.ok()) return drafted.status();
      out.drafted.push_back(std::move(*drafted));
    }
  }
  if (!without_terms.empty()) {
    // Terms are published on the contract topic with the award: a store
    // holding one without the other has not folded the whole record.
    return readmodel::NotTrustedError(fmt::format(
        "le magasin {} connaît l'attribution de {} lot(s) sans leurs conditions contractuelles "
        "(TermsPublished) : {} ; publiez-les (pilotagectl contract publish) et laissez le "
        "projecteur les intégrer",
        view.location().path.string(), without_terms.size(), fmt::join(without_terms, ", ")));
  }
  return out;
}

// The store, once it holds every partition of both topics up to the end
// offsets read now (decision 0028).
absl::StatusOr<std::unique_ptr<readmodel::ReadStore>> OpenTrustedStore(const JobOptions& options,
                                                                       std::ostream& err) {
  if (options.bootstrap.empty()) {
    return absl::InvalidArgumentError(
        "no Kafka: give --bootstrap or PILOTAGE_KAFKA_BOOTSTRAP (the job checks that the store "
        "has folded the whole log before pricing)");
  }
  auto admin = kafka::Admin::Create(options.bootstrap);
  if (!admin.ok()) return admin.status();
  auto ends = (*admin)->EndOffsets({options.activity_topic, options.topic});
  if (!ends.ok()) return ends.status();
  readmodel::TrustOptions trust{.wait = options.catch_up_wait};
  bool said = false;
  trust.on_retry = [&](const readmodel::Coverage& coverage) {
    if (said) return;
    said = true;
    err << fmt::format(
        "pilotage-penalty-job: magasin pas à jour ({}) ; attente du projecteur, au plus {}\n",
        coverage.DescribeFrench(), absl::FormatDuration(options.catch_up_wait));
  };
  return readmodel::OpenTrusted(options.data_dir, *ends, trust);
}

absl::Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << text;
    if (!out.good()) {
      return absl::UnavailableError(fmt::format("--report: cannot write {}", tmp.string()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return absl::UnavailableError(fmt::format("--report: cannot rename {} to {}: {}", tmp.string(),
                                              path.string(), ec.message()));
  }
  return absl::OkStatus();
}

// Kafka is known here: OpenTrustedStore refused a run without --bootstrap.
absl::Status Send(const JobOptions& options, const std::vector<v1::Event>& events,
                  std::ostream& err) {
  if (events.empty()) {
    // Also when the period prices nothing at all: not only when a run
    // before this one sent it.
    err << "pilotage-penalty-job: nothing new to send (no proposal or action that the ledger "
           "does not hold already)\n";
    return absl::OkStatus();
  }
  std::vector<std::string> values;
  for (const auto& e : events) values.push_back(e.SerializeAsString());
  std::vector<kafka::Record> records;
  for (size_t i = 0; i < events.size(); ++i) {
    records.push_back({.topic = options.topic, .key = events[i].lot_id(), .value = values[i]});
  }
  // One transaction (decision 0026): readers see every event of the run or
  // none, and a job started later with the same id fences this one.
  auto producer =
      kafka::TransactionalProducer::Create({.bootstrap = options.bootstrap,
                                            .client_id = "pilotage-penalty-job",
                                            .transactional_id = options.transactional_id});
  if (!producer.ok()) return producer.status();
  auto failed = [&](const absl::Status& s) {
    absl::Status wrapped(
        s.code(), fmt::format("sending {} event(s) to {}: {}{}", events.size(), options.topic,
                              std::string(s.message()),
                              kafka::IsFenced(s) ? " (another penalty job is sending: this one "
                                                   "sent nothing)"
                                                 : " (nothing of this run is visible; rerun the "
                                                   "job)"));
    // Keeps kafka::IsFenced (a payload) true for the exit code.
    s.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
      wrapped.SetPayload(url, payload);
    });
    return wrapped;
  };
  if (absl::Status s = (*producer)->InitTransactions(); !s.ok()) return failed(s);
  if (absl::Status s = (*producer)->BeginTransaction(); !s.ok()) return failed(s);
  if (absl::Status s = (*producer)->Send(records); !s.ok()) return failed(s);
  if (options.before_commit) options.before_commit();
  if (absl::Status s = (*producer)->CommitTransaction(); !s.ok()) return failed(s);
  int proposals = 0, actions = 0;
  for (const auto& e : events) (e.has_penalty_proposed() ? proposals : actions)++;
  err << fmt::format(
      "pilotage-penalty-job: sent {} PenaltyProposed and {} CorrectiveActionOpened to {} "
      "(one transaction, transactional.id {})\n",
      proposals, actions, options.topic, options.transactional_id);
  spdlog::info("sent {} PenaltyProposed and {} CorrectiveActionOpened to {}", proposals, actions,
               options.topic);
  return absl::OkStatus();
}

absl::Status Run(const JobOptions& options, std::ostream& out, std::ostream& err,
                 absl::CivilDay today, RunMetrics& metrics) {
  auto period_text = ResolvePeriod(options.period, today);
  if (!period_text.ok()) return period_text.status();
  auto period = domain::Period::Parse(*period_text);
  if (!period.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("--period: {}", std::string(period.status().message())));
  }
  std::optional<v1::ContractTerms> draft;
  if (options.what_if) {
    auto terms = domain::LoadTermsFile(options.draft_terms);
    if (!terms.ok()) return terms.status();
    if (auto s = domain::ValidateTerms(*terms); !s.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("--terms {}: {}", options.draft_terms.string(), std::string(s.message())));
    }
    draft = std::move(*terms);
  }

  const PlanOptions plan_options{.period = *period, .today = today, .fees = StatementFees()};
  auto view = OpenTrustedStore(options, err);
  if (!view.ok()) return view.status();
  auto planned = PlanLots(options, plan_options, draft ? &*draft : nullptr, **view);
  if (!planned.ok()) return planned.status();
  const std::vector<LotPlan>* plans = &planned->in_force;

  if (options.what_if) {
    const Json diff = WhatIfJson(*period, draft->version(), *plans, planned->drafted);
    out << RenderWhatIf(diff);
    if (!options.report_file.empty()) {
      if (auto s = WriteFile(options.report_file, diff.dump(2) + "\n"); !s.ok()) return s;
    }
    err << "pilotage-penalty-job: what-if, nothing sent\n";
    return absl::OkStatus();
  }

  const Json report =
      ReportJson(*period, options.dry_run ? "dry-run" : "run", *plans, planned->input_offsets);
  out << RenderReport(report);
  if (!options.report_file.empty()) {
    if (auto s = WriteFile(options.report_file, report.dump(2) + "\n"); !s.ok()) return s;
  }
  for (const auto& p : *plans) {
    if (!p.skipped.empty()) continue;
    ++metrics.periods_evaluated;
    int64_t n = 0;
    for (const auto& pp : p.proposals) n += pp.proposal.amount_cents() > 0;
    metrics.proposals_by_lot[p.lot_id] = n;
    metrics.amount_cents_by_lot[p.lot_id] = p.total_cents();
    auto closing = domain::ParisStartOfDay(p.next_closing_day);
    if (closing.ok()) {
      metrics.next_period_closing =
          metrics.next_period_closing ? std::max(*metrics.next_period_closing, *closing) : *closing;
    }
  }
  auto emitted = EventsToEmit(*plans);
  if (!emitted.ok()) return emitted.status();
  const std::vector<v1::Event>& events = *emitted;
  if (options.dry_run) {
    err << fmt::format("pilotage-penalty-job: dry run, {} event(s) not sent:\n", events.size());
    google::protobuf::util::JsonPrintOptions json;
    json.preserve_proto_field_names = true;
    for (const auto& e : events) {
      std::string line;
      (void)google::protobuf::util::MessageToJsonString(e, &line, json);
      err << line << "\n";
    }
    return absl::OkStatus();
  }
  auto sent = Send(options, events, err);
  if (sent.ok()) metrics.events_sent = static_cast<int64_t>(events.size());
  return sent;
}

}  // namespace

int ExitCode(const absl::Status& status) {
  if (status.ok()) return 0;
  if (IsPeriodNotClosed(status)) return kExitPeriodNotClosed;
  if (kafka::IsFenced(status)) return service::kExitFencedOut;
  if (readmodel::IsStoreNotTrusted(status)) return service::kExitStoreNotTrusted;
  return service::ExitCodeFor(status);
}

absl::Status RunJob(const JobOptions& options, std::ostream& out, std::ostream& err) {
  if (options.what_if && options.draft_terms.empty()) {
    return absl::InvalidArgumentError("--what-if: give the draft terms with --terms FILE");
  }
  if (!options.draft_terms.empty() && !options.what_if) {
    return absl::InvalidArgumentError(
        "--terms: draft terms are only evaluated with --what-if (the job never sends under "
        "terms that are not published)");
  }
  const absl::Time now = options.now.value_or(absl::Now());
  absl::CivilDay today;
  if (options.today) {
    today = *options.today;
  } else {
    auto day = domain::ParisDay(now);
    if (!day.ok()) return day.status();
    today = *day;
  }
  RunMetrics metrics{.run_at = now};
  absl::Status result = Run(options, out, err, today, metrics);
  metrics.success = result.ok();
  const bool real_run = !options.dry_run && !options.what_if;
  if (!options.metrics_textfile.empty()) {
    if (real_run) {
      if (auto s = WriteMetricsTextfile(options.metrics_textfile, metrics); !s.ok()) {
        err << "pilotage-penalty-job: " << s.ToString() << "\n";
        if (result.ok()) result = s;
      }
    } else {
      err << "pilotage-penalty-job: --metrics-textfile ignored: only real runs are recorded\n";
    }
  }
  return result;
}

}  // namespace pilotage::penalty_job
