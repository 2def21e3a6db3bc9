#include "csv_layout.h"

#include <utility>

namespace pilotage::intake::csv_layout {
namespace {

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

}  // namespace

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

}  // namespace pilotage::intake::csv_layout
