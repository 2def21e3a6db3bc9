#pragma once
// The payment statement of a lot for a period (issue #5), pure: what the
// operator is paid for the period and how the lot's budget envelope is being
// used. No I/O, no clock.
//
// A statement is, for lot L and period P under the terms T in force for P
// (TermsHistory::TermsFor):
//
//  fees       one line per (level, modality, kind) of the appointments held
//             in P: appointments x unit price. An appointment counts when it
//             was held on a day of P and recorded before P's closing day
//             (Europe/Paris; closing = P's last day + T's closing_grace_days),
//             as the KPIs do: a statement is reproducible once P is closed.
//             Appointments recorded later are counted apart (`late`), not
//             paid in P. Each appointment_id counts once in the lot (an
//             appointment without id counts once per event). The unit price
//             is the most specific of T's unit_prices matching the level:
//             a price naming the modality beats one that does not, then one
//             naming the kind; an UNSPECIFIED modality or kind matches any.
//             An appointment that no price matches is on a line with unit
//             price 0 and a warning.
//  variable   one line per bonus rule of T: earned when the rule's KPI (its
//             result for P, EvaluateLot) is at or beyond the threshold in the
//             KPI's direction (>= for AT_LEAST, <= for AT_MOST), with the
//             KPI's 1e-9 relative tolerance; for a count KPI
//             (NEW_BENEFICIARIES) the yearly threshold is pro-rated by
//             P.FractionOfYear() like its target. Not earned when the KPI has
//             NOT_ENOUGH_DATA or is missing. Amount = share_of_fees_bp x
//             fees / 10000 + fixed_amount_cents. Unearned rules are listed
//             with amount 0 and the reason in `basis` (French).
//  penalties  every penalty of L whose proposal is for P and which is
//             CONFIRMED (procedure.h), for its proposed amount_cents.
//  net        fees + variable - penalties (may be negative).
//
// Fund usage, per contract year: the contract year of P is the one of the
// lot (LotAwarded.start_date) containing P's last day; its envelope is the
// LotAwarded.budget entry of that year (0 and a warning when absent).
// Cumulative usage = the net amounts of the statements already issued for
// periods of the same contract year ending before P starts, + this net.
// Linear projection to the end of the contract year = cumulative x days of
// the contract year / days elapsed (from its first day to P's last day, both
// included). A warning when the projection or the cumulative usage exceeds
// the envelope.
//
// Money is integer euro cents. Rounding, always down (floor, integer
// division): share of fees (fees x bp / 10000) and the projection
// (cumulative x year days / elapsed days, computed in 128 bits). Fees are
// exact products. kOutOfRange when an amount overflows int64.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/kpi.h"
#include "pilotage/domain/kpi_cells.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/procedure.h"
#include "pilotage/v1/contract.pb.h"
#include "pilotage/v1/terms.pb.h"

namespace pilotage::domain {

// Appointments of one (level, modality, kind).
struct AppointmentCount {
  pilotage::v1::Level::Value level = pilotage::v1::Level::UNSPECIFIED;
  pilotage::v1::Modality::Value modality = pilotage::v1::Modality::UNSPECIFIED;
  pilotage::v1::SupportKind::Value kind = pilotage::v1::SupportKind::UNSPECIFIED;
  int64_t appointments = 0;
};

struct PeriodAppointments {
  // Held in the period and recorded before `closing_day`, sorted by
  // (level, modality, kind) enum numbers.
  std::vector<AppointmentCount> counts;
  // Held in the period and recorded on or after `closing_day`.
  int64_t late = 0;
};

// Counts the appointments of `facts` held in `period`, as described above.
PeriodAppointments CountAppointments(const LotFacts& facts, const Period& period,
                                     absl::CivilDay closing_day);

// CountAppointments from a lot's KPI cells (kPriced) read for `period` and
// closing day cells.closing_day (kpi_cells.h): the same counts and late
// appointments, but for the two differences kpi_cells.h states about
// appointment ids repeated under two pseudonyms or on two days.
PeriodAppointments CountAppointmentsCells(const KnownCells& cells, const Period& period);

// The unit price of an appointment under `terms` (rule above); nullopt when
// no price matches.
std::optional<int64_t> UnitPriceFor(const pilotage::v1::ContractTerms& terms,
                                    pilotage::v1::Level::Value level,
                                    pilotage::v1::Modality::Value modality,
                                    pilotage::v1::SupportKind::Value kind);

// The fee lines of `appointments` under `terms`, in the order of the counts;
// `unpriced` (may be null) receives the appointments no price matched.
[[nodiscard]] absl::StatusOr<std::vector<pilotage::v1::FeeLine>> FeeLines(
    const PeriodAppointments& appointments, const pilotage::v1::ContractTerms& terms,
    int64_t* unpriced = nullptr);

// The period's appointment fees (sum of FeeLines) of `facts` for `period`
// under `terms` (the version in force for the period), counted as known on
// the period's closing day: what the penalty job passes as
// PenaltyContext::period_fees_cents.
[[nodiscard]] absl::StatusOr<int64_t> PeriodFeesCents(const LotFacts& facts,
                                                      const pilotage::v1::ContractTerms& terms,
                                                      const Period& period);

// PeriodFeesCents from a lot's KPI cells read for `period` and the closing
// day of `terms` (kInvalidArgument when cells.closing_day is another day).
[[nodiscard]] absl::StatusOr<int64_t> PeriodFeesCentsCells(const KnownCells& cells,
                                                           const pilotage::v1::ContractTerms& terms,
                                                           const Period& period);

// "STMT-<lot>-<period>", e.g. "STMT-LOT-11-2024-Q2": one statement per lot
// and period; a corrected statement keeps the id (the later one wins).
std::string StatementId(std::string_view lot_id, const Period& period);

// The budget envelope of contract year `contract_year` (1 = the lot's first)
// in `award`: the LotAwarded.budget entry of that year (the last one when
// given twice), nullopt when the award has none. The one lookup the
// statement, the penalty job's plan and the readers share.
std::optional<int64_t> EnvelopeCents(const pilotage::v1::LotAwarded& award, int contract_year);

struct StatementInputs {
  std::string lot_id;
  Period period = Period::QuarterOf(absl::CivilDay(2024, 1, 1));
  // The version in force for the period; required.
  const pilotage::v1::ContractTerms* terms = nullptr;
  // CountAppointments(facts, period, closing day of `terms`).
  PeriodAppointments appointments;
  // The period's KPI results (EvaluateLot).
  std::vector<KpiResult> kpis;
  // Every penalty procedure of the lot (ProcedureOf).
  std::vector<PenaltyProcedure> penalties;
  // The lot's award: start_date and budget. Required.
  pilotage::v1::LotAwarded award;
  // The statements already issued for the lot (StatementRecord.statement);
  // one for this period itself is ignored (it is being recomputed).
  std::vector<pilotage::v1::PaymentStatementIssued> issued;
};

struct Statement {
  // Ready to emit as PaymentStatementIssued (issued_by left empty).
  pilotage::v1::PaymentStatementIssued statement;
  // The contract year the period counts in, and the fund usage figures.
  Period contract_year = Period::QuarterOf(absl::CivilDay(2024, 1, 1));
  int64_t earlier_usage_cents = 0;  // statements of earlier periods of the year
  int elapsed_days = 0;
  int year_days = 0;
  int64_t projected_usage_cents = 0;
  bool projection_exceeds_envelope = false;
  int64_t late_appointments = 0;
  // For pilots, in French: unpriced appointments, missing envelope, the
  // envelope exceeded or about to be.
  std::vector<std::string> warnings;
};

// The statement described above. kInvalidArgument when terms is null, the
// award has no valid start_date, the period ends before the lot starts, or
// an issued statement of another period overlaps this one (its period would
// be counted twice); kOutOfRange on overflow.
[[nodiscard]] absl::StatusOr<Statement> ComputeStatement(const StatementInputs& inputs);

}  // namespace pilotage::domain
