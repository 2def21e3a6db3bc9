// The national pilots' dashboard: national, lot and data-quality pages over
// the query API (/api/v1). The URL holds the page, the lot and the period,
// so a link can be shared. The token is traded once for a session cookie
// that no script can read (HttpOnly, decision 0031): it is never stored.
import { Chart, registerables } from 'chart.js';
import {
  STATUS_LABELS, formatCount, formatDay, formatEuroCents, formatInstant, formatKpi,
  formatPercent, formatTarget, periodLabel, valueLabel,
} from './format.js';

Chart.register(...registerables);
Chart.defaults.animation = false;
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
Chart.defaults.locale = 'fr-FR';

const app = document.getElementById('app');
let charts = [];

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
  const lot = /^\/lot\/([^/]+)$/.exec(url.pathname);
  if (lot) return { page: 'lot', lot: decodeURIComponent(lot[1]), period: url.searchParams.get('period') };
  if (url.pathname === '/quality') return { page: 'quality', period: url.searchParams.get('period') };
  return { page: 'national', period: url.searchParams.get('period') };
}

function href(page, period, lot) {
  const q = period ? `?period=${encodeURIComponent(period)}` : '';
  if (page === 'lot') return `/lot/${encodeURIComponent(lot)}${q}`;
  return `/${page}${q}`;
}

function go(url) {
  window.history.pushState({}, '', url);
  render();
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-nav]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey) return;
  e.preventDefault();
  go(a.getAttribute('href'));
});
window.addEventListener('popstate', render);

// The period choices around the default: the quarters, months and years of
// its year and the year before, plus whatever the URL holds.
function periodChoices(current, fallback) {
  const year = Number((current || fallback || '').slice(0, 4)) || new Date().getFullYear();
  const out = [];
  for (const y of [year, year - 1]) {
    for (let q = 4; q >= 1; q -= 1) out.push(`${y}-Q${q}`);
    out.push(String(y));
    for (let m = 12; m >= 1; m -= 1) out.push(`${y}-${String(m).padStart(2, '0')}`);
  }
  for (const p of [current, fallback]) if (p && !out.includes(p)) out.unshift(p);
  return out;
}

function setupPeriod(r, meta) {
  const select = document.getElementById('period');
  select.innerHTML = periodChoices(r.period, meta.default_period)
    .map((p) => `<option value="${esc(p)}"${p === r.period ? ' selected' : ''}>${esc(periodLabel(p))}</option>`)
    .join('');
  select.onchange = () => go(href(r.page, select.value, r.lot));
  document.getElementById('nav-national').href = href('national', r.period);
  document.getElementById('nav-quality').href = href('quality', r.period);
  document.getElementById('nav-national').dataset.nav = '';
  document.getElementById('nav-quality').dataset.nav = '';
  for (const [id, page] of [['nav-national', 'national'], ['nav-quality', 'quality']]) {
    const a = document.getElementById(id);
    if (page === r.page) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

function showFreshness(f) {
  const el = document.getElementById('freshness');
  if (!f) { el.textContent = ''; return; }
  const lag = f.lag_events === null
    ? 'retard du projecteur inconnu (Kafka injoignable)'
    : `retard du projecteur : ${formatCount(f.lag_events)} événement${f.lag_events > 1 ? 's' : ''}`;
  el.innerHTML = `<span data-testid="freshness-lag">${esc(lag)}</span> · calculé le <span data-testid="freshness-computed">${esc(formatInstant(f.computed_at))}</span>`
    + ` · données lues le ${esc(formatInstant(f.caught_up_at))} · ${esc(formatCount(f.folded_events))} événements intégrés`;
  el.classList.toggle('stale', f.lag_events === null || f.lag_events > 0);
}

function statusCell(k, formula, direction) {
  if (!k) return '<td class="status-NOT_ENOUGH_DATA">—</td>';
  return `<td class="cell status-${esc(k.status)}" data-kpi="${esc(k.id)}" title="${esc(STATUS_LABELS[k.status])}">`
    + `<span class="v" data-testid="kpi-value">${esc(formatKpi(formula, k.value, k.sample))}</span>`
    + `<span class="t">cible ${esc(formatTarget(formula, direction, k.target))}</span></td>`;
}

const legend = () => `<div class="legend">${Object.entries(STATUS_LABELS)
  .map(([s, l]) => `<span class="badge status-${s}">${esc(l)}</span>`).join('')}</div>`;

function kpiTable(kpis, testid) {
  return `<table data-testid="${testid}"><thead><tr><th class="name">Indicateur</th><th>Valeur</th><th>Cible</th>`
    + '<th>Numérateur</th><th>Échantillon</th><th>Statut</th></tr></thead><tbody>'
    + kpis.map((k) => `<tr data-kpi="${esc(k.id)}"><td class="name">${esc(k.label)}</td>`
      + `<td data-testid="kpi-value">${esc(formatKpi(k.formula, k.value, k.sample))}</td>`
      + `<td>${k.informational ? '—' : esc(formatTarget(k.formula, k.direction, k.target))}</td>`
      + `<td>${esc(formatCount(k.numerator))}</td><td>${esc(formatCount(k.sample))}</td>`
      + `<td class="status-${esc(k.status)}">${esc(STATUS_LABELS[k.status])}</td></tr>`).join('')
    + '</tbody></table>';
}

function lotsTable(list, period) {
  const cols = list.columns;
  if (!list.lots.length) return '<p class="state">Aucun lot pour cette période.</p>';
  return `${legend()}<div class="scroll"><table data-testid="lots-table"><thead><tr><th class="name">Lot</th>`
    + cols.map((c) => `<th title="${esc(c.label)}">${esc(c.label)}</th>`).join('')
    + '</tr></thead><tbody>'
    + list.lots.map((row) => {
      const by = Object.fromEntries(row.kpis.map((k) => [k.id, k]));
      const name = row.award ? `${row.lot} — ${row.award.region}` : row.lot;
      return `<tr data-lot="${esc(row.lot)}"><td class="name"><a data-nav href="${esc(href('lot', period, row.lot))}">${esc(name)}</a>`
        + `${row.problem ? `<br><span class="note">${esc(row.problem)}</span>` : ''}</td>`
        + cols.map((c) => statusCell(by[c.id], c.formula, c.direction)).join('') + '</tr>';
    }).join('')
    + '</tbody></table></div>';
}

function card(label, value, testid) {
  return `<div class="card"><div class="n" data-testid="${testid}">${esc(value)}</div><div class="l">${esc(label)}</div></div>`;
}

async function nationalPage(r, meta) {
  const list = await api(`lots?period=${encodeURIComponent(r.period)}`);
  let national = null;
  if (meta.principal.role === 'pilot') national = await api(`national?period=${encodeURIComponent(r.period)}`);
  const title = national ? 'Vue nationale' : `Mes lots (${esc(meta.principal.id)})`;
  let html = `<h1>${title} — <span data-testid="period-label">${esc(list.period_label || periodLabel(r.period))}</span></h1>`;
  if (national) {
    const v = national.volume;
    html += `<section><div class="cards">${card('nouveaux bénéficiaires', formatCount(v.new_beneficiaries), 'total-new-beneficiaries')}`
      + card('rendez-vous', formatCount(v.appointments), 'total-appointments')
      + card('parcours clos', formatCount(v.closures), 'total-closures')
      + card('réponses aux enquêtes', formatCount(v.surveys), 'total-surveys')
      + card('lots', formatCount(national.lots.length), 'total-lots')
      + card('pénalités confirmées', formatEuroCents(national.penalties.confirmed_cents), 'total-penalties-confirmed')
      + card('pénalités en attente de décision', formatEuroCents(national.penalties.undecided_cents), 'total-penalties-undecided')
      + card('payé sur l\'année contractuelle', formatEuroCents(national.fund_usage.cumulative_cents), 'total-fund-usage')
      + card('enveloppes des lots', formatEuroCents(national.fund_usage.budget_envelope_cents), 'total-envelopes')
      + '</div>'
      + (national.fund_usage.lots_projected_over_envelope.length
        ? `<p class="error">Projection au-delà de l'enveloppe : ${national.fund_usage.lots_projected_over_envelope.map(esc).join(', ')}</p>` : '')
      + (national.fund_usage.lots_without_statement.length
        ? `<p class="note">Sans relevé pour la période : ${national.fund_usage.lots_without_statement.map((l) => esc(l.lot)).join(', ')}</p>` : '')
      + '</section>';
  }
  html += `<section><h2>Lots et indicateurs</h2>${lotsTable(list, r.period)}</section>`;
  if (national) {
    html += `<section><h2>Indicateurs nationaux</h2>${kpiTable(national.kpis, 'national-kpis')}`
      + '<p class="note">Parts : numérateurs et échantillons additionnés sur les lots ; volumes : cibles des lots additionnées.</p>'
      + (national.problems.length ? `<p class="note">${national.problems.map(esc).join('<br>')}</p>` : '') + '</section>';
  }
  app.innerHTML = html;
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
  return `<table data-testid="${testid}"><tbody>${rows.map(([k, n]) => `<tr><td class="name">${esc(valueLabel(k))}</td>`
    + `<td>${esc(formatCount(n))}</td><td>${total ? esc(formatPercent(n / total)) : '—'}</td></tr>`).join('')}</tbody></table>`;
}

const PENALTY_COLOURS = { CONFIRMED: 'BREACHED', WAIVED: 'MET', PROPOSED: 'AT_RISK', OBSERVATIONS_RECEIVED: 'AT_RISK' };
const ACTION_COLOURS = { OVERDUE: 'BREACHED', CLOSED_LATE: 'AT_RISK', CLOSED: 'MET', OPEN: '' };

function steeringSections(lot) {
  const s = lot.steering;
  if (!s) return '';
  let html = '<section><h2>Pénalités</h2>';
  if (!s.penalties.length) html += '<p class="state" data-testid="no-penalties">Aucune pénalité pour ce lot.</p>';
  for (const p of s.penalties) {
    html += `<div class="explain" data-testid="penalty" data-penalty="${esc(p.penalty_id)}">`
      + `<strong>${esc(periodLabel(p.period))} — <span data-testid="penalty-amount">${esc(formatEuroCents(p.amount_cents))}</span></strong> `
      + `<span class="badge status-${PENALTY_COLOURS[p.state] || ''}" data-testid="penalty-state">${esc(p.state_label)}</span>`
      + ` <span class="note">${esc(p.penalty_id)} · proposée le ${esc(formatDay(p.proposed_on))} · observations jusqu'au ${esc(formatDay(p.observation_deadline))}</span>`
      + `<p data-testid="penalty-explanation">${esc(p.explanation)}</p>`
      + (p.formula ? `<p class="note">Calcul : ${esc(p.formula)}${p.limit_applied ? ` — ${esc(p.limit_applied)}` : ''}</p>` : '')
      + (p.observations ? `<p class="note">Observations de l'opérateur (${esc(formatDay(p.observations_on))}) : ${esc(p.observations)}</p>` : '')
      + (p.decided_on ? `<p class="note">Décision le ${esc(formatDay(p.decided_on))} par ${esc(p.decided_by)}${p.decision_reason ? ` : ${esc(p.decision_reason)}` : ''}</p>` : '')
      + (p.past_deadline_undecided ? '<p class="error">Délai d\'observations échu : décision à prendre.</p>' : '')
      + '</div>';
  }
  if (s.penalties.length) {
    const t = s.penalty_totals;
    html += `<p class="note">Total proposé ${esc(formatEuroCents(t.proposed_cents))} · confirmé ${esc(formatEuroCents(t.confirmed_cents))}`
      + ` · abandonné ${esc(formatEuroCents(t.waived_cents))} · en attente de décision ${esc(formatEuroCents(t.undecided_cents))}</p>`;
  }
  html += '</section><section><h2>Actions correctives</h2>';
  if (!s.actions.length) html += '<p class="state">Aucune action corrective.</p>';
  else {
    html += '<table data-testid="actions"><thead><tr><th class="name">Action</th><th class="name">Indicateur</th><th>Échéance</th><th>État</th></tr></thead><tbody>'
      + s.actions.map((a) => `<tr data-action="${esc(a.action_id)}"><td class="name">${esc(a.description || a.action_id)}</td><td class="name">${esc(a.kpi_id || a.finding)}</td>`
        + `<td>${esc(formatDay(a.due_date))}</td><td class="status-${ACTION_COLOURS[a.state] || ''}">${esc(a.state_label)}</td></tr>`).join('')
      + '</tbody></table>';
  }
  html += '</section><section><h2>Relevé de paiement et usage des fonds</h2>';
  const st = s.statement;
  if (!st || st.unavailable) {
    html += `<p class="state">Pas de relevé pour cette période${st ? ` : ${esc(st.unavailable)}` : ''}.</p>`;
  } else {
    html += `<p class="note">${st.closed ? 'Période close' : 'Provisoire : la période n\'est pas close'} · conditions ${esc(st.terms_version)}${st.issued ? ' · relevé émis' : ''}</p>`
      + '<table data-testid="statement"><tbody>'
      + `<tr><td class="name">Forfaits par rendez-vous</td><td data-testid="statement-fees">${esc(formatEuroCents(st.fees_cents))}</td></tr>`
      + `<tr><td class="name">Part variable</td><td>${esc(formatEuroCents(st.variable_cents))}</td></tr>`
      + `<tr><td class="name">Pénalités confirmées</td><td data-testid="statement-penalties">${esc(formatEuroCents(st.penalties_cents ? -st.penalties_cents : 0))}</td></tr>`
      + `<tr><td class="name"><strong>Net à payer</strong></td><td data-testid="statement-net"><strong>${esc(formatEuroCents(st.net_amount_cents))}</strong></td></tr>`
      + '</tbody></table>';
    const f = st.fund_usage;
    html += `<p data-testid="fund-usage">Année contractuelle ${esc(periodLabel(f.contract_year))} : ${esc(formatEuroCents(f.cumulative_cents))} payés`
      + ` sur une enveloppe de ${esc(formatEuroCents(f.budget_envelope_cents))}`
      + (f.budget_envelope_cents > 0 ? ` (${esc(formatPercent(f.cumulative_cents / f.budget_envelope_cents))})` : '')
      + ` ; projection à la fin de l'année : ${esc(formatEuroCents(f.projected_cents))}`
      + ` (${esc(formatCount(f.elapsed_days))} jours écoulés sur ${esc(formatCount(f.year_days))}).</p>`
      + (f.projection_exceeds_envelope ? '<p class="error">La projection dépasse l\'enveloppe.</p>' : '')
      + (st.warnings.length ? `<p class="note">${st.warnings.map(esc).join('<br>')}</p>` : '');
  }
  return `${html}</section>`;
}

async function lotPage(r) {
  const lot = await api(`lots/${encodeURIComponent(r.lot)}?period=${encodeURIComponent(r.period)}`);
  const award = lot.award;
  let html = `<h1>Lot <span data-testid="lot-id">${esc(lot.lot)}</span>${award ? ` — ${esc(award.region)}` : ''} — <span data-testid="period-label">${esc(lot.period_label)}</span></h1>`;
  html += `<p class="note">${award ? `Opérateur : ${esc(award.operator_name || award.operator_id)} · départements ${esc(award.departements.join(', '))} · ` : ''}`
    + `conditions ${esc(lot.terms_version)} · clôture de la période le ${esc(formatDay(lot.closing_day))}</p>`;
  const v = lot.volume;
  html += `<div class="cards">${card('nouveaux bénéficiaires', formatCount(v.new_beneficiaries), 'lot-new-beneficiaries')}`
    + card('rendez-vous', formatCount(v.appointments), 'lot-appointments')
    + card('parcours clos', formatCount(v.closures), 'lot-closures')
    + card('réponses aux enquêtes', formatCount(v.surveys), 'lot-surveys') + '</div>';
  html += `<section><h2>Indicateurs</h2>${kpiTable(lot.kpis, 'lot-kpis')}</section>`;
  const trended = lot.kpis.filter((k) => !k.informational);
  html += '<section><h2>Évolution mensuelle face aux cibles</h2><div class="grid3">'
    + trended.map((k) => `<div class="chart"><h3>${esc(k.label)}</h3><canvas data-series="${esc(k.id)}"></canvas></div>`).join('')
    + '</div></section>';
  html += '<section><h2>Parcours des nouveaux bénéficiaires</h2><div class="grid2"><div class="chart"><h3>Entonnoir</h3><canvas id="funnel"></canvas></div>'
    + `<div>${mixTable({ 'demandes': lot.funnel.requests, 'niveau 1': lot.funnel.level_1, 'niveau 2': lot.funnel.level_2, "plan d'action": lot.funnel.action_plan, 'clôture': lot.funnel.closure }, 'funnel-table', lot.funnel.requests)}`
    + '<p class="note">Bénéficiaires dont la première demande tombe dans la période, et la part d\'entre eux ayant atteint chaque étape.</p></div></div></section>';
  html += '<section><h2>Profils et modalités</h2><div class="grid3">'
    + `<div class="chart"><h3>Âge</h3><canvas id="mix-age"></canvas></div>`
    + `<div class="chart"><h3>Qualification</h3><canvas id="mix-qualification"></canvas></div>`
    + `<div class="chart"><h3>Modalité des rendez-vous</h3><canvas id="mix-modality"></canvas></div>`
    + `<div><h3>Sexe</h3>${mixTable(lot.profile_mix.sex, 'mix-sex')}</div>`
    + `<div><h3>Niveau</h3>${mixTable(lot.modality_mix.level, 'mix-level')}</div>`
    + `<div><h3>Type d'appui</h3>${mixTable(lot.modality_mix.kind, 'mix-kind')}</div>`
    + '</div></section>';
  html += `<section><h2>Sorties et orientations</h2><div class="grid2"><div><h3>Sorties</h3>${mixTable(lot.outcomes, 'outcomes')}</div>`
    + `<div><h3>Orientations</h3>${mixTable(lot.referrals, 'referrals')}</div></div></section>`;
  html += steeringSections(lot);
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
  return lot.freshness;
}

async function qualityPage(r) {
  const q = await api(`quality?period=${encodeURIComponent(r.period)}`);
  const buckets = ['0-1', '2-5', '6-15', '16-30', '31+'];
  let html = `<h1>Qualité des données — <span data-testid="period-label">${esc(q.period_label || periodLabel(r.period))}</span></h1>`;
  html += `<div class="cards">${card('événements de la période', formatCount(q.totals.events), 'quality-events')}`
    + card('saisis après la clôture', formatCount(q.totals.late_events), 'quality-late')
    + card('refusés par le projecteur (lots)', formatCount(q.totals.refused_events), 'quality-refused')
    + (q.dead_letters === null ? '' : card('lettres mortes (toutes sources)', formatCount(q.dead_letters), 'quality-dead-letters'))
    + '</div>';
  if (!q.lots.length) html += '<p class="state">Aucun lot.</p>';
  else {
    html += '<h2>Par lot</h2><div class="scroll"><table data-testid="quality-table"><thead><tr><th class="name">Lot</th><th>Événements</th><th>Saisis après clôture</th><th>Refusés</th>'
      + buckets.map((b) => `<th>saisis en ${esc(b)} j</th>`).join('') + '<th>Saisie sous délai</th></tr></thead><tbody>'
      + q.lots.map((l) => {
        if (l.problem) return `<tr><td class="name">${esc(l.lot)}</td><td colspan="${buckets.length + 4}" class="note">${esc(l.problem)}</td></tr>`;
        const d = l.data_quality;
        const t = l.reporting_timeliness;
        return `<tr data-lot="${esc(l.lot)}"><td class="name"><a data-nav href="${esc(href('lot', r.period, l.lot))}">${esc(l.lot)}</a></td>`
          + `<td>${esc(formatCount(d.events))}</td><td>${esc(formatCount(d.late_events))}</td><td>${esc(formatCount(d.refused_events))}</td>`
          + buckets.map((b) => `<td>${esc(formatCount(d.reporting_delay_days[b] || 0))}</td>`).join('')
          + (t ? statusCell(t, t.formula, t.direction) : '<td>—</td>') + '</tr>';
      }).join('') + '</tbody></table></div>';
  }
  html += `<p class="note">${esc('Les refus à l\'entrée (passerelle des opérateurs), par motif, sont suivis sur les métriques de pilotage-ingest.')}</p>`;
  app.innerHTML = html;
  return q.freshness;
}

function showError(err) {
  const messages = {
    401: 'Jeton inconnu ou absent.',
    403: 'Ce jeton ne donne pas accès à cette page.',
    404: 'Introuvable.',
    400: 'Paramètre invalide.',
    503: 'Les données ne sont pas encore disponibles (le projecteur démarre ?). Réessayez dans un instant.',
  };
  app.innerHTML = `<div class="state error" role="alert" data-testid="error" data-status="${err.status || 0}"><strong>${esc(messages[err.status] || 'Erreur.')}</strong>`
    + `<br>${esc(err.message)}</div>`;
}

async function login(message) {
  const dialog = document.getElementById('login');
  const error = document.getElementById('login-error');
  error.hidden = !message;
  error.textContent = message || '';
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
        return;
      }
      dialog.close();
      resolve();
    };
  });
}

document.getElementById('logout').onclick = async () => {
  await fetch('/api/v1/session/end', { method: 'POST', credentials: 'same-origin', headers: CSRF });
  await login();
  render();
};

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
      window.history.replaceState({}, '', href(r.page, r.period, r.lot));
    }
    setupPeriod(r, meta);
    const page = r.page === 'lot' ? lotPage(r) : r.page === 'quality' ? qualityPage(r) : nationalPage(r, meta);
    const freshness = await page;
    if (mine !== rendering) return;
    showFreshness(freshness);
    document.title = `Pilotage CEP — ${r.page === 'lot' ? r.lot : r.page === 'quality' ? 'qualité des données' : 'national'} — ${periodLabel(r.period)}`;
  } catch (e) {
    if (mine !== rendering) return;
    showError(e);
  } finally {
    if (mine === rendering) document.body.dataset.ready = 'true';
  }
}

render();
