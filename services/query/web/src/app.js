// The national pilots' dashboard: national, lot and data-quality pages over
// the query API (/api/v1). The URL holds the page, the lot and the period,
// so a link can be shared. The token is traded once for a session cookie
// that no script can read (HttpOnly, decision 0031): it is never stored.
import { Chart, registerables } from 'chart.js';
import {
  STATUS_LABELS, STATUS_SIGNS, capitalize, errorMessage, formatCount, formatDay, formatEuroCents,
  formatInstant, formatKpi, formatPercent, formatTarget, periodLabel, shownStatus, valueLabel,
} from './format.js';
import { accessibilityPage } from './accessibility.js';
import { bilanPage } from './bilan.js';
import { watchTables } from './export.js';
import { closeMenu, frameTables } from './layout.js';
import { fundsPage } from './funds.js';
import { closeActionForm, reviewsSection, wireLotForms } from './lot_forms.js';
import { penaltyPage } from './penalty.js';
import { gatewayRefusals, qualityHistory } from './quality.js';
import { trendsPage } from './trends.js';

Chart.register(...registerables);
Chart.defaults.animation = false;
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
Chart.defaults.locale = 'fr-FR';

const app = document.getElementById('app');
let charts = [];
// Lot id -> its award (operator, region), from /meta: pages name operators,
// not lot ids.
let awards = {};

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// State-changing calls carry this header: a cross-site page cannot send it
// without a preflight the service never grants (CSRF).
const CSRF = { 'X-Requested-With': 'pilotage' };

async function api(path) {
  const res = await fetch(`/api/v1/${path}`, { credentials: 'same-origin' });
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) throw new ApiError(res.status, body?.error?.message || `HTTP ${res.status}`);
  return body;
}

function route() {
  const url = new URL(window.location.href);
  const penalty = /^\/lot\/([^/]+)\/penalties\/([^/]+)$/.exec(url.pathname);
  if (penalty) {
    return { page: 'penalty', lot: decodeURIComponent(penalty[1]), penalty: decodeURIComponent(penalty[2]), period: url.searchParams.get('period') };
  }
  const lot = /^\/lot\/([^/]+)$/.exec(url.pathname);
  if (lot) return { page: 'lot', lot: decodeURIComponent(lot[1]), period: url.searchParams.get('period') };
  if (url.pathname === '/quality') return { page: 'quality', period: url.searchParams.get('period') };
  const bilan = /^\/bilan(?:\/([^/]+))?$/.exec(url.pathname);
  if (bilan) return { page: 'bilan', lot: bilan[1] && decodeURIComponent(bilan[1]), period: url.searchParams.get('period') };
  const extra = { '/funds': 'funds', '/trends': 'trends', '/accessibilite': 'accessibilite' }[url.pathname];
  if (extra) return { page: extra, period: url.searchParams.get('period') };
  return { page: 'national', period: url.searchParams.get('period') };
}

function href(page, period, lot, penalty) {
  const q = period ? `?period=${encodeURIComponent(period)}` : '';
  if (page === 'lot') return `/lot/${encodeURIComponent(lot)}${q}`;
  if (page === 'bilan' && lot) return `/bilan/${encodeURIComponent(lot)}${q}`;
  if (page === 'penalty') return `/lot/${encodeURIComponent(lot)}/penalties/${encodeURIComponent(penalty)}${q}`;
  return `/${page}${q}`;
}

// Set by a navigation inside the page (not the first load): focus moves.
let navigated = false;
function go(url) {
  window.history.pushState({}, '', url);
  navigated = true;
  closeMenu();
  render();
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-nav]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey) return;
  e.preventDefault();
  go(a.getAttribute('href'));
});
window.addEventListener('popstate', () => { navigated = true; render(); });

// The periods offered: the quarters /meta lists (none not started; an open
// one says "provisoire"), plus whatever the URL holds.
function periodChoices(current, meta) {
  const out = (meta.quarters || []).map((q) => ({
    value: q.period,
    label: q.closed ? q.period_label : `${q.period_label} (provisoire)`,
  }));
  if (current && !out.some((o) => o.value === current)) out.unshift({ value: current, label: periodLabel(current) });
  return out;
}

// The header's links and the page each opens.
const NAV = [['nav-national', 'national'], ['nav-funds', 'funds'], ['nav-trends', 'trends'], ['nav-bilan', 'bilan'],
  ['nav-quality', 'quality'], ['nav-a11y', 'accessibilite']];

function setupPeriod(r, meta) {
  const select = document.getElementById('period');
  select.innerHTML = periodChoices(r.period, meta)
    .map((o) => `<option value="${esc(o.value)}"${o.value === r.period ? ' selected' : ''}>${esc(o.label)}</option>`)
    .join('');
  select.onchange = () => go(href(r.page, select.value, r.lot, r.penalty));
  for (const [id, page] of NAV) {
    const a = document.getElementById(id);
    a.href = href(page, r.period);
    a.dataset.nav = '';
    if (page === r.page) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

// "Opérateur (LOT-94 · Corse)", or the lot id when the API has no award.
function lotName(lot, operatorName) {
  const award = awards[lot];
  const name = operatorName || award?.operator_name;
  if (!name) return esc(lot);
  return `${esc(name)} <span class="note">${esc(lot)}${award?.region ? ` · ${esc(award.region)}` : ''}</span>`;
}
const lotText = (lot) => (awards[lot]?.operator_name ? `${awards[lot].operator_name} (${lot})` : lot);

function showFreshness(f) {
  const el = document.getElementById('freshness');
  if (!f) { el.textContent = ''; return; }
  const lag = f.lag_events === null
    ? 'retard du projecteur inconnu (Kafka injoignable)'
    : `retard du projecteur : ${formatCount(f.lag_events)} événement${f.lag_events > 1 ? 's' : ''}`;
  el.innerHTML = `<span data-testid="freshness-lag">${esc(lag)}</span> · calculé le <span data-testid="freshness-computed">${esc(formatInstant(f.computed_at))}</span>`
    + ` · données lues le ${esc(formatInstant(f.caught_up_at))} · ${esc(formatCount(f.folded_events))} événements intégrés`
    + (f.complete === false
      ? ` · <strong class="error" data-testid="freshness-incomplete">Données incomplètes : il manque les partitions ${esc((f.missing_partitions || []).join(', '))} ; chiffres et montants partiels, ne pas décider sur cette base.</strong>`
      : '');
  el.classList.toggle('stale', f.lag_events === null || f.lag_events > 0 || f.complete === false);
}

// A status as a badge: its sign and its words, never its colour alone.
const statusText = (status) => `${STATUS_SIGNS[status] || ''} ${STATUS_LABELS[status] || status}`.trim();

function statusCell(k, formula, direction, closed) {
  if (!k) return '<td class="status-NOT_ENOUGH_DATA">—</td>';
  const status = shownStatus(k.status, closed);
  return `<td class="cell status-${esc(status)}" data-kpi="${esc(k.id)}">`
    + `<span class="v" data-testid="kpi-value">${esc(formatKpi(formula, k.value, k.sample))}</span>`
    + `<span class="t">cible ${esc(formatTarget(formula, direction, k.target))}</span>`
    + `<span class="s" data-testid="kpi-status">${esc(statusText(status))}</span></td>`;
}

// The statuses a table may show: a period not closed shows none but "Provisoire".
const legend = (closed) => `<p class="legend">${Object.keys(STATUS_LABELS)
  .filter((s) => (closed ? s !== 'PROVISIONAL' : s === 'PROVISIONAL'))
  .map((s) => `<span class="fr-badge fr-badge--sm badge status-${s}">${esc(statusText(s))}</span>`).join('')}</p>`;

function kpiTable(kpis, testid, closed) {
  return `<div class="scroll"><table data-testid="${testid}"><thead><tr><th scope="col" class="name">Indicateur</th><th scope="col">Valeur</th><th scope="col">Cible</th>`
    + '<th scope="col">Numérateur</th><th scope="col">Échantillon</th><th scope="col">Statut</th></tr></thead><tbody>'
    + kpis.map((k) => {
      const status = shownStatus(k.status, closed);
      return `<tr data-kpi="${esc(k.id)}"><th scope="row" class="name">${esc(k.label)}</th>`
        + `<td data-testid="kpi-value">${esc(formatKpi(k.formula, k.value, k.sample))}</td>`
        + `<td>${k.informational ? '—' : esc(formatTarget(k.formula, k.direction, k.target))}</td>`
        + `<td>${esc(formatCount(k.numerator))}</td><td>${esc(formatCount(k.sample))}</td>`
        + `<td class="status-${esc(status)}">${esc(statusText(status))}</td></tr>`;
    }).join('')
    + '</tbody></table></div>';
}

// A lot is off target when a KPI of a closed period is not met.
const offTarget = (row) => row.closed !== false && row.kpis.some((k) => k.status === 'BREACHED');

function lotsTable(list, period, onlyOff) {
  const cols = list.columns;
  const rows = onlyOff ? list.lots.filter(offTarget) : list.lots;
  if (!list.lots.length) return '<p class="state">Aucun lot pour cette période.</p>';
  if (!rows.length) return '<p class="state" data-testid="no-off-target">Aucun lot hors cible pour cette période.</p>';
  return `<div class="scroll"><table data-testid="lots-table"><caption class="sr-only">Indicateurs par lot, ${esc(periodLabel(period))}</caption><thead><tr><th scope="col" class="name">Lot</th>`
    + cols.map((c) => `<th scope="col">${esc(c.label)}</th>`).join('')
    + '</tr></thead><tbody>'
    + rows.map((row) => {
      const by = Object.fromEntries(row.kpis.map((k) => [k.id, k]));
      const problem = row.problem ? `<br><span class="note">${esc(row.problem)}</span>` : '';
      return `<tr data-lot="${esc(row.lot)}"><th scope="row" class="name"><a data-nav href="${esc(href('lot', period, row.lot))}">${lotName(row.lot, row.award?.operator_name)}</a>${problem}</th>`
        + cols.map((c) => statusCell(by[c.id], c.formula, c.direction, row.closed)).join('') + '</tr>';
    }).join('')
    + '</tbody></table></div>';
}

// What a period not closed yet says above its figures.
function provisionalNotice(closed, closingDay) {
  if (closed !== false) return '';
  return '<div class="fr-alert fr-alert--info fr-alert--sm" data-testid="provisional-notice"><p><strong>Période provisoire.</strong> '
    + `Elle sera close le ${esc(formatDay(closingDay))} : les indicateurs sont affichés sans être jugés.</p></div>`;
}

function card(label, value, testid) {
  return `<div class="card"><div class="n" data-testid="${testid}">${esc(value)}</div><div class="l">${esc(label)}</div></div>`;
}

// The pending list's rows, as one kind: penalties awaiting a decision and
// corrective actions not closed.
function pendingRows(pending) {
  const penalties = pending.penalties.map((p) => ({
    kind: 'Pénalité',
    id: p.penalty_id,
    lot: p.lot,
    operator: p.operator_name,
    // The rule's label; the job's French explanation when the terms do not
    // describe the rule.
    subject: p.rule_label || p.explanation || p.rule_id,
    kpi: p.kpi_id,
    kpiLabel: p.kpi_label || p.kpi_id,
    period: p.period,
    periodLabel: p.period_label,
    amount: p.amount_cents,
    deadline: p.observation_deadline,
    deadlineLabel: 'observations',
    decision: p.decision_from,
    state: p.state_label,
    late: p.past_deadline_undecided,
  }));
  const actions = pending.actions.map((a) => ({
    kind: 'Action corrective',
    id: a.action_id,
    lot: a.lot,
    operator: a.operator_name,
    subject: a.description || a.finding || a.action_id,
    kpi: a.kpi_id,
    kpiLabel: a.kpi_label || a.kpi_id,
    period: a.period,
    periodLabel: a.period_label,
    amount: null,
    deadline: a.due_date,
    deadlineLabel: 'clôture',
    decision: '',
    state: a.state_label,
    late: a.state === 'OVERDUE',
  }));
  return [...penalties, ...actions];
}

const PENDING_SORTS = {
  deadline: (a, b) => (a.deadline || '9999').localeCompare(b.deadline || '9999'),
  decision: (a, b) => (a.decision || '9999').localeCompare(b.decision || '9999'),
  amount: (a, b) => (a.amount ?? -1) - (b.amount ?? -1),
  lot: (a, b) => lotText(a.lot).localeCompare(lotText(b.lot), 'fr'),
};
const pendingView = { sort: 'deadline', dir: 1, lot: '', kpi: '', offTarget: false, late: false };

function pendingTable(rows, offLots) {
  const v = pendingView;
  const shown = rows
    .filter((x) => (!v.lot || x.lot === v.lot) && (!v.kpi || x.kpi === v.kpi)
      && (!v.offTarget || offLots.has(x.lot)) && (!v.late || x.late))
    .sort((a, b) => v.dir * PENDING_SORTS[v.sort](a, b) || a.id.localeCompare(b.id));
  const th = (key, label) => {
    const sorted = v.sort === key ? (v.dir > 0 ? 'ascending' : 'descending') : null;
    return `<th scope="col"${sorted ? ` aria-sort="${sorted}"` : ''}><button type="button" class="sort" data-sort="${key}">${esc(label)}`
      + `<span aria-hidden="true">${sorted ? (v.dir > 0 ? ' ▲' : ' ▼') : ' ⇅'}</span></button></th>`;
  };
  document.getElementById('pending-count').textContent = `${formatCount(shown.length)} élément${shown.length > 1 ? 's' : ''} affiché${shown.length > 1 ? 's' : ''} sur ${formatCount(rows.length)}.`;
  if (!shown.length) return '<p class="state" data-testid="pending-empty">Aucune pénalité ni action corrective en attente pour ces critères.</p>';
  return '<div class="scroll"><table data-testid="pending-table"><caption class="sr-only">Pénalités et actions correctives en attente</caption><thead><tr>'
    + th('lot', 'Lot') + '<th scope="col" class="name">Nature et objet</th><th scope="col" class="name">Indicateur</th><th scope="col">Période</th>'
    + th('amount', 'Montant') + th('deadline', 'Échéance') + th('decision', 'Décision possible dès') + '<th scope="col">État</th></tr></thead><tbody>'
    + shown.map((x) => `<tr data-pending="${esc(x.id)}" data-lot="${esc(x.lot)}"><th scope="row" class="name"><a data-nav href="${esc(href('lot', x.period, x.lot))}">${lotName(x.lot, x.operator)}</a></th>`
      + `<td class="name wrap"><strong>${esc(x.kind)}</strong><br>${esc(x.subject)}</td><td class="name wrap">${esc(x.kpiLabel || '—')}</td>`
      + `<td>${esc(x.periodLabel || x.period)}</td><td data-testid="pending-amount">${x.amount === null ? '—' : esc(formatEuroCents(x.amount))}</td>`
      + `<td data-testid="pending-deadline">${esc(formatDay(x.deadline))}<br><span class="note">${esc(x.deadlineLabel)}</span></td>`
      + `<td>${x.decision ? esc(formatDay(x.decision)) : '—'}</td>`
      + `<td class="${x.late ? 'status-BREACHED' : ''}">${x.late ? `${esc(STATUS_SIGNS.BREACHED)} échéance dépassée<br>` : ''}${esc(x.state)}</td></tr>`).join('')
    + '</tbody></table></div>';
}

function pendingSection(pending, list) {
  const rows = pendingRows(pending);
  const offLots = new Set(list.lots.filter(offTarget).map((l) => l.lot));
  const lots = [...new Set(rows.map((x) => x.lot))].sort((a, b) => lotText(a).localeCompare(lotText(b), 'fr'));
  const kpis = [...new Map(rows.filter((x) => x.kpi).map((x) => [x.kpi, x.kpiLabel])).entries()];
  const html = '<section aria-labelledby="pending-title"><h2 id="pending-title">Pénalités et actions correctives en attente</h2>'
    + `<p class="note">Au ${esc(formatDay(pending.on))}, tous lots confondus : pénalités en attente de décision, actions correctives non closes.</p>`
    + '<form class="filters" id="pending-filters">'
    + `<div class="fr-select-group"><label class="fr-label" for="pending-lot">Lot</label><select class="fr-select" id="pending-lot"><option value="">Tous les lots</option>${lots.map((l) => `<option value="${esc(l)}">${esc(lotText(l))}</option>`).join('')}</select></div>`
    + `<div class="fr-select-group"><label class="fr-label" for="pending-kpi">Indicateur</label><select class="fr-select" id="pending-kpi"><option value="">Tous les indicateurs</option>${kpis.map(([id, label]) => `<option value="${esc(id)}">${esc(label)}</option>`).join('')}</select></div>`
    + '<div class="fr-checkbox-group fr-checkbox-group--sm check"><input type="checkbox" id="pending-off"><label class="fr-label" for="pending-off">Lots hors cible sur la période seulement</label></div>'
    + '<div class="fr-checkbox-group fr-checkbox-group--sm check"><input type="checkbox" id="pending-late"><label class="fr-label" for="pending-late">Échéance dépassée seulement</label></div>'
    + '</form><p id="pending-count" class="note" role="status" data-testid="pending-count"></p><div id="pending-list"></div></section>';
  const wire = () => {
    const draw = () => { document.getElementById('pending-list').innerHTML = pendingTable(rows, offLots); };
    document.getElementById('pending-lot').onchange = (e) => { pendingView.lot = e.target.value; draw(); };
    document.getElementById('pending-kpi').onchange = (e) => { pendingView.kpi = e.target.value; draw(); };
    document.getElementById('pending-off').onchange = (e) => { pendingView.offTarget = e.target.checked; draw(); };
    document.getElementById('pending-late').onchange = (e) => { pendingView.late = e.target.checked; draw(); };
    document.getElementById('pending-list').onclick = (e) => {
      const b = e.target.closest('button[data-sort]');
      if (!b) return;
      pendingView.dir = pendingView.sort === b.dataset.sort ? -pendingView.dir : 1;
      pendingView.sort = b.dataset.sort;
      draw();
      document.querySelector(`#pending-list button[data-sort="${b.dataset.sort}"]`).focus();
    };
    Object.assign(pendingView, { lot: '', kpi: '', offTarget: false, late: false });
    draw();
  };
  return { html, wire };
}

async function nationalPage(r, meta) {
  const pilot = meta.principal.role === 'pilot';
  const [list, national, pending] = await Promise.all([
    api(`lots?period=${encodeURIComponent(r.period)}`),
    pilot ? api(`national?period=${encodeURIComponent(r.period)}`) : null,
    api('pending'),
  ]);
  const closed = list.lots.every((l) => l.closed !== false);
  const closingDay = list.lots.map((l) => l.closing_day).filter(Boolean).sort().pop();
  const title = national ? 'Vue nationale' : `Mes lots (${esc(meta.principal.id)})`;
  let html = `<h1 tabindex="-1">${title} — <span data-testid="period-label">${esc(list.period_label || periodLabel(r.period))}</span>`
    + `${closed ? '' : ' <span class="fr-badge fr-badge--sm badge status-PROVISIONAL" data-testid="provisional">provisoire</span>'}</h1>`
    + provisionalNotice(closed, closingDay);
  if (national) {
    const v = national.volume;
    html += `<section aria-label="Chiffres clés"><div class="cards">${card('nouveaux bénéficiaires', formatCount(v.new_beneficiaries), 'total-new-beneficiaries')}`
      + card('rendez-vous', formatCount(v.appointments), 'total-appointments')
      + card('parcours clos', formatCount(v.closures), 'total-closures')
      + card('réponses aux enquêtes', formatCount(v.surveys), 'total-surveys')
      + card('lots', formatCount(national.lots.length), 'total-lots')
      + card('pénalités confirmées', formatEuroCents(national.penalties.confirmed_cents), 'total-penalties-confirmed')
      + card('pénalités en attente de décision', formatEuroCents(national.penalties.undecided_cents), 'total-penalties-undecided')
      + card('payé selon les relevés sur l\'année contractuelle', formatEuroCents(national.fund_usage.cumulative_cents), 'total-fund-usage')
      + card('enveloppes des lots', formatEuroCents(national.fund_usage.budget_envelope_cents), 'total-envelopes')
      + '</div>'
      + `<p><a data-nav href="${esc(href('funds', r.period))}">Consommation des enveloppes : gagné, pourcentages et projection de fin d'année</a> · <a data-nav href="${esc(href('bilan', r.period))}">Bilan trimestriel imprimable</a></p>`
      + (national.fund_usage.lots_projected_over_envelope.length
        ? `<p class="error">Projection au-delà de l'enveloppe : ${national.fund_usage.lots_projected_over_envelope.map((l) => esc(lotText(l))).join(', ')}</p>` : '')
      + (national.fund_usage.lots_without_statement.length
        ? `<p class="note">Sans relevé pour la période : ${national.fund_usage.lots_without_statement.map((l) => esc(lotText(l.lot))).join(', ')}</p>` : '')
      + '</section>';
  }
  const off = list.lots.filter(offTarget);
  html += '<section aria-labelledby="lots-title"><h2 id="lots-title">Lots et indicateurs</h2>';
  if (closed) {
    html += `<p data-testid="off-target-summary">${off.length
      ? `<strong>${esc(formatCount(off.length))} lot${off.length > 1 ? 's' : ''} hors cible</strong> sur ${esc(formatCount(list.lots.length))} : `
        + off.map((l) => `<a data-nav data-off-target="${esc(l.lot)}" href="${esc(href('lot', r.period, l.lot))}">${esc(lotText(l.lot))}</a>`).join(', ')
      : 'Aucun lot hors cible sur la période.'}</p>`
      + '<div class="fr-checkbox-group fr-checkbox-group--sm check"><input type="checkbox" id="only-off"><label class="fr-label" for="only-off">Afficher seulement les lots hors cible</label></div>';
  }
  html += `${legend(closed)}<div id="lots-list">${lotsTable(list, r.period, false)}</div></section>`;
  const pendingPart = pendingSection(pending, list);
  html += pendingPart.html;
  if (national) {
    html += `<section aria-labelledby="national-title"><h2 id="national-title">Indicateurs nationaux</h2>${kpiTable(national.kpis, 'national-kpis', national.closed)}`
      + '<p class="note">Parts : numérateurs et échantillons additionnés sur les lots ; volumes : cibles des lots additionnées.</p>'
      + (national.problems.length ? `<p class="note">${national.problems.map(esc).join('<br>')}</p>` : '') + '</section>';
  }
  app.innerHTML = html;
  pendingPart.wire();
  const only = document.getElementById('only-off');
  if (only) only.onchange = () => { document.getElementById('lots-list').innerHTML = lotsTable(list, r.period, only.checked); };
  return list.freshness;
}

function lineChart(canvas, series, kpi) {
  const pct = kpi.formula !== 'NEW_BENEFICIARIES';
  const scale = (v) => (v === null ? null : pct ? v * 100 : v);
  // A month where the share was measured on nobody has no point.
  const value = (p) => (pct && !p.sample ? null : scale(p.value));
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels: series.map((p) => p.month_label),
      datasets: [
        { label: 'Valeur', data: series.map(value), spanGaps: false, borderColor: '#000091', backgroundColor: '#000091', tension: 0.2 },
        { label: 'Cible', data: series.map((p) => scale(p.target)), borderColor: '#b3261e', borderDash: [6, 4], pointRadius: 0 },
      ],
    },
    options: {
      responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: (c) => `${c.dataset.label} : ${pct ? formatPercent(c.parsed.y / 100) : formatCount(c.parsed.y)}` } } },
      scales: { y: { beginAtZero: true, ticks: { callback: (v) => (pct ? `${v} %` : formatCount(v)) } } },
    },
  });
}

// Text alternatives of the charts: what a screen reader says of them.
function seriesText(series, kpi) {
  const pct = kpi.formula !== 'NEW_BENEFICIARIES';
  return `${kpi.label}, par mois : ${series.map((p) => `${p.month_label} ${p.value === null || (pct && !p.sample) ? 'non mesuré' : formatKpi(kpi.formula, p.value, p.sample)}`).join(' ; ')}`
    + (kpi.target === null ? '' : ` ; cible ${formatTarget(kpi.formula, kpi.direction, kpi.target)}`);
}
function mixText(mix) {
  const rows = Object.entries(mix || {});
  return rows.length ? rows.map(([k, n]) => `${valueLabel(k)} : ${formatCount(n)}`).join(' ; ') : 'aucune donnée';
}

function barChart(canvas, entries, horizontal) {
  return new Chart(canvas, {
    type: 'bar',
    data: { labels: entries.map(([k]) => valueLabel(k)), datasets: [{ data: entries.map(([, n]) => n), backgroundColor: '#6a6af4' }] },
    options: {
      indexAxis: horizontal ? 'y' : 'x', responsive: true, maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { [horizontal ? 'x' : 'y']: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

// Each value with its share of `base` (default: the sum of the values).
function mixTable(mix, testid, base) {
  const rows = Object.entries(mix || {});
  if (!rows.length) return '<p class="note">Aucune donnée.</p>';
  const total = base ?? rows.reduce((s, [, n]) => s + n, 0);
  return `<div class="scroll"><table data-testid="${testid}"><tbody>${rows.map(([k, n]) => `<tr><th scope="row" class="name">${esc(valueLabel(k))}</th>`
    + `<td>${esc(formatCount(n))}</td><td>${total ? esc(formatPercent(n / total)) : '—'}</td></tr>`).join('')}</tbody></table></div>`;
}

const PENALTY_COLOURS = { CONFIRMED: 'BREACHED', WAIVED: 'MET', PROPOSED: 'AT_RISK', OBSERVATIONS_RECEIVED: 'AT_RISK' };
const ACTION_COLOURS = { OVERDUE: 'BREACHED', CLOSED_LATE: 'AT_RISK', CLOSED: 'MET', OPEN: '' };

function steeringSections(lot, period, meta) {
  const s = lot.steering;
  const kpiLabels = Object.fromEntries(lot.kpis.map((k) => [k.id, k.label]));
  if (!s) return '';
  let html = '<section><h2>Pénalités</h2>';
  if (!s.penalties.length) html += '<p class="state" data-testid="no-penalties">Aucune pénalité pour ce lot.</p>';
  for (const p of s.penalties) {
    html += `<div class="explain" data-testid="penalty" data-penalty="${esc(p.penalty_id)}">`
      + `<strong>${p.rule_label ? `${esc(p.rule_label)}, ` : ''}${esc(periodLabel(p.period))} — <span data-testid="penalty-amount">${esc(formatEuroCents(p.amount_cents))}</span></strong> `
      + `<span class="fr-badge fr-badge--sm badge status-${PENALTY_COLOURS[p.state] || ''}" data-testid="penalty-state">${esc(p.state_label)}</span>`
      + ` <span class="note">${esc(p.penalty_id)} · notifiée le ${esc(formatDay(p.proposed_on))} · observations jusqu'au ${esc(formatDay(p.observation_deadline))}</span>`
      + `<p data-testid="penalty-explanation">${esc(p.explanation)}</p>`
      + (p.formula ? `<p class="note">Calcul : ${esc(p.formula)}${p.limit_applied ? ` — ${esc(p.limit_applied)}` : ''}</p>` : '')
      + (p.input_offsets && p.input_offsets.length
        ? `<p class="note" data-testid="penalty-provenance">Calculée sur les conditions ${esc(p.terms_version)} ; données lues : ${esc(p.input_offsets.map((o) => `${o.topic}/${o.partition} < ${o.next_offset}`).join(', '))}</p>`
        : '')
      + (p.observations ? `<p class="note">Observations de l'opérateur (${esc(formatDay(p.observations_on))}) : ${esc(p.observations)}</p>` : '')
      + (p.decided_on ? `<p class="note">Décision le ${esc(formatDay(p.decided_on))} par ${esc(p.decided_by)}${p.decision_reason ? ` : ${esc(p.decision_reason)}` : ''}</p>` : '')
      + (p.past_deadline_undecided ? '<p class="error">Délai d\'observations échu : décision à prendre.</p>' : '')
      + `<p><a data-nav data-testid="penalty-open" href="${esc(href('penalty', period, lot.lot, p.penalty_id))}">Calcul détaillé, historique et décision</a></p>`
      + '</div>';
  }
  if (s.penalties.length) {
    const t = s.penalty_totals;
    html += `<p class="note">Total proposé ${esc(formatEuroCents(t.proposed_cents))} · confirmé ${esc(formatEuroCents(t.confirmed_cents))}`
      + ` · abandonné ${esc(formatEuroCents(t.waived_cents))} · en attente de décision ${esc(formatEuroCents(t.undecided_cents))}</p>`;
  }
  html += '</section><section aria-labelledby="actions-title"><h2 id="actions-title" tabindex="-1">Actions correctives</h2>';
  if (!s.actions.length) html += '<p class="state">Aucune action corrective.</p>';
  else {
    html += '<div class="scroll"><table data-testid="actions"><thead><tr><th scope="col" class="name">Action</th><th scope="col" class="name">Indicateur</th><th scope="col">Échéance</th><th scope="col">État</th></tr></thead><tbody>'
      + s.actions.map((a) => `<tr data-action="${esc(a.action_id)}"><th scope="row" class="name wrap">${esc(a.description || a.action_id)}</th><td class="name wrap">${esc(kpiLabels[a.kpi_id] || a.kpi_id || a.finding)}</td>`
        + `<td>${esc(formatDay(a.due_date))}</td><td class="status-${ACTION_COLOURS[a.state] || ''}">${esc(a.state_label)}</td></tr>`).join('')
      + '</tbody></table></div>';
  }
  html += closeActionForm(lot, meta, kpiLabels, esc);
  html += `</section>${reviewsSection(lot, meta, esc)}<section><h2>Relevé de paiement et usage des fonds</h2>`;
  const st = s.statement;
  if (!st || st.unavailable) {
    html += `<p class="state">Pas de relevé pour cette période${st ? ` : ${esc(st.unavailable)}` : ''}.</p>`;
  } else {
    html += `<p class="note">${st.closed ? 'Période close' : 'Provisoire : la période n\'est pas close'} · conditions ${esc(st.terms_version)}${st.issued ? ' · relevé émis' : ''}</p>`
      + '<div class="scroll"><table data-testid="statement"><tbody>'
      + `<tr><th scope="row" class="name">Forfaits par rendez-vous</th><td data-testid="statement-fees">${esc(formatEuroCents(st.fees_cents))}</td></tr>`
      + `<tr><th scope="row" class="name">Part variable</th><td>${esc(formatEuroCents(st.variable_cents))}</td></tr>`
      + `<tr><th scope="row" class="name">Pénalités confirmées</th><td data-testid="statement-penalties">${esc(formatEuroCents(st.penalties_cents ? -st.penalties_cents : 0))}</td></tr>`
      + `<tr><th scope="row" class="name"><strong>Net à payer</strong></th><td data-testid="statement-net"><strong>${esc(formatEuroCents(st.net_amount_cents))}</strong></td></tr>`
      + '</tbody></table></div>';
    const f = st.fund_usage;
    html += `<p data-testid="fund-usage">${esc(capitalize(periodLabel(f.contract_year)))} : ${esc(formatEuroCents(f.cumulative_cents))} payés`
      + ` sur une enveloppe de ${esc(formatEuroCents(f.budget_envelope_cents))}`
      + (f.budget_envelope_cents > 0 ? ` (${esc(formatPercent(f.cumulative_cents / f.budget_envelope_cents))})` : '')
      + ` ; projection à la fin de l'année : ${esc(formatEuroCents(f.projected_cents))}`
      + ` (${esc(formatCount(f.elapsed_days))} jours écoulés sur ${esc(formatCount(f.year_days))}), d'après les relevés émis et celui de la période.`
      + ` Ce que les rendez-vous ont gagné et sa projection : <a data-nav href="${esc(href('funds', lot.period))}">consommation des enveloppes</a>.</p>`
      + (f.projection_exceeds_envelope ? '<p class="error">La projection dépasse l\'enveloppe.</p>' : '')
      + (st.warnings.length ? `<p class="note">${st.warnings.map(esc).join('<br>')}</p>` : '');
  }
  return `${html}</section>`;
}

async function lotPage(r, meta) {
  const lot = await api(`lots/${encodeURIComponent(r.lot)}?period=${encodeURIComponent(r.period)}`);
  const award = lot.award;
  let html = `<h1 tabindex="-1">${award?.operator_name ? `${esc(award.operator_name)} — ` : ''}lot <span data-testid="lot-id">${esc(lot.lot)}</span>${award ? ` (${esc(award.region)})` : ''} — <span data-testid="period-label">${esc(lot.period_label)}</span>`
    + `${lot.closed === false ? ' <span class="fr-badge fr-badge--sm badge status-PROVISIONAL" data-testid="provisional">provisoire</span>' : ''}</h1>`;
  html += provisionalNotice(lot.closed, lot.closing_day);
  html += `<p class="note">${award ? `Départements ${esc(award.departements.join(', '))} · ` : ''}`
    + `conditions ${esc(lot.terms_version)} · clôture de la période le ${esc(formatDay(lot.closing_day))}</p>`
    + `<p class="no-print"><a data-nav href="${esc(href('bilan', r.period, lot.lot))}">Bilan trimestriel imprimable du lot</a> · <a data-nav href="${esc(href('funds', r.period))}">Consommation des enveloppes</a></p>`;
  const v = lot.volume;
  html += `<div class="cards">${card('nouveaux bénéficiaires', formatCount(v.new_beneficiaries), 'lot-new-beneficiaries')}`
    + card('rendez-vous', formatCount(v.appointments), 'lot-appointments')
    + card('parcours clos', formatCount(v.closures), 'lot-closures')
    + card('réponses aux enquêtes', formatCount(v.surveys), 'lot-surveys') + '</div>';
  html += `<section><h2>Indicateurs</h2>${kpiTable(lot.kpis, 'lot-kpis', lot.closed)}</section>`;
  const trended = lot.kpis.filter((k) => !k.informational);
  html += '<section><h2>Évolution mensuelle face aux cibles</h2><div class="grid3">'
    + trended.map((k) => `<div class="chart"><h3>${esc(k.label)}</h3><canvas role="img" aria-label="${esc(seriesText(lot.series.kpis[k.id], k))}" data-series="${esc(k.id)}"></canvas></div>`).join('')
    + '</div></section>';
  html += '<section><h2>Parcours des nouveaux bénéficiaires</h2><div class="grid2"><div class="chart"><h3>Entonnoir</h3><canvas id="funnel" role="img" aria-label="Entonnoir : voir le tableau à côté"></canvas></div>'
    + `<div>${mixTable({ 'demandes': lot.funnel.requests, 'niveau 1': lot.funnel.level_1, 'niveau 2': lot.funnel.level_2, "plan d'action": lot.funnel.action_plan, 'clôture': lot.funnel.closure }, 'funnel-table', lot.funnel.requests)}`
    + '<p class="note">Bénéficiaires dont la première demande tombe dans la période, et la part d\'entre eux ayant atteint chaque étape.</p></div></div></section>';
  html += '<section><h2>Profils et modalités</h2><div class="grid3">'
    + `<div class="chart"><h3>Âge</h3><canvas id="mix-age" role="img" aria-label="${esc(mixText(lot.profile_mix.age_band))}"></canvas></div>`
    + `<div class="chart"><h3>Qualification</h3><canvas id="mix-qualification" role="img" aria-label="${esc(mixText(lot.profile_mix.qualification))}"></canvas></div>`
    + `<div class="chart"><h3>Modalité des rendez-vous</h3><canvas id="mix-modality" role="img" aria-label="${esc(mixText(lot.modality_mix.modality))}"></canvas></div>`
    + `<div><h3>Sexe</h3>${mixTable(lot.profile_mix.sex, 'mix-sex')}</div>`
    + `<div><h3>Niveau</h3>${mixTable(lot.modality_mix.level, 'mix-level')}</div>`
    + `<div><h3>Type d'appui</h3>${mixTable(lot.modality_mix.kind, 'mix-kind')}</div>`
    + '</div></section>';
  html += `<section><h2>Sorties et orientations</h2><div class="grid2"><div><h3>Sorties</h3>${mixTable(lot.outcomes, 'outcomes')}</div>`
    + `<div><h3>Orientations</h3>${mixTable(lot.referrals, 'referrals')}</div></div></section>`;
  html += steeringSections(lot, r.period, meta);
  const q = lot.data_quality;
  html += `<section><h2>Qualité des données</h2><p>${esc(formatCount(q.events))} événements dans la période, dont `
    + `${esc(formatCount(q.late_events))} saisis après la clôture ; ${esc(formatCount(q.refused_events))} refusés. `
    + `<a data-nav href="${esc(href('quality', r.period))}">Détail</a></p></section>`;
  app.innerHTML = html;
  for (const k of trended) {
    const canvas = app.querySelector(`canvas[data-series="${CSS.escape(k.id)}"]`);
    charts.push(lineChart(canvas, lot.series.kpis[k.id], k));
  }
  charts.push(barChart(document.getElementById('funnel'), [['demandes', lot.funnel.requests], ['niveau 1', lot.funnel.level_1], ['niveau 2', lot.funnel.level_2], ["plan d'action", lot.funnel.action_plan], ['clôture', lot.funnel.closure]], true));
  charts.push(barChart(document.getElementById('mix-age'), Object.entries(lot.profile_mix.age_band)));
  charts.push(barChart(document.getElementById('mix-qualification'), Object.entries(lot.profile_mix.qualification)));
  charts.push(barChart(document.getElementById('mix-modality'), Object.entries(lot.modality_mix.modality)));
  wireLotForms(r, { api, csrf: CSRF, refresh: render });
  return lot.freshness;
}

async function qualityPage(r, meta) {
  const q = await api(`quality?period=${encodeURIComponent(r.period)}`);
  const buckets = ['0-1', '2-5', '6-15', '16-30', '31+'];
  let html = `<h1 tabindex="-1">Qualité des données — <span data-testid="period-label">${esc(q.period_label || periodLabel(r.period))}</span></h1>`;
  html += `<div class="cards">${card('événements de la période', formatCount(q.totals.events), 'quality-events')}`
    + card('saisis après la clôture', formatCount(q.totals.late_events), 'quality-late')
    + card('refusés par le projecteur (lots)', formatCount(q.totals.refused_events), 'quality-refused')
    + card('renvois contradictoires', formatCount(q.totals.conflicting_resends_in_period), 'quality-conflicting')
    + card('refus à l\'entrée (passerelle)', formatCount(Object.values(q.totals.gateway_refusals).reduce((a, n) => a + n, 0)), 'quality-gateway-refusals')
    + (q.dead_letters === null ? '' : card('lettres mortes (toutes sources)', formatCount(q.dead_letters), 'quality-dead-letters'))
    + '</div>';
  if (!q.lots.length) html += '<p class="state">Aucun lot.</p>';
  else {
    html += '<h2>Par lot</h2><div class="scroll"><table data-testid="quality-table"><thead><tr><th scope="col" class="name">Lot</th><th scope="col">Événements</th><th scope="col">Saisis après clôture</th><th scope="col">Refusés</th><th scope="col">Renvois contradictoires</th><th scope="col">Refus à l\'entrée</th>'
      + buckets.map((b) => `<th scope="col">saisis en ${esc(b)} j</th>`).join('') + '<th scope="col">Saisie sous délai</th></tr></thead><tbody>'
      + q.lots.map((l) => {
        if (l.problem) return `<tr><th scope="row" class="name">${lotName(l.lot)}</th><td colspan="${buckets.length + 6}" class="note">${esc(l.problem)}</td></tr>`;
        const d = l.data_quality;
        const t = l.reporting_timeliness;
        return `<tr data-lot="${esc(l.lot)}"><th scope="row" class="name"><a data-nav href="${esc(href('lot', r.period, l.lot))}">${lotName(l.lot)}</a></th>`
          + `<td>${esc(formatCount(d.events))}</td><td>${esc(formatCount(d.late_events))}</td><td>${esc(formatCount(d.refused_events))}</td>`
          + `<td data-testid="quality-lot-conflicting">${esc(formatCount(d.conflicting_resends_in_period))}</td>`
          + `<td data-testid="quality-lot-gateway">${esc(formatCount(Object.values(d.gateway_refusals).reduce((a, n) => a + n, 0)))}</td>`
          + buckets.map((b) => `<td>${esc(formatCount(d.reporting_delay_days[b] || 0))}</td>`).join('')
          + (t ? statusCell(t, t.formula, t.direction, l.closing_day <= meta.today) : '<td>—</td>') + '</tr>';
      }).join('') + '</tbody></table></div>';
  }
  html += gatewayRefusals(ctx, q);
  app.innerHTML = html;
  await qualityHistory(ctx, r, meta);
  return q.freshness;
}

function showError(err) {
  const detail = err.message ? `<details><summary>Détail technique (en anglais)</summary><p lang="en">${esc(err.message)}</p></details>` : '';
  app.innerHTML = `<div class="fr-alert fr-alert--error" role="alert" data-testid="error" data-status="${err.status || 0}"><p class="fr-alert__title">${esc(errorMessage(err.status))}</p>${detail}</div>`;
}

async function login(message) {
  const dialog = document.getElementById('login');
  const error = document.getElementById('login-error');
  error.hidden = !message;
  error.textContent = message || '';
  document.getElementById('token-group').classList.toggle('fr-input-group--error', Boolean(message));
  if (!dialog.open) dialog.showModal();
  return new Promise((resolve) => {
    document.getElementById('login-form').onsubmit = async (e) => {
      e.preventDefault();
      const input = document.getElementById('token');
      const res = await fetch('/api/v1/session', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { ...CSRF, Authorization: `Bearer ${input.value.trim()}` },
      });
      input.value = '';
      if (!res.ok) {
        error.hidden = false;
        error.textContent = 'Jeton refusé : vérifiez-le.';
        document.getElementById('token-group').classList.add('fr-input-group--error');
        return;
      }
      dialog.close();
      resolve();
    };
  });
}

// The button is in the header's tools, and the DSFR copies those into the
// phone menu: one listener for both.
document.addEventListener('click', async (e) => {
  if (!e.target.closest('[data-logout]')) return;
  closeMenu();
  await fetch('/api/v1/session/end', { method: 'POST', credentials: 'same-origin', headers: CSRF });
  await login();
  render();
});

const PAGE_TITLES = {
  quality: 'qualité des données', funds: 'enveloppes', trends: 'tendances', bilan: 'bilan trimestriel', accessibilite: 'accessibilité',
};
// What the pages of their own modules use of this one.
const ctx = {
  app, api, esc, href, lotName, lotText, card, Chart, go, today: null, addChart: (c) => charts.push(c),
};
frameTables(app);
watchTables(app);

let rendering = 0;
async function render() {
  const mine = ++rendering;
  for (const c of charts) c.destroy();
  charts = [];
  const r = route();
  app.innerHTML = '<p class="state loading" data-testid="loading">Chargement…</p>';
  document.body.dataset.ready = 'false';
  try {
    let meta;
    try {
      meta = await api('meta');
    } catch (e) {
      if (e.status === 401) {  // no session yet, or it expired
        await login();
        return render();
      }
      throw e;
    }
    if (!r.period) {
      if (!meta.default_period) {
        app.innerHTML = '<p class="state" data-testid="empty">Aucune donnée pour le moment : le projecteur n\'a encore rien intégré.</p>';
        showFreshness(meta.freshness);
        return;
      }
      r.period = meta.default_period;
      window.history.replaceState({}, '', href(r.page, r.period, r.lot, r.penalty));
    }
    setupPeriod(r, meta);
    awards = Object.fromEntries(meta.lots.map((l) => [l.lot, l.award]));
    ctx.today = meta.today;
    document.body.classList.toggle('bilan', r.page === 'bilan');
    const pages = {
      penalty: () => penaltyPage(r, meta, { app, api, esc, href, lotText, csrf: CSRF, refresh: render }),
      lot: () => lotPage(r, meta),
      quality: () => qualityPage(r, meta),
      funds: () => fundsPage(ctx, r),
      trends: () => trendsPage(ctx, r, meta),
      bilan: () => bilanPage(ctx, r, meta),
      accessibilite: () => accessibilityPage(ctx),
    };
    const page = (pages[r.page] || (() => nationalPage(r, meta)))();
    const freshness = await page;
    if (mine !== rendering) return;
    showFreshness(freshness);
    // After a navigation inside the page, focus goes to the new title.
    if (navigated) app.querySelector('h1')?.focus();
    document.title = `Pilotage CEP — ${r.page === 'penalty' ? `pénalité ${r.penalty}` : r.page === 'lot' ? lotText(r.lot) : PAGE_TITLES[r.page] || 'national'}${r.lot && r.page === 'bilan' ? ` ${lotText(r.lot)}` : ''} — ${periodLabel(r.period)}`;
  } catch (e) {
    if (mine !== rendering) return;
    showError(e);
  } finally {
    if (mine === rendering) document.body.dataset.ready = 'true';
  }
}

render();
