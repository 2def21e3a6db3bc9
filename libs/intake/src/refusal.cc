#include "pilotage/intake/refusal.h"

#include <ostream>

namespace pilotage::intake {

std::string_view CodeName(RefusalCode code) {
  switch (code) {
    case RefusalCode::kMalformedBody:
      return "MALFORMED_BODY";
    case RefusalCode::kUnsupportedMediaType:
      return "UNSUPPORTED_MEDIA_TYPE";
    case RefusalCode::kBodyTooLarge:
      return "BODY_TOO_LARGE";
    case RefusalCode::kBatchTooLarge:
      return "BATCH_TOO_LARGE";
    case RefusalCode::kEmptyBatch:
      return "EMPTY_BATCH";
    case RefusalCode::kMalformedEvent:
      return "MALFORMED_EVENT";
    case RefusalCode::kUnknownField:
      return "UNKNOWN_FIELD";
    case RefusalCode::kWrongType:
      return "WRONG_TYPE";
    case RefusalCode::kUnknownEnum:
      return "UNKNOWN_ENUM";
    case RefusalCode::kBadTimestamp:
      return "BAD_TIMESTAMP";
    case RefusalCode::kMultipleBodies:
      return "MULTIPLE_BODIES";
    case RefusalCode::kStringTooLong:
      return "STRING_TOO_LONG";
    case RefusalCode::kMissingField:
      return "MISSING_FIELD";
    case RefusalCode::kBadFormat:
      return "BAD_FORMAT";
    case RefusalCode::kBadPseudonym:
      return "BAD_PSEUDONYM";
    case RefusalCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case RefusalCode::kFutureTimestamp:
      return "FUTURE_TIMESTAMP";
    case RefusalCode::kBeforeContractStart:
      return "BEFORE_CONTRACT_START";
    case RefusalCode::kUnknownLot:
      return "UNKNOWN_LOT";
    case RefusalCode::kLotNotAllowed:
      return "LOT_NOT_ALLOWED";
    case RefusalCode::kOperatorMismatch:
      return "OPERATOR_MISMATCH";
    case RefusalCode::kEventTypeNotAllowed:
      return "EVENT_TYPE_NOT_ALLOWED";
    case RefusalCode::kPersonalData:
      return "PERSONAL_DATA";
    case RefusalCode::kDuplicateKey:
      return "DUPLICATE_KEY";
    case RefusalCode::kConflictingEventId:
      return "CONFLICTING_EVENT_ID";
    case RefusalCode::kDuplicateHeader:
      return "DUPLICATE_HEADER";
    case RefusalCode::kTruncatedLine:
      return "TRUNCATED_LINE";
    case RefusalCode::kNotUtf8:
      return "NOT_UTF8";
    case RefusalCode::kBadHeader:
      return "BAD_HEADER";
    case RefusalCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case RefusalCode::kBadReplayTime:
      return "BAD_REPLAY_TIME";
    case RefusalCode::kRateLimited:
      return "RATE_LIMITED";
    case RefusalCode::kBatchOverBurst:
      return "BATCH_OVER_BURST";
    case RefusalCode::kUnavailable:
      return "UNAVAILABLE";
    case RefusalCode::kNotFound:
      return "NOT_FOUND";
    case RefusalCode::kHttpError:
      return "HTTP_ERROR";
  }
  return "UNKNOWN_REFUSAL";  // not reached: the switch covers every code (-Wswitch)
}

std::string_view FrenchLabel(RefusalCode code) {
  switch (code) {
    case RefusalCode::kMalformedBody:
      return "corps de requête illisible (JSON, NDJSON ou protobuf invalide)";
    case RefusalCode::kUnsupportedMediaType:
      return "type de contenu non pris en charge";
    case RefusalCode::kBodyTooLarge:
      return "requête trop volumineuse";
    case RefusalCode::kBatchTooLarge:
      return "lot d'événements trop grand";
    case RefusalCode::kEmptyBatch:
      return "envoi sans aucun événement";
    case RefusalCode::kMalformedEvent:
      return "événement illisible";
    case RefusalCode::kDuplicateKey:
      return "clé répétée dans un objet JSON";
    case RefusalCode::kUnknownField:
      return "champ inconnu";
    case RefusalCode::kWrongType:
      return "champ d'un mauvais type";
    case RefusalCode::kUnknownEnum:
      return "valeur de liste inconnue";
    case RefusalCode::kBadTimestamp:
      return "date ou heure illisible";
    case RefusalCode::kMultipleBodies:
      return "plusieurs types d'événement dans un seul événement";
    case RefusalCode::kStringTooLong:
      return "texte trop long";
    case RefusalCode::kMissingField:
      return "champ obligatoire manquant";
    case RefusalCode::kBadFormat:
      return "format de champ invalide";
    case RefusalCode::kBadPseudonym:
      return "pseudonyme de bénéficiaire invalide";
    case RefusalCode::kOutOfRange:
      return "valeur hors des bornes";
    case RefusalCode::kFutureTimestamp:
      return "date dans le futur";
    case RefusalCode::kBeforeContractStart:
      return "date antérieure au début du marché";
    case RefusalCode::kUnknownLot:
      return "lot inconnu";
    case RefusalCode::kLotNotAllowed:
      return "lot non attribué à l'opérateur";
    case RefusalCode::kOperatorMismatch:
      return "opérateur différent de celui du jeton";
    case RefusalCode::kEventTypeNotAllowed:
      return "type d'événement non autorisé à l'opérateur";
    case RefusalCode::kPersonalData:
      return "donnée personnelle détectée";
    case RefusalCode::kConflictingEventId:
      return "même identifiant d'événement avec un autre contenu dans l'envoi";
    case RefusalCode::kDuplicateHeader:
      return "ligne d'en-tête répétée";
    case RefusalCode::kTruncatedLine:
      return "ligne tronquée";
    case RefusalCode::kNotUtf8:
      return "texte qui n'est pas en UTF-8";
    case RefusalCode::kBadHeader:
      return "ligne d'en-tête invalide";
    case RefusalCode::kUnauthenticated:
      return "jeton absent ou inconnu";
    case RefusalCode::kBadReplayTime:
      return "horloge de rejeu illisible";
    case RefusalCode::kRateLimited:
      return "débit autorisé dépassé";
    case RefusalCode::kBatchOverBurst:
      return "envoi plus grand que la rafale autorisée";
    case RefusalCode::kUnavailable:
      return "écriture non confirmée par Kafka";
    case RefusalCode::kNotFound:
      return "adresse inconnue";
    case RefusalCode::kHttpError:
      return "requête HTTP refusée";
  }
  return "refus";  // not reached: the switch covers every code (-Wswitch)
}

std::ostream& operator<<(std::ostream& out, RefusalCode code) { return out << CodeName(code); }

}  // namespace pilotage::intake
