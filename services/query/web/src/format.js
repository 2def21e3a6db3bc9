// French formatting for what pilots read on screen: numbers through
// Intl.NumberFormat('fr-FR') ("78,6 %", "1 452 520 €", "1 234,56 €"), days
// as dd/mm/yyyy, periods as the API labels them ("T1 2024", "mai 2024"),
// labels instead of the API's ids.
const count = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 });
const wholeEuros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 });
const euros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const dateTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Europe/Paris' });
const day = new Intl.DateTimeFormat('fr-FR', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' });

export const formatCount = (n) => count.format(n);
export const formatPercent = (share) => percent.format(share);
// Whole euros without cents ("1 500 €"), others with them ("1 234,56 €").
export const formatEuroCents = (cents) => (cents % 100 === 0 ? wholeEuros : euros).format(cents / 100);
export const formatInstant = (iso) => (iso ? dateTime.format(new Date(iso)) : '—');
// "2024-07-05" -> "05/07/2024".
export const formatDay = (ymd) => (ymd ? day.format(new Date(`${ymd}T00:00:00Z`)) : '—');

// A KPI value as shown: counts as integers, shares as percentages; a share
// measured on nobody (sample 0) is "—", not 0 %.
export function formatKpi(formula, value, sample) {
  if (value === null || value === undefined) return '—';
  if (formula !== 'NEW_BENEFICIARIES' && sample === 0) return '—';
  return formula === 'NEW_BENEFICIARIES' ? formatCount(value) : formatPercent(value);
}
// A target: a count of people is whole (the pro-rated 8,95 reads 9).
export function formatTarget(formula, direction, target) {
  if (target === null || target === undefined) return '—';
  const shown = formula === 'NEW_BENEFICIARIES' ? formatCount(target) : formatPercent(target);
  return `${direction === 'AT_MOST' ? '≤' : '≥'} ${shown}`;
}

export const STATUS_LABELS = {
  MET: 'Atteint',
  AT_RISK: 'À risque',
  BREACHED: 'Non atteint',
  NOT_ENOUGH_DATA: 'Données insuffisantes',
  INFORMATIONAL: 'Informatif',
  PROVISIONAL: 'Provisoire',
};
// A sign beside each status, so that it never rests on colour alone.
export const STATUS_SIGNS = {
  MET: '✓', AT_RISK: '!', BREACHED: '✗', NOT_ENOUGH_DATA: '…', INFORMATIONAL: 'i', PROVISIONAL: '~',
};
// The status shown for a KPI: a period not closed yet is never judged.
export const shownStatus = (status, closed) => (closed === false ? 'PROVISIONAL' : status);

// French labels of the profile, modality, outcome and referral values.
export const VALUE_LABELS = {
  AGE_26_44: '26-44 ans', UNDER_26: 'moins de 26 ans', AGE_45_54: '45-54 ans', AGE_55_PLUS: '55 ans et plus',
  FEMALE: 'femmes', MALE: 'hommes', NOT_STATED: 'non renseigné',
  NONE: 'aucun', CAP_BEP: 'CAP/BEP', BAC: 'bac', BAC_2: 'bac+2', BAC_3_PLUS: 'bac+3 et plus',
  EMPLOYEE: 'salarié', SELF_EMPLOYED: 'indépendant', OTHER: 'autre',
  UNDER_11: 'moins de 11', FROM_11_TO_49: '11 à 49', FROM_50_TO_249: '50 à 249', FROM_250: '250 et plus', UNKNOWN: 'inconnue',
  PHONE: 'téléphone', WEB: 'internet', IN_PERSON: 'sur place', REFERRAL: 'orientation', VIDEO: 'visio',
  LEVEL_1_WELCOME: 'niveau 1 (accueil)', LEVEL_2_SUPPORT: 'niveau 2 (accompagnement)',
  ONE_OFF: 'appui ponctuel', LONG_TERM: 'accompagnement dans la durée',
  PROJECT_DEFINED: 'projet défini', TRAINING_STARTED: 'entrée en formation', JOB_CHANGE: 'changement d\'emploi',
  BUSINESS_CREATION: "création d'entreprise", REFERRED: 'orienté', ABANDONED: 'abandon',
  CPF: 'CPF', TRANSITIONS_PRO: 'Transitions Pro', FRANCE_TRAVAIL: 'France Travail', APEC: 'Apec', VAE: 'VAE',
  UNSPECIFIED: 'non précisé',
};
export const valueLabel = (v) => VALUE_LABELS[v] || v;

// The French label of a period text the API did not label (select options).
const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];
export function periodLabel(text) {
  let m = /^(\d{4})-Q([1-4])$/.exec(text);
  if (m) return `T${m[2]} ${m[1]}`;
  m = /^(\d{4})-(\d{2})$/.exec(text);
  if (m) return `${MONTHS[Number(m[2]) - 1]} ${m[1]}`;
  m = /^(\d{4})$/.exec(text);
  if (m) return m[1];
  m = /^CY(\d+)/.exec(text);
  if (m) return `année contractuelle ${m[1]}`;
  return text;
}
export const capitalize = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);

// French messages for the API's error statuses (its details are English).
export const ERROR_MESSAGES = {
  400: 'Paramètre invalide dans l\'adresse de la page.',
  401: 'Jeton inconnu ou absent.',
  403: 'Ce jeton ne donne pas accès à cette page.',
  404: 'Page ou lot introuvable.',
  503: 'Les données ne sont pas encore disponibles (le projecteur démarre ?). Réessayez dans un instant.',
};
export const errorMessage = (status) => ERROR_MESSAGES[status] || 'Erreur inattendue du service. Réessayez plus tard.';

// The quarter ("YYYY-Qn") a period text falls in: a month's, a quarter
// itself, a year's last; null for a contract year.
export function quarterOf(text) {
  let m = /^(\d{4})-Q([1-4])$/.exec(text || '');
  if (m) return text;
  m = /^(\d{4})-(\d{2})$/.exec(text || '');
  if (m) return `${m[1]}-Q${Math.floor((Number(m[2]) - 1) / 3) + 1}`;
  m = /^(\d{4})$/.exec(text || '');
  return m ? `${m[1]}-Q4` : null;
}
// The quarters /meta offers up to the one of `period` (all when it names
// none), at most `n`, oldest first.
export function quartersUpTo(meta, period, n) {
  const last = quarterOf(period);
  return (meta.quarters || []).filter((q) => !last || q.period <= last).slice(0, n).reverse();
}
