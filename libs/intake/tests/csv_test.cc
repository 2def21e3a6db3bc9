// CSV layouts, French aliases, dates, quotes, refusals and derived ids of
// libs/intake/csv.h, and the recorded_at rule of the historical import.
#include "pilotage/intake/csv.h"

#include <gtest/gtest.h>

#include <regex>

namespace pilotage::intake {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1717236000);  // 2024-06-01T10:00:00Z

constexpr char kFrenchHeader[] =
    "Lot;Date RDV;Bénéficiaire;ID RDV;Niveau;Modalité;Type accompagnement;Durée;Département";

CsvDecoder Make(std::string_view type, std::string_view header, std::string op = "op-cibc-idf") {
  auto made = CsvDecoder::Create(type, header, std::move(op));
  if (auto* r = std::get_if<Refusal>(&made)) {
    ADD_FAILURE() << r->code << " " << r->field << " " << r->message;
    return std::move(std::get<CsvDecoder>(
        CsvDecoder::Create("deliverable_issued", "lot_id,date,beneficiary,type", "x")));
  }
  return std::move(std::get<CsvDecoder>(made));
}

Refusal HeaderRefusal(std::string_view type, std::string_view header) {
  auto made = CsvDecoder::Create(type, header, "op-cibc-idf");
  auto* r = std::get_if<Refusal>(&made);
  EXPECT_NE(r, nullptr) << header;
  return r ? *r : Refusal{};
}

LotCalendar Lots() {
  LotCalendar lots;
  lots.contract_start["LOT-11"] = *ContractStart("2024-01-02");
  lots.contract_start["LOT-24"] = *ContractStart("2024-01-02");
  return lots;
}

Sender Idf() { return Sender{"op-cibc-idf", {"LOT-11"}}; }

TEST(CsvLayouts, EveryActivityTypeHasOneWithTheEnvelopeColumns) {
  ASSERT_EQ(CsvEventTypes().size(), 6u);
  for (const auto& type : CsvEventTypes()) {
    const auto* layout = CsvLayout(type);
    ASSERT_NE(layout, nullptr) << type;
    std::vector<std::string> names;
    for (const auto& c : *layout) names.push_back(c.name);
    for (const char* want : {"lot_id", "occurred_at", "recorded_at", "beneficiary"}) {
      EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << type << " " << want;
    }
  }
  EXPECT_EQ(CsvLayout("lot_awarded"), nullptr);
}

TEST(CsvDecode, FrenchHeaderSemicolonsAndFrenchValues) {
  auto d = Make("appointment_held", kFrenchHeader);
  auto item =
      d.Decode("LOT-11;2024-03-04 10:00;ben-00000001;R-1;2;présentiel;ponctuel;45;75", false);
  ASSERT_FALSE(item.refusal) << item.refusal->field << " " << item.refusal->message;
  const auto& e = item.event;
  EXPECT_EQ(e.lot_id(), "LOT-11");
  EXPECT_EQ(e.occurred_at().seconds(), 1709542800);  // 10:00 Paris (UTC+1) = 09:00Z
  EXPECT_FALSE(e.has_recorded_at());
  const auto& b = e.appointment_held();
  EXPECT_EQ(b.beneficiary(), "ben-00000001");
  EXPECT_EQ(b.appointment_id(), "R-1");
  EXPECT_EQ(b.level(), v1::Level::LEVEL_2_SUPPORT);
  EXPECT_EQ(b.modality(), v1::Modality::IN_PERSON);
  EXPECT_EQ(b.kind(), v1::SupportKind::ONE_OFF);
  EXPECT_EQ(b.duration_minutes(), 45);
  EXPECT_EQ(b.departement(), "75");
  Sender s = Idf();
  EXPECT_FALSE(ValidateEvent(item.event, 0, s, Lots(), kNow, {}));
}

TEST(CsvDecode, RequestWithProfileAndSurveyBooleans) {
  auto d = Make("request_received",
                "lot_id,date_demande,date_saisie,beneficiaire,canal,tranche_age,sexe,diplome,"
                "statut,taille_entreprise,departement");
  auto item = d.Decode(
      "LOT-11,2024-05-02,2024-05-03,ben-00000002,telephone,45-54,F,bac+2,salarié,11-49,93", false);
  ASSERT_FALSE(item.refusal) << item.refusal->field << " " << item.refusal->message;
  const auto& p = item.event.request_received().profile();
  EXPECT_EQ(item.event.request_received().channel(), v1::Channel::PHONE);
  EXPECT_EQ(p.age_band(), v1::AgeBand::AGE_45_54);
  EXPECT_EQ(p.sex(), v1::Sex::FEMALE);
  EXPECT_EQ(p.qualification(), v1::Qualification::BAC_2);
  EXPECT_EQ(p.status(), v1::WorkStatus::EMPLOYEE);
  EXPECT_EQ(p.company_size(), v1::CompanySize::FROM_11_TO_49);
  EXPECT_EQ(p.departement(), "93");
  EXPECT_TRUE(item.event.has_recorded_at());
  EXPECT_TRUE(d.HasRecordedAt());

  auto survey = Make("survey_answered",
                     "lot_id,date_reponse,beneficiary,vague,note,utile,"
                     "situation_amelioree");
  auto s = survey.Decode("LOT-11,2024-05-02,ben-00000002,six mois,8,oui,non", false);
  ASSERT_FALSE(s.refusal) << s.refusal->message;
  EXPECT_EQ(s.event.survey_answered().wave(), v1::SurveyWave::SIX_MONTHS);
  EXPECT_EQ(s.event.survey_answered().satisfaction(), 8);
  EXPECT_TRUE(s.event.survey_answered().useful());
  EXPECT_FALSE(s.event.survey_answered().situation_improved());
}

TEST(CsvDecode, DatesInTheDocumentedFormatsOnly) {
  // Worked out by hand: July is CEST (UTC+2).
  EXPECT_EQ(absl::ToUnixSeconds(*ParseCsvTime("2024-07-01")), 1719784800);  // 06-30T22:00Z
  EXPECT_EQ(absl::ToUnixSeconds(*ParseCsvTime("2024-07-01 10:00")), 1719820800);
  EXPECT_EQ(absl::ToUnixSeconds(*ParseCsvTime("2024-07-01T10:00:00")), 1719820800);
  EXPECT_EQ(absl::ToUnixSeconds(*ParseCsvTime("2024-07-01T10:00:00+02:00")), 1719820800);
  EXPECT_EQ(absl::ToUnixSeconds(*ParseCsvTime("2024-07-01T08:00:00Z")), 1719820800);
  for (const char* bad : {"01/07/2024", "2024-7-1", "2024-02-30", "2024-07-01T25:00",
                          "2024-07-01T10:00:00+0200", "2024-07-01 10h00", "juillet 2024", ""}) {
    EXPECT_FALSE(ParseCsvTime(bad)) << bad;
  }
}

TEST(CsvDecode, QuotedCells) {
  auto cells = SplitCsvRecord(R"(a,"b,c","d ""e""",)", ',');
  ASSERT_TRUE(cells);
  EXPECT_EQ(*cells, (std::vector<std::string>{"a", "b,c", "d \"e\"", ""}));
  EXPECT_FALSE(SplitCsvRecord(R"(a,"b)", ','));
}

TEST(CsvHeader, RefusesWhatTheLayoutDoesNotKnow) {
  const std::string base = "lot_id,date_rdv,beneficiary,appointment_id,level,modality,kind,";
  auto r = HeaderRefusal("appointment_held", base + "duration_minutes,departement,commentaire");
  EXPECT_EQ(r.code, intake::RefusalCode::kUnknownField);
  EXPECT_EQ(r.field, "commentaire");
  r = HeaderRefusal("appointment_held", base + "duration_minutes,departement,Nom");
  EXPECT_EQ(r.code, intake::RefusalCode::kPersonalData);
  EXPECT_EQ(r.field, "Nom");
  r = HeaderRefusal("appointment_held", base + "departement");
  EXPECT_EQ(r.code, intake::RefusalCode::kMissingField);
  EXPECT_EQ(r.field, "duration_minutes");
  r = HeaderRefusal("appointment_held", base + "duration_minutes,departement,niveau");
  EXPECT_EQ(r.code, intake::RefusalCode::kBadHeader);
  EXPECT_EQ(r.field, "niveau");
  r = HeaderRefusal("appointment_held", "LOT-11,2024-03-04,ben-00000001,R-1,2,VIDEO,ONE_OFF,60,75");
  EXPECT_EQ(r.code, intake::RefusalCode::kBadHeader);
  r = HeaderRefusal("lot_awarded", "lot_id");
  EXPECT_EQ(r.code, intake::RefusalCode::kBadFormat);
  EXPECT_EQ(r.field, "--type");
}

TEST(CsvDecode, BadLinesNameTheirColumnAndCode) {
  auto d = Make("appointment_held", kFrenchHeader);
  struct Case {
    std::string line;
    bool at_end;
    std::string code, field;
  };
  const std::vector<Case> cases = {
      {"LOT-11;04/03/2024;ben-00000001;R-1;2;visio;ponctuel;45;75", false, "BAD_TIMESTAMP",
       "Date RDV"},
      {"LOT-11;2024-03-04;ben-00000001;R-1;3;visio;ponctuel;45;75", false, "UNKNOWN_ENUM",
       "Niveau"},
      {"LOT-11;2024-03-04;ben-00000001;R-1;2;hologramme;ponctuel;45;75", false, "UNKNOWN_ENUM",
       "Modalité"},
      {"LOT-11;2024-03-04;ben-00000001;R-1;2;visio;ponctuel;45 min;75", false, "WRONG_TYPE",
       "Durée"},
      {"Lot;Date RDV;Bénéficiaire;ID RDV;Niveau;Modalité;Type accompagnement;Durée;Département",
       false, "DUPLICATE_HEADER", ""},
      {"LOT-11;2024-03-04;ben-0000000\xE9;R-1;2;visio;ponctuel;45;75", false, "NOT_UTF8", ""},
      {"LOT-11;2024-03-04;ben-00000001", false, "MALFORMED_EVENT", ""},
      {"LOT-11;2024-03-04;ben-00000001", true, "TRUNCATED_LINE", ""},
      {"LOT-11;2024-03-04;\"ben-0000", true, "TRUNCATED_LINE", ""},
      {"LOT-11;2024-03-04;ben-00000001;R-1;2;visio;ponctuel;45;75;extra", false, "MALFORMED_EVENT",
       ""},
  };
  for (const auto& c : cases) {
    auto item = d.Decode(c.line, c.at_end);
    ASSERT_TRUE(item.refusal) << c.line;
    EXPECT_EQ(CodeName(item.refusal->code), c.code) << c.line;
    EXPECT_EQ(item.refusal->field, c.field) << c.line;
  }
}

TEST(CsvDecode, ValidationRefusalsMapBackToTheColumn) {
  auto d = Make("appointment_held", kFrenchHeader);
  Sender s = Idf();
  struct Case {
    std::string line, code, column;
  };
  const std::vector<Case> cases = {
      // A NIR typed in the free-text appointment id.
      {"LOT-11;2024-03-04;ben-00000001;1 85 05 75 123 456 78;2;visio;ponctuel;45;75",
       "PERSONAL_DATA", "ID RDV"},
      {"LOT-24;2024-03-04;ben-00000001;R-1;2;visio;ponctuel;45;45", "LOT_NOT_ALLOWED", "Lot"},
      {"LOT-99;2024-03-04;ben-00000001;R-1;2;visio;ponctuel;45;75", "UNKNOWN_LOT", "Lot"},
      {"LOT-11;2024-03-04;ben-00000001;R-1;2;visio;ponctuel;600;75", "OUT_OF_RANGE", "Durée"},
      {"LOT-11;2024-03-04;ben-00000001;R-1;2;;ponctuel;45;75", "MISSING_FIELD", "Modalité"},
      {"LOT-11;2023-12-01;ben-00000001;R-1;2;visio;ponctuel;45;75", "BEFORE_CONTRACT_START",
       "Date RDV"},
      {"LOT-11;2024-03-04;b1;R-1;2;visio;ponctuel;45;75", "BAD_PSEUDONYM", "Bénéficiaire"},
  };
  for (const auto& c : cases) {
    auto item = d.Decode(c.line, false);
    ASSERT_FALSE(item.refusal) << c.line << " " << item.refusal->message;
    auto refusal = ValidateEvent(item.event, 0, s, Lots(), kNow, {});
    ASSERT_TRUE(refusal) << c.line;
    EXPECT_EQ(CodeName(refusal->code), c.code) << c.line;
    EXPECT_EQ(d.ColumnFor(refusal->field), c.column) << c.line << " " << refusal->field;
  }
}

TEST(CsvDecode, IdsAreDerivedFromOperatorTypeAndContent) {
  auto idf = Make("appointment_held", kFrenchHeader);
  const std::string line = "LOT-11;2024-03-04;ben-00000001;R-1;2;visio;ponctuel;45;75";
  const std::string id = idf.Decode(line, false).event.event_id();
  EXPECT_TRUE(std::regex_match(id, std::regex("csv-[a-p]{32}"))) << id;
  EXPECT_EQ(idf.Decode(line, false).event.event_id(), id);
  // The same event written differently is the same event.
  EXPECT_EQ(
      idf.Decode("LOT-11;2024-03-04;ben-00000001;R-1;LEVEL_2_SUPPORT;VIDEO;ONE_OFF;45;75", false)
          .event.event_id(),
      id);
  auto english = Make("appointment_held",
                      "lot_id,occurred_at,beneficiary,appointment_id,level,modality,kind,"
                      "duration_minutes,departement");
  EXPECT_EQ(english.Decode("LOT-11,2024-03-04,ben-00000001,R-1,2,visio,ponctuel,45,75", false)
                .event.event_id(),
            id);
  EXPECT_NE(idf.Decode("LOT-11;2024-03-04;ben-00000001;R-2;2;visio;ponctuel;45;75", false)
                .event.event_id(),
            id);
  EXPECT_NE(
      Make("appointment_held", kFrenchHeader, "op-other").Decode(line, false).event.event_id(), id);
}

TEST(RecordedAt, TheGatewayOverwritesItTheImportKeepsIt) {
  auto d = Make("deliverable_issued", "lot_id,date_remise,date_saisie,beneficiaire,livrable");
  Sender s = Idf();
  ValidationOptions import;
  import.keep_recorded_at = true;

  auto item = d.Decode("LOT-11,2024-03-04,2024-03-20,ben-00000001,synthèse", false);
  ASSERT_FALSE(item.refusal);
  v1::Event gateway = item.event;
  ASSERT_FALSE(ValidateEvent(gateway, 0, s, Lots(), kNow, {}));
  EXPECT_EQ(gateway.recorded_at().seconds(), absl::ToUnixSeconds(kNow));
  ASSERT_FALSE(ValidateEvent(item.event, 0, s, Lots(), kNow, import));
  // 2024-03-20 00:00 Paris (UTC+1) = 2024-03-19T23:00Z.
  EXPECT_EQ(item.event.recorded_at().seconds(), 1710889200);
  EXPECT_EQ(item.event.operator_id(), "op-cibc-idf");

  auto none = d.Decode("LOT-11,2024-03-04,,ben-00000001,synthèse", false);
  ASSERT_FALSE(ValidateEvent(none.event, 0, s, Lots(), kNow, import));
  EXPECT_EQ(none.event.recorded_at().seconds(), absl::ToUnixSeconds(kNow));

  auto future = d.Decode("LOT-11,2024-03-04,2024-06-02,ben-00000001,synthèse", false);
  auto r = ValidateEvent(future.event, 0, s, Lots(), kNow, import);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, intake::RefusalCode::kFutureTimestamp);
  EXPECT_EQ(d.ColumnFor(r->field), "date_saisie");

  // Recorded before it occurred (a cancellation noted ahead): kept as is.
  auto before = d.Decode("LOT-11,2024-03-04,2024-03-03,ben-00000001,synthèse", false);
  ASSERT_FALSE(ValidateEvent(before.event, 0, s, Lots(), kNow, import));
  // 2024-03-03 00:00 Paris = 2024-03-02T23:00Z.
  EXPECT_EQ(before.event.recorded_at().seconds(), 1709420400);
}

TEST(NdjsonLine, DecodesOneEventLikeTheGateway) {
  auto item = DecodeEventJson(
      R"({"event_id":"e-1","lot_id":"LOT-11","occurred_at":"2024-03-04T10:00:00+01:00",)"
      R"("recorded_at":"2024-03-05T10:00:00+01:00",)"
      R"("deliverable_issued":{"beneficiary":"ben-00000001","type":"ACTION_PLAN"}})",
      0);
  ASSERT_FALSE(item.refusal) << item.refusal->message;
  EXPECT_EQ(item.event.recorded_at().seconds(), 1709629200);
  auto bad = DecodeEventJson(R"({"event_id":"e-1","nom":"x"})", 0);
  ASSERT_TRUE(bad.refusal);
  EXPECT_EQ(bad.refusal->code, intake::RefusalCode::kPersonalData);
  EXPECT_EQ(DecodeEventJson(R"({"event_id":)", 0).refusal->code,
            intake::RefusalCode::kMalformedEvent);
}

}  // namespace
}  // namespace pilotage::intake
