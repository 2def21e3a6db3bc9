// French formatting for pilots: numbers through Intl.NumberFormat('fr-FR'),
// periods as the API labels them ("T1 2024", "mai 2024").
const count = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 });
const euros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const dateTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Europe/Paris' });
const day = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'UTC' });

export const formatCount = (n) => count.format(n);
export const formatDecimal = (n) => decimal.format(n);
export const formatPercent = (share) => percent.format(share);
export const formatEuroCents = (cents) => euros.format(cents / 100);
export const formatInstant = (iso) => (iso ? dateTime.format(new Date(iso)) : '—');
export const formatDay = (ymd) => (ymd ? day.format(new Date(`${ymd}T00:00:00Z`)) : '—');

// A KPI value as shown: counts as integers, shares as percentages; a share
// measured on nobody (sample 0) is "—", not 0 %.
export function formatKpi(formula, value, sample) {
  if (value === null || value === undefined) return '—';
  if (formula !== 'NEW_BENEFICIARIES' && sample === 0) return '—';
  return formula === 'NEW_BENEFICIARIES' ? formatCount(value) : formatPercent(value);
}
export function formatTarget(formula, direction, target) {
  if (target === null || target === undefined) return '—';
  const shown = formula === 'NEW_BENEFICIARIES' ? formatDecimal(target) : formatPercent(target);
  return `${direction === 'AT_MOST' ? '≤' : '≥'} ${shown}`;
}

export const STATUS_LABELS = {
  MET: 'Atteint',
  AT_RISK: 'À risque',
  BREACHED: 'Non atteint',
  NOT_ENOUGH_DATA: 'Données insuffisantes',
  INFORMATIONAL: 'Informatif',
};

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
