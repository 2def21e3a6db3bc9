#pragma once
// Contract terms (pilotage.v1.ContractTerms): reading them from protobuf
// text format, checking them, and choosing the version that governs a lot
// for a period.
//
// The terms hold every number of the contract (targets, prices, rates,
// caps, delays) as versioned, effective-dated data; see
// proto/pilotage/v1/terms.proto for the fields and deploy/terms/ for
// examples. An amendment (avenant) is a new version with a later
// effective_from: it governs the periods starting on or after that day;
// earlier periods keep the terms they had.
//
// LoadTermsFile is the only function of libs/domain that does I/O.
//
// Errors: kInvalidArgument for bad text or bad terms (never retry: fix the
// document), kNotFound for a missing file or when no version governs a lot
// and period, kAlreadyExists for a version already in a TermsHistory.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/period.h"
#include "pilotage/v1/terms.pb.h"

namespace pilotage::domain {

// Parses terms from protobuf text format. `source` names the text in error
// messages (a file name). Parse errors say where:
//   "terms.textproto: line 12, column 5: Expected integer, got: abc".
// Unknown fields are errors. The result is NOT validated: call
// ValidateTerms (TermsHistory::Add does).
[[nodiscard]] absl::StatusOr<pilotage::v1::ContractTerms> ParseTermsText(
    std::string_view text, std::string_view source = "terms");

// Reads and parses a text-format terms file (not validated, as above).
// kNotFound when the file does not exist, kUnavailable when it cannot be
// read, kInvalidArgument (with the path, line and column) when it does not
// parse.
[[nodiscard]] absl::StatusOr<pilotage::v1::ContractTerms> LoadTermsFile(
    const std::filesystem::path& path);

// Checks everything the rest of the product relies on. Returns OK, or
// kInvalidArgument listing every problem found, each as "field path: what
// is wrong", separated by "; ", e.g.
//   invalid contract terms '2024.1': kpis[2].target: 1.3 is outside [0, 1]
//   for a share; penalty_rules[0].kpi_id: 'x' names no KPI
// The rules:
//  - version non-empty; effective_from a real day "YYYY-MM-DD"; lot_ids
//    non-empty and distinct;
//  - kpis: id non-empty and unique, label non-empty, formula set; direction
//    set unless informational; target (and every lot_targets[].target, whose
//    lot_id is non-empty and distinct) in [0, 1] for a share, finite and
//    >= 0 for NEW_BENEFICIARIES; at_risk_margin finite and >= 0;
//    min_sample >= 0; corrective_action_due_days >= 0; and the formula's
//    parameters: delay_working_days > 0 (FIRST_APPOINTMENT_WITHIN_DELAY),
//    min_score in 1..10 (END_OF_SERVICE_SATISFACTION), reporting_delay_days
//    > 0 (REPORTING_TIMELINESS), priority_publics non-empty with every
//    predicate restricting at least one band and no UNSPECIFIED band
//    (PRIORITY_PUBLICS_SHARE), referral set (REFERRAL_SHARE);
//  - unit_prices: level set, amount_cents >= 0, no two with the same
//    (level, modality, kind);
//  - bonus_rules and penalty_rules: id non-empty and unique in their list;
//    kpi_id names an existing, non-informational KPI (required, except for
//    CORRECTIVE_ACTION_OVERDUE where it is optional); bonus threshold in the
//    KPI's range; amounts >= 0; shares of fees in [0, 10000] bp; a rule that
//    would pay or price nothing is refused; penalty trigger set; LATE_REPORTING
//    prices a REPORTING_TIMELINESS KPI; CORRECTIVE_ACTION_OVERDUE has
//    late_base_value_cents > 0;
//  - penalty_limits: cap_share_of_annual_bp in [0, 10000], threshold_cents
//    >= 0; delays: closing_grace_days >= 0, observation_days >= 0.
[[nodiscard]] absl::Status ValidateTerms(const pilotage::v1::ContractTerms& terms);

// Whether a formula yields a count (NEW_BENEFICIARIES) rather than a share
// in [0, 1].
bool IsCountFormula(pilotage::v1::KpiFormula::Value formula);

// The KPI's target for `lot_id`: its lot_targets entry when there is one,
// else `target`. For NEW_BENEFICIARIES this is the yearly count, before
// pro-rating.
double TargetFor(const pilotage::v1::KpiDefinition& kpi, std::string_view lot_id);

// Whether the terms govern `lot_id` (empty lot_ids: every lot).
bool GovernsLot(const pilotage::v1::ContractTerms& terms, std::string_view lot_id);

// KPI `id` of `terms`; nullptr when it has none.
const pilotage::v1::KpiDefinition* FindKpi(const pilotage::v1::ContractTerms& terms,
                                           std::string_view id);
// Penalty rule `id` of `terms`; nullptr when it has none.
const pilotage::v1::PenaltyRule* FindPenaltyRule(const pilotage::v1::ContractTerms& terms,
                                                 std::string_view id);

// The versions of the terms published so far, and which one governs a lot
// for a period. Versions may be added in any order.
//
// Not thread-safe for Add; the const members may be called concurrently.
// Pointers returned stay valid as long as the history lives (versions are
// never removed or moved).
class TermsHistory {
 public:
  TermsHistory();
  ~TermsHistory();
  TermsHistory(TermsHistory&&) noexcept;
  TermsHistory& operator=(TermsHistory&&) noexcept;
  TermsHistory(const TermsHistory&) = delete;
  TermsHistory& operator=(const TermsHistory&) = delete;

  // Adds a version after ValidateTerms. Refused, leaving the history as it
  // was:
  //  - kInvalidArgument: the terms are invalid (ValidateTerms' message);
  //  - kAlreadyExists: a version with the same `version` string is there;
  //  - kInvalidArgument "overlapping versions": a version with the same
  //    effective_from governs at least one common lot (an empty lot_ids
  //    overlaps everything), so neither could be chosen over the other.
  [[nodiscard]] absl::Status Add(pilotage::v1::ContractTerms terms);

  // The version governing `lot_id` on `day`: among the versions governing
  // the lot whose effective_from is on or before `day`, the one with the
  // latest effective_from. kNotFound saying why when there is none.
  [[nodiscard]] absl::StatusOr<const pilotage::v1::ContractTerms*> TermsOn(
      std::string_view lot_id, absl::CivilDay day) const;

  // The version governing `lot_id` for `period`: TermsOn its first day, so
  // a period that straddles an amendment keeps the terms of its first day.
  // When no version is in force on the first day but one takes effect
  // during the period (the contract starts on 2024-01-02, inside January
  // 2024, Q1 2024 and the year 2024), the earliest such version governs the
  // period. kNotFound when no version governing the lot takes effect on or
  // before the period's last day.
  [[nodiscard]] absl::StatusOr<const pilotage::v1::ContractTerms*> TermsFor(
      std::string_view lot_id, const Period& period) const;

  // The version named `version`; nullptr when it was never added.
  const pilotage::v1::ContractTerms* Find(std::string_view version) const;

  // Every version, by effective_from then version string.
  std::vector<const pilotage::v1::ContractTerms*> Versions() const;

  // The French label of penalty rule `rule_id` in version `version`; empty
  // when either is unknown (the one lookup of a rule's label for the
  // command line, the reports and the web API).
  std::string RuleLabel(std::string_view version, std::string_view rule_id) const;

  // The French label of KPI `kpi_id` in the latest version defining it;
  // empty when none does (or `kpi_id` is empty).
  std::string KpiLabel(std::string_view kpi_id) const;

  std::size_t size() const;

 private:
  struct Entry;
  // TermsOn, with `when` saying what was asked ("on 2024-01-01") for errors.
  absl::StatusOr<const pilotage::v1::ContractTerms*> Lookup(std::string_view lot_id,
                                                            absl::CivilDay day,
                                                            std::string_view when) const;
  std::vector<std::unique_ptr<Entry>> entries_;  // sorted as Versions()
};

}  // namespace pilotage::domain
