// CSV layouts of the activity event types, and the decoding of one line.
#include "pilotage/intake/csv.h"

#include <google/protobuf/descriptor.h>
#include <xxhash.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::intake {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
namespace v1 = pilotage::v1;

// ---------------------------------------------------------------------------
// Normalisation of names and values

// "É" -> "e" and friends: the accented letters of French, folded to ASCII.
constexpr std::pair<std::string_view, char> kFolds[] = {
    {"é", 'e'}, {"è", 'e'}, {"ê", 'e'}, {"ë", 'e'}, {"à", 'a'}, {"â", 'a'}, {"ä", 'a'}, {"î", 'i'},
    {"ï", 'i'}, {"ô", 'o'}, {"ö", 'o'}, {"ù", 'u'}, {"û", 'u'}, {"ü", 'u'}, {"ç", 'c'}, {"É", 'e'},
    {"È", 'e'}, {"Ê", 'e'}, {"À", 'a'}, {"Â", 'a'}, {"Î", 'i'}, {"Ô", 'o'}, {"Û", 'u'}, {"Ç", 'c'}};

// Lowercase ASCII, accents folded, every run of separators (space - ' + / .)
// one '_', no '_' at either end: "Date RDV" -> "date_rdv".
std::string Normalize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool sep = false;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    char ch = 0;
    if (c >= 0x80) {
      for (const auto& [from, to] : kFolds) {
        if (s.substr(i, from.size()) == from) {
          ch = to;
          i += from.size();
          break;
        }
      }
      if (ch == 0) {
        out.push_back(static_cast<char>(c));  // kept as is: never matches a name
        ++i;
        continue;
      }
    } else {
      ch = static_cast<char>(std::tolower(c));
      ++i;
    }
    if (ch == ' ' || ch == '-' || ch == '\'' || ch == '+' || ch == '/' || ch == '.' || ch == '_' ||
        ch == '\t') {
      sep = true;
      continue;
    }
    if (sep && !out.empty()) out.push_back('_');
    sep = false;
    out.push_back(ch);
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// French (and short) names of enum values, by enum: normalised alias -> the
// v1 value name. The v1 names themselves are always accepted.
const std::map<std::string, std::map<std::string, std::string>>& EnumAliases() {
  static const auto* kAliases = new std::map<std::string, std::map<std::string, std::string>>{
      {"pilotage.v1.AgeBand.Value",
       {{"26_44", "AGE_26_44"},
        {"45_54", "AGE_45_54"},
        {"55_plus", "AGE_55_PLUS"},
        {"55_et_plus", "AGE_55_PLUS"},
        {"moins_de_26", "UNDER_26"},
        {"moins_26", "UNDER_26"}}},
      {"pilotage.v1.Sex.Value",
       {{"f", "FEMALE"},
        {"femme", "FEMALE"},
        {"m", "MALE"},
        {"h", "MALE"},
        {"homme", "MALE"},
        {"non_renseigne", "NOT_STATED"},
        {"nr", "NOT_STATED"}}},
      {"pilotage.v1.Qualification.Value",
       {{"aucun", "NONE"},
        {"aucune", "NONE"},
        {"sans_diplome", "NONE"},
        {"cap", "CAP_BEP"},
        {"bep", "CAP_BEP"},
        {"bac_3", "BAC_3_PLUS"},
        {"bac_3_et_plus", "BAC_3_PLUS"}}},
      {"pilotage.v1.WorkStatus.Value",
       {{"salarie", "EMPLOYEE"}, {"independant", "SELF_EMPLOYED"}, {"autre", "OTHER"}}},
      {"pilotage.v1.CompanySize.Value",
       {{"moins_de_11", "UNDER_11"},
        {"1_10", "UNDER_11"},
        {"0_10", "UNDER_11"},
        {"11_49", "FROM_11_TO_49"},
        {"50_249", "FROM_50_TO_249"},
        {"250_plus", "FROM_250"},
        {"250_et_plus", "FROM_250"},
        {"inconnu", "UNKNOWN"},
        {"inconnue", "UNKNOWN"}}},
      {"pilotage.v1.Channel.Value",
       {{"telephone", "PHONE"},
        {"site_web", "WEB"},
        {"internet", "WEB"},
        {"presentiel", "IN_PERSON"},
        {"sur_place", "IN_PERSON"},
        {"orientation", "REFERRAL"},
        {"prescription", "REFERRAL"}}},
      {"pilotage.v1.Level.Value",
       {{"1", "LEVEL_1_WELCOME"},
        {"niveau_1", "LEVEL_1_WELCOME"},
        {"accueil", "LEVEL_1_WELCOME"},
        {"2", "LEVEL_2_SUPPORT"},
        {"niveau_2", "LEVEL_2_SUPPORT"},
        {"accompagnement", "LEVEL_2_SUPPORT"}}},
      {"pilotage.v1.Modality.Value",
       {{"presentiel", "IN_PERSON"},
        {"telephone", "PHONE"},
        {"visio", "VIDEO"},
        {"visioconference", "VIDEO"}}},
      {"pilotage.v1.SupportKind.Value",
       {{"ponctuel", "ONE_OFF"},
        {"appui_ponctuel", "ONE_OFF"},
        {"duree", "LONG_TERM"},
        {"dans_la_duree", "LONG_TERM"},
        {"accompagnement_dans_la_duree", "LONG_TERM"}}},
      {"pilotage.v1.MissReason.Value",
       {{"absence", "NO_SHOW"},
        {"absent", "NO_SHOW"},
        {"annule_par_beneficiaire", "CANCELLED_BY_BENEFICIARY"},
        {"annule_par_le_beneficiaire", "CANCELLED_BY_BENEFICIARY"},
        {"annule_par_operateur", "CANCELLED_BY_OPERATOR"},
        {"annule_par_l_operateur", "CANCELLED_BY_OPERATOR"}}},
      {"pilotage.v1.DeliverableType.Value",
       {{"document_de_synthese", "SUMMARY_DOCUMENT"},
        {"synthese", "SUMMARY_DOCUMENT"},
        {"plan_d_action", "ACTION_PLAN"},
        {"plan_action", "ACTION_PLAN"}}},
      {"pilotage.v1.Outcome.Value",
       {{"projet_defini", "PROJECT_DEFINED"},
        {"entree_en_formation", "TRAINING_STARTED"},
        {"formation", "TRAINING_STARTED"},
        {"changement_d_emploi", "JOB_CHANGE"},
        {"mobilite", "JOB_CHANGE"},
        {"creation_d_entreprise", "BUSINESS_CREATION"},
        {"creation", "BUSINESS_CREATION"},
        {"oriente", "REFERRED"},
        {"abandon", "ABANDONED"},
        {"autre", "OTHER"}}},
      {"pilotage.v1.Referral.Value",
       {{"aucune", "NONE"}, {"aucun", "NONE"}, {"transitions_pro", "TRANSITIONS_PRO"}}},
      {"pilotage.v1.SurveyWave.Value",
       {{"fin_de_prestation", "END_OF_SERVICE"},
        {"fin", "END_OF_SERVICE"},
        {"six_mois", "SIX_MONTHS"},
        {"6_mois", "SIX_MONTHS"}}},
  };
  return *kAliases;
}

// The number of `cell` in `e`, or 0 when it names no value.
int ParseEnum(const EnumDescriptor* e, std::string_view cell) {
  const std::string norm = Normalize(cell);
  if (const auto* v = e->FindValueByName(Upper(norm)); v && v->number() != 0) return v->number();
  auto aliases = EnumAliases().find(e->full_name());
  if (aliases != EnumAliases().end()) {
    auto a = aliases->second.find(norm);
    if (a != aliases->second.end()) return e->FindValueByName(a->second)->number();
  }
  return 0;
}

std::string EnumChoices(const EnumDescriptor* e) {
  std::string out;
  for (int i = 1; i < e->value_count(); ++i) {
    if (!out.empty()) out += ", ";
    out += e->value(i)->name();
  }
  return out;
}

std::optional<bool> ParseBool(std::string_view cell) {
  const std::string n = Normalize(cell);
  if (n == "true" || n == "1" || n == "oui" || n == "o" || n == "vrai" || n == "yes") return true;
  if (n == "false" || n == "0" || n == "non" || n == "n" || n == "faux" || n == "no") return false;
  return std::nullopt;
}

std::optional<int64_t> ParseInt(std::string_view cell) {
  if (cell.empty() || cell.size() > 9) return std::nullopt;
  int64_t v = 0;
  for (char c : cell) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// ---------------------------------------------------------------------------
// Layouts

enum class Target { kLot, kOperator, kOccurred, kRecorded, kBody };

struct ColumnDef {
  CsvColumnSpec spec;
  Target target = Target::kBody;
  // For kBody: the path under the body message ("profile.age_band").
  std::string path;
};

struct LayoutDef {
  std::vector<ColumnDef> defs;
  std::vector<CsvColumnSpec> specs;
};

ColumnDef Common(Target t, std::string name, std::vector<std::string> aliases, bool required,
                 std::string description) {
  return ColumnDef{{std::move(name), std::move(aliases), required, std::move(description)}, t, ""};
}

ColumnDef Body(std::string path, std::vector<std::string> aliases, bool required,
               std::string description) {
  std::string name = path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
  return ColumnDef{{std::move(name), std::move(aliases), required, std::move(description)},
                   Target::kBody,
                   std::move(path)};
}

const std::map<std::string, LayoutDef, std::less<>>& Layouts() {
  static const auto* kLayouts = [] {
    auto* out = new std::map<std::string, LayoutDef, std::less<>>;
    auto add = [&](const std::string& type, std::vector<std::string> date_aliases,
                   std::string date_meaning, std::vector<ColumnDef> body) {
      LayoutDef layout;
      date_aliases.insert(date_aliases.end(), {"date", "date_evenement"});
      layout.defs.push_back(
          Common(Target::kLot, "lot_id", {"lot", "id_lot"}, true, "lot du marché, ex. LOT-11"));
      layout.defs.push_back(Common(Target::kOccurred, "occurred_at", std::move(date_aliases), true,
                                   std::move(date_meaning)));
      layout.defs.push_back(Common(Target::kRecorded, "recorded_at",
                                   {"date_saisie", "date_enregistrement"}, false,
                                   "date de saisie dans l'outil de l'opérateur (facultatif : "
                                   "sinon, l'heure de l'import)"));
      layout.defs.push_back(Common(Target::kOperator, "operator_id", {"operateur", "id_operateur"},
                                   false, "l'opérateur (facultatif ; sinon --operator)"));
      layout.defs.push_back(Body("beneficiary", {"beneficiaire", "pseudonyme", "id_beneficiaire"},
                                 true, "pseudonyme du bénéficiaire (8 à 64 caractères)"));
      for (auto& d : body) layout.defs.push_back(std::move(d));
      for (const auto& d : layout.defs) layout.specs.push_back(d.spec);
      out->emplace(type, std::move(layout));
    };
    add("request_received", {"date_demande"}, "date de la demande",
        {Body("channel", {"canal"}, true, "canal : PHONE, WEB, IN_PERSON, REFERRAL"),
         Body("profile.age_band", {"tranche_age", "age"}, true,
              "tranche d'âge : UNDER_26, AGE_26_44, AGE_45_54, AGE_55_PLUS"),
         Body("profile.sex", {"sexe"}, true, "sexe : FEMALE, MALE, NOT_STATED"),
         Body("profile.qualification", {"niveau_qualification", "diplome", "niveau_diplome"}, true,
              "niveau de qualification : NONE, CAP_BEP, BAC, BAC_2, BAC_3_PLUS"),
         Body("profile.status", {"statut", "situation_professionnelle"}, true,
              "statut : EMPLOYEE, SELF_EMPLOYED, OTHER"),
         Body("profile.company_size", {"taille_entreprise"}, true,
              "taille de l'entreprise : UNDER_11, FROM_11_TO_49, FROM_50_TO_249, FROM_250, "
              "UNKNOWN"),
         Body("profile.departement", {"departement_residence", "dept"}, true,
              "département de résidence (code INSEE)")});
    add("appointment_held", {"date_rdv", "date_rendez_vous"}, "date et heure du rendez-vous",
        {Body("appointment_id", {"id_rdv", "identifiant_rdv", "rdv"}, true,
              "identifiant du rendez-vous chez l'opérateur"),
         Body("level", {"niveau"}, true, "niveau : LEVEL_1_WELCOME (1), LEVEL_2_SUPPORT (2)"),
         Body("modality", {"modalite"}, true, "modalité : IN_PERSON, PHONE, VIDEO"),
         Body("kind", {"type_accompagnement", "nature"}, true, "nature : ONE_OFF, LONG_TERM"),
         Body("duration_minutes", {"duree_minutes", "duree"}, true, "durée en minutes (1 à 480)"),
         Body("departement", {"dept", "departement_rdv"}, true,
              "département du rendez-vous (code INSEE)")});
    add("appointment_missed", {"date_rdv", "date_rendez_vous"}, "date du rendez-vous manqué",
        {Body("appointment_id", {"id_rdv", "identifiant_rdv", "rdv"}, true,
              "identifiant du rendez-vous chez l'opérateur"),
         Body("reason", {"motif"}, true,
              "motif : NO_SHOW, CANCELLED_BY_BENEFICIARY, CANCELLED_BY_OPERATOR")});
    add("deliverable_issued", {"date_remise", "date_livrable"}, "date de remise du livrable",
        {Body("type", {"type_livrable", "livrable"}, true,
              "livrable : SUMMARY_DOCUMENT, ACTION_PLAN")});
    add("journey_closed", {"date_cloture", "date_sortie"}, "date de fin de parcours",
        {Body("outcome", {"issue", "resultat"}, true,
              "issue : PROJECT_DEFINED, TRAINING_STARTED, JOB_CHANGE, BUSINESS_CREATION, "
              "REFERRED, ABANDONED, OTHER"),
         Body("referred_to", {"orientation", "oriente_vers"}, true,
              "orientation : CPF, TRANSITIONS_PRO, FRANCE_TRAVAIL, APEC, VAE, NONE")});
    add("survey_answered", {"date_reponse"}, "date de la réponse à l'enquête",
        {Body("wave", {"vague"}, true, "vague : END_OF_SERVICE, SIX_MONTHS"),
         Body("satisfaction", {"note_satisfaction", "note"}, true, "satisfaction de 1 à 10"),
         Body("useful", {"utile"}, false, "utile : oui/non (vide : non)"),
         Body("situation_improved", {"situation_amelioree"}, false,
              "situation améliorée : oui/non, vague SIX_MONTHS seulement")});
    return out;
  }();
  return *kLayouts;
}

// ---------------------------------------------------------------------------
// Times

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<absl::Time> ParseCsvTime(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return std::nullopt;
  }
  size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return std::nullopt;
    if (!Digits(s, pos + 1, 2, &h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &mi)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, &sec)) return std::nullopt;
      pos += 3;
    }
  }
  const absl::CivilSecond civil(y, mo, d, h, mi, sec);
  if (civil.year() != y || civil.month() != mo || civil.day() != d || civil.hour() != h ||
      civil.minute() != mi || civil.second() != sec || sec > 59) {
    return std::nullopt;  // 2024-02-30, 25:00 and the like
  }
  if (pos == s.size()) return absl::FromCivil(civil, domain::Paris());
  if (s.size() == 10) return std::nullopt;
  const std::string_view zone = s.substr(pos);
  if (zone == "Z" || zone == "z") return absl::FromCivil(civil, absl::UTCTimeZone());
  int oh, om;
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !Digits(zone, 1, 2, &oh) ||
      zone[3] != ':' || !Digits(zone, 4, 2, &om) || oh > 23 || om > 59) {
    return std::nullopt;
  }
  const absl::Duration offset = absl::Hours(oh) + absl::Minutes(om);
  const absl::Time utc = absl::FromCivil(civil, absl::UTCTimeZone());
  return zone[0] == '+' ? utc - offset : utc + offset;
}

const std::vector<std::string>& CsvEventTypes() {
  static const auto* kTypes =
      new std::vector<std::string>{"request_received",   "appointment_held", "appointment_missed",
                                   "deliverable_issued", "journey_closed",   "survey_answered"};
  return *kTypes;
}

const std::vector<CsvColumnSpec>* CsvLayout(std::string_view event_type) {
  auto it = Layouts().find(event_type);
  return it == Layouts().end() ? nullptr : &it->second.specs;
}

std::optional<std::vector<std::string>> SplitCsvRecord(std::string_view line, char separator) {
  std::vector<std::string> cells;
  std::string cell;
  size_t i = 0;
  while (true) {
    cell.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return std::nullopt;  // quote left open
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cell.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell.push_back(line[i++]);
      }
      // Anything between the closing quote and the separator is kept.
      while (i < line.size() && line[i] != separator) cell.push_back(line[i++]);
    } else {
      size_t end = line.find(separator, i);
      if (end == std::string_view::npos) end = line.size();
      cell.assign(line.substr(i, end - i));
      i = end;
    }
    cells.push_back(cell);
    if (i >= line.size()) return cells;
    ++i;  // the separator
  }
}

class CsvDecoder::Impl {
 public:
  struct Bound {
    const ColumnDef* def;
    std::string header;                        // as written
    std::vector<const FieldDescriptor*> path;  // under the body
    // Enum cells already parsed (spelling -> number, 0 for unknown).
    mutable std::map<std::string, int, std::less<>> enum_memo;
  };
  std::string type;
  std::string operator_id;
  const FieldDescriptor* body = nullptr;
  char separator = ',';
  std::vector<Bound> columns;
  std::vector<std::string> normalized_header;
  // Proto path under the event ("appointment_held.level", "occurred_at") -> header.
  std::map<std::string, std::string, std::less<>> column_of;
  bool has_recorded_at = false;
};

CsvDecoder::CsvDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CsvDecoder::CsvDecoder(CsvDecoder&&) noexcept = default;
CsvDecoder& CsvDecoder::operator=(CsvDecoder&&) noexcept = default;
CsvDecoder::~CsvDecoder() = default;

bool CsvDecoder::HasRecordedAt() const { return impl_->has_recorded_at; }

std::variant<CsvDecoder, Refusal> CsvDecoder::Create(std::string_view event_type,
                                                     std::string_view header,
                                                     std::string operator_id) {
  auto layout = Layouts().find(event_type);
  if (layout == Layouts().end()) {
    std::string types;
    for (const auto& t : CsvEventTypes()) types += (types.empty() ? "" : ", ") + t;
    return Refusal{RefusalCode::kBadFormat, "--type",
                   fmt::format("unknown event type; one of {}", types)};
  }
  if (header.substr(0, 3) == "\xEF\xBB\xBF") header.remove_prefix(3);
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  if (!IsValidUtf8(header)) {
    return Refusal{RefusalCode::kNotUtf8, "",
                   "the header row is not valid UTF-8 (export the file in UTF-8)"};
  }
  auto impl = std::make_unique<Impl>();
  impl->type = std::string(event_type);
  impl->operator_id = std::move(operator_id);
  impl->body = v1::Event::descriptor()->FindFieldByName(impl->type);
  const size_t commas = std::count(header.begin(), header.end(), ',');
  const size_t semicolons = std::count(header.begin(), header.end(), ';');
  impl->separator = semicolons > commas ? ';' : ',';
  auto cells = SplitCsvRecord(header, impl->separator);
  if (!cells) return Refusal{RefusalCode::kBadHeader, "", "the header row leaves a quote open"};
  const auto find = [&](const std::string& norm) -> const ColumnDef* {
    for (const auto& def : layout->second.defs) {
      if (norm == def.spec.name) return &def;
      for (const auto& a : def.spec.aliases) {
        if (norm == a) return &def;
      }
    }
    return nullptr;
  };
  if (std::none_of(cells->begin(), cells->end(),
                   [&](const std::string& c) { return find(Normalize(Trim(c))) != nullptr; })) {
    return Refusal{RefusalCode::kBadHeader, "",
                   fmt::format("the first line must be the header row of the {} layout "
                               "(docs/import.md)",
                               impl->type)};
  }
  std::set<const ColumnDef*> seen;
  for (const auto& raw : *cells) {
    const std::string name(Trim(raw));
    const std::string norm = Normalize(name);
    const ColumnDef* found = find(norm);
    if (!found) {
      if (IsPersonalFieldName(norm) || IsPersonalFieldName(name)) {
        return Refusal{RefusalCode::kPersonalData, name,
                       "this column's name says personal data: remove it from the export, "
                       "nothing of it may enter pilotage"};
      }
      return Refusal{RefusalCode::kUnknownField, name,
                     fmt::format("not a column of the {} layout (docs/import.md)", impl->type)};
    }
    if (!seen.insert(found).second) {
      return Refusal{RefusalCode::kBadHeader, name,
                     fmt::format("column '{}' is named twice", found->spec.name)};
    }
    Impl::Bound bound{found, name, {}};
    std::string proto_path;
    switch (found->target) {
      case Target::kLot:
        proto_path = "lot_id";
        break;
      case Target::kOperator:
        proto_path = "operator_id";
        break;
      case Target::kOccurred:
        proto_path = "occurred_at";
        break;
      case Target::kRecorded:
        proto_path = "recorded_at";
        impl->has_recorded_at = true;
        break;
      case Target::kBody: {
        proto_path = impl->type + "." + found->path;
        const Descriptor* d = impl->body->message_type();
        size_t start = 0;
        while (true) {
          const size_t dot = found->path.find('.', start);
          const auto* f = d->FindFieldByName(found->path.substr(
              start, dot == std::string::npos ? std::string::npos : dot - start));
          bound.path.push_back(f);
          if (dot == std::string::npos) break;
          d = f->message_type();
          start = dot + 1;
        }
        break;
      }
    }
    impl->column_of[proto_path] = name;
    impl->columns.push_back(std::move(bound));
    impl->normalized_header.push_back(norm);
  }
  for (const auto& def : layout->second.defs) {
    if (def.spec.required && !seen.contains(&def)) {
      std::string aliases;
      for (const auto& a : def.spec.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
      return Refusal{RefusalCode::kMissingField, def.spec.name,
                     fmt::format("required column missing (also named: {})", aliases)};
    }
  }
  return CsvDecoder(std::move(impl));
}

Item CsvDecoder::Decode(std::string_view line, bool at_end_without_newline) const {
  Item item;
  const Impl& im = *impl_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!IsValidUtf8(line)) {
    item.refusal = Refusal{RefusalCode::kNotUtf8, "", "not valid UTF-8 (export the file in UTF-8)"};
    return item;
  }
  auto cells = SplitCsvRecord(line, im.separator);
  if (!cells) {
    item.refusal = at_end_without_newline
                       ? Refusal{RefusalCode::kTruncatedLine, "",
                                 "the file ends inside this line (a quote "
                                 "is left open): the export was cut"}
                       : Refusal{RefusalCode::kMalformedEvent, "",
                                 "a quote is left open (a cell never spans two lines)"};
    return item;
  }
  if (cells->size() == im.columns.size() &&
      Normalize(Trim(cells->front())) == im.normalized_header.front()) {
    bool header = true;
    for (size_t i = 1; i < cells->size() && header; ++i) {
      header = Normalize(Trim((*cells)[i])) == im.normalized_header[i];
    }
    if (header) {
      item.refusal = Refusal{RefusalCode::kDuplicateHeader, "",
                             "the header row again (two exports joined?): not an event"};
      return item;
    }
  }
  if (cells->size() != im.columns.size()) {
    item.refusal =
        at_end_without_newline && cells->size() < im.columns.size()
            ? Refusal{RefusalCode::kTruncatedLine, "",
                      fmt::format("the file ends inside this line ({} of {} columns): the export "
                                  "was cut",
                                  cells->size(), im.columns.size())}
            : Refusal{RefusalCode::kMalformedEvent, "",
                      fmt::format("{} cells where the header has {} columns", cells->size(),
                                  im.columns.size())};
    return item;
  }
  v1::Event& e = item.event;
  const auto* reflection = e.GetReflection();
  Message* body = reflection->MutableMessage(&e, im.body);
  if (e.has_request_received()) e.mutable_request_received()->mutable_profile();
  for (size_t i = 0; i < cells->size(); ++i) {
    const auto& col = im.columns[i];
    const std::string_view cell = Trim((*cells)[i]);
    if (cell.empty()) continue;  // a required value missing is refused by validation
    auto refuse = [&](RefusalCode code, std::string message) {
      item.refusal = Refusal{code, col.header, std::move(message)};
    };
    switch (col.def->target) {
      case Target::kLot:
        e.set_lot_id(std::string(cell));
        break;
      case Target::kOperator:
        e.set_operator_id(std::string(cell));
        break;
      case Target::kOccurred:
      case Target::kRecorded: {
        auto t = ParseCsvTime(cell);
        if (!t) {
          refuse(RefusalCode::kBadTimestamp,
                 "expected YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (Paris time) or RFC 3339 with an "
                 "offset (2024-04-02T10:00:00+02:00)");
          return item;
        }
        auto* ts = col.def->target == Target::kOccurred ? e.mutable_occurred_at()
                                                        : e.mutable_recorded_at();
        ts->set_seconds(absl::ToUnixSeconds(*t));
        ts->set_nanos(0);
        break;
      }
      case Target::kBody: {
        Message* m = body;
        for (size_t k = 0; k + 1 < col.path.size(); ++k) {
          m = m->GetReflection()->MutableMessage(m, col.path[k]);
        }
        const FieldDescriptor* f = col.path.back();
        const auto* r = m->GetReflection();
        switch (f->cpp_type()) {
          case FieldDescriptor::CPPTYPE_STRING:
            r->SetString(m, f, std::string(cell));
            break;
          case FieldDescriptor::CPPTYPE_ENUM: {
            // Few distinct spellings per column: remember them.
            auto& memo = col.enum_memo;
            auto hit = memo.find(cell);
            int v;
            if (hit != memo.end()) {
              v = hit->second;
            } else {
              v = ParseEnum(f->enum_type(), cell);
              if (memo.size() < 256) memo.emplace(std::string(cell), v);
            }
            if (v == 0) {
              refuse(RefusalCode::kUnknownEnum,
                     fmt::format("not a value of this column: one of {} (or "
                                 "their French names, docs/import.md)",
                                 EnumChoices(f->enum_type())));
              return item;
            }
            r->SetEnumValue(m, f, v);
            break;
          }
          case FieldDescriptor::CPPTYPE_INT32: {
            auto v = ParseInt(cell);
            if (!v) {
              refuse(RefusalCode::kWrongType, "expected a whole number written with digits only");
              return item;
            }
            r->SetInt32(m, f, static_cast<int32_t>(*v));
            break;
          }
          case FieldDescriptor::CPPTYPE_BOOL: {
            auto v = ParseBool(cell);
            if (!v) {
              refuse(RefusalCode::kWrongType, "expected oui/non (or true/false, 1/0)");
              return item;
            }
            r->SetBool(m, f, *v);
            break;
          }
          default:
            refuse(RefusalCode::kWrongType, "unsupported column type");
            return item;
        }
        break;
      }
    }
  }
  // The derived id: the operator, the type and what the line says.
  std::string material = im.operator_id;
  material.push_back('\0');
  material += im.type;
  material.push_back('\0');
  material += e.SerializeAsString();
  const XXH128_hash_t h = XXH3_128bits(material.data(), material.size());
  // Written with the letters a-p, one per 4 bits, never with digits: hex
  // digits can form runs the personal-data guard takes for a NIR or a phone
  // number (about 2 % of ids would be refused).
  std::string id = "csv-";
  for (uint64_t half : {h.high64, h.low64}) {
    for (int shift = 60; shift >= 0; shift -= 4)
      id.push_back(static_cast<char>('a' + ((half >> shift) & 0xf)));
  }
  e.set_event_id(std::move(id));
  return item;
}

std::string CsvDecoder::ColumnFor(std::string_view field) const {
  if (field.substr(0, 7) == "events[") {
    const size_t dot = field.find("].");
    if (dot != std::string_view::npos) field.remove_prefix(dot + 2);
  }
  auto it = impl_->column_of.find(field);
  return it == impl_->column_of.end() ? std::string(field) : it->second;
}

}  // namespace pilotage::intake
