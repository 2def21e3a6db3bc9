#pragma once
// French text for what pilots read: the one formatter of money, percentages,
// counts and dates for the command line (pilotagectl), the penalty job's
// report and the query service's labels. It writes what the dashboard writes
// with Intl.NumberFormat('fr-FR') (services/query/web/src/format.js), so a
// figure reads the same on screen, in a terminal and in a report:
//
//   FrenchInteger(1452520)   "1 452 520"      groups of three, U+202F between
//   FrenchEuros(145252000)   "1 452 520,00 €" U+00A0 before the sign
//   FrenchPercent(0.786)     "78,6 %"         U+00A0 before the sign
//   FrenchDay("2024-07-05")  "05/07/2024"     (FrenchDate in calendar.h)
//
// U+202F (narrow no-break space) and U+00A0 (no-break space) keep a figure on
// one line; both are one column wide, as pilotagectl's table padding counts.
//
// Two formats are English or ASCII on purpose and stay so:
// - FormatEuros ("1 234,56 EUR", ASCII spaces): the money in the text of
//   recorded events (PenaltyProposed's inputs, formula and explanation, the
//   statement's reasons). Those bytes are stored, and a rerun of the penalty
//   job must send the same bytes (decision 0027): changing this format would
//   change stored data. Decision 0039.
// - JSON and CSV for machines carry cents as integers and days as ISO
//   YYYY-MM-DD (calendar.h's FormatDay), never these.
//
// Pure functions, safe from any thread; no errors: every input has a text.

#include <cstdint>
#include <string>
#include <string_view>

namespace pilotage::domain {

// n with its digits grouped by three, U+202F between groups; "-" before a
// negative number. 950 -> "950", -13500 -> "-13 500".
std::string FrenchInteger(int64_t n);

// A count held as a double (a pro-rated target, an average): rounded to the
// nearest integer (halves away from zero), then as FrenchInteger.
// 1234567.4 -> "1 234 567".
std::string FrenchCount(double value);

// Cents as euros with two decimals after a comma, then U+00A0 and "€".
// 5 -> "0,05 €", -23000 -> "-230,00 €".
std::string FrenchEuros(int64_t cents);

// A share (0.786 for 78.6 %) with `decimals` digits after a comma, then
// U+00A0 and "%". 0.825 -> "82,5 %"; FrenchPercent(0.0125, 2) -> "1,25 %".
// Rounding is fmt's "{:.Nf}" of share x 100.
std::string FrenchPercent(double share, int decimals = 1);

// An ISO day "YYYY-MM-DD" as "dd/mm/yyyy"; any other text is returned as is
// (a report shows what it was given rather than nothing).
std::string FrenchDay(std::string_view iso_day);

// `text` with its first letter as a capital, for a label that starts a line
// or a column: "à risque" -> "À risque", "atteint" -> "Atteint". Handles
// ASCII and the lower-case letters of Latin-1 (à to þ, UTF-8); any other
// first character is left as it is.
std::string FrenchCapitalized(std::string_view text);

// Money in recorded text: "1 234,56 EUR", groups of three separated by an
// ASCII space, "-" before a negative amount. See above for why it differs.
std::string FormatEuros(int64_t cents);

}  // namespace pilotage::domain
