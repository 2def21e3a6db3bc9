// The quarterly bilan (/bilan for the nation, /bilan/<lot> for a lot): one
// page meant to be printed on A4 (pages.css, @media print): key figures,
// every lot's KPIs (the national table keeps all its columns: landscape,
// compact cells that wrap), what awaits a decision, fund usage.
import {
  STATUS_LABELS, STATUS_SIGNS, formatCount, formatDay, formatEuroCents, formatKpi, formatPercent,
  formatTarget, periodLabel, shownStatus,
} from './format.js';

// [first, last] day ("YYYY-MM-DD") of a month, quarter or year; null for
// another text (contract years).
function periodRange(text) {
  let m = /^(\d{4})-Q([1-4])$/.exec(text || '');
  const end = (y, month) => `${y}-${String(month).padStart(2, '0')}-${new Date(Date.UTC(y, month, 0)).getUTCDate()}`;
  if (m) return [`${m[1]}-${String(3 * m[2] - 2).padStart(2, '0')}-01`, end(Number(m[1]), 3 * m[2])];
  m = /^(\d{4})-(\d{2})$/.exec(text || '');
  if (m) return [`${m[1]}-${m[2]}-01`, end(Number(m[1]), Number(m[2]))];
  m = /^(\d{4})$/.exec(text || '');
  if (m) return [`${m[1]}-01-01`, `${m[1]}-12-31`];
  return null;
}

const share = (s) => (s === null || s === undefined ? '—' : formatPercent(s));

function header(ctx, title, label, closed) {
  const { esc } = ctx;
  return `<h1 tabindex="-1">${esc(title)} — <span data-testid="period-label">${esc(label)}</span>`
    + `${closed ? '' : ' <span class="fr-badge fr-badge--sm badge status-PROVISIONAL" data-testid="provisional">provisoire</span>'}</h1>`
    + `<p class="note">Bilan trimestriel édité le ${esc(formatDay(ctx.today))}.${closed ? '' : ' Période non close : chiffres provisoires, non jugés.'}</p>`
    + '<p class="no-print"><button type="button" class="fr-btn fr-btn--secondary" id="print-bilan">Imprimer ou enregistrer en PDF</button></p>';
}

function fundsTable(ctx, rows) {
  const { esc } = ctx;
  const computed = rows.filter((row) => !row.unavailable);
  if (!computed.length) return '<p class="state">Aucun lot avec une attribution.</p>';
  return '<div class="scroll"><table data-testid="bilan-funds"><caption>Consommation des enveloppes (gagné par les rendez-vous tarifés)</caption><thead><tr>'
    + '<th scope="col" class="name">Lot</th><th scope="col">Enveloppe</th><th scope="col">Gagné</th><th scope="col">%</th>'
    + '<th scope="col">Projection fin d\'année</th><th scope="col">%</th><th scope="col">Relevés émis</th></tr></thead><tbody>'
    + computed.map((row) => `<tr data-lot="${esc(row.lot)}"><th scope="row" class="name">${esc(ctx.lotText(row.lot))}</th>`
      + `<td>${esc(row.envelope_cents === null ? '—' : formatEuroCents(row.envelope_cents))}</td><td>${esc(formatEuroCents(row.earned_cents))}</td>`
      + `<td>${esc(share(row.earned_share))}</td><td>${esc(formatEuroCents(row.projected_cents))}</td><td>${esc(share(row.projected_share))}</td>`
      + `<td>${esc(formatEuroCents(row.issued_net_cents))}</td></tr>`).join('')
    + '</tbody></table></div>';
}

function kpiCell(ctx, k, col, closed) {
  const { esc } = ctx;
  if (!k) return '<td>—</td>';
  const status = shownStatus(k.status, closed);
  return `<td class="status-${esc(status)}" data-kpi="${esc(k.id)}">${esc(formatKpi(col.formula, k.value, k.sample))}`
    + `<br><span class="s">${esc(`${STATUS_SIGNS[status]} ${STATUS_LABELS[status]}`)}</span></td>`;
}

async function nationalBilan(ctx, r, meta) {
  const { esc } = ctx;
  const pilot = meta.principal.role === 'pilot';
  const [list, national, funds, pending] = await Promise.all([
    ctx.api(`lots?period=${encodeURIComponent(r.period)}`),
    pilot ? ctx.api(`national?period=${encodeURIComponent(r.period)}`) : null,
    ctx.api(`funds?period=${encodeURIComponent(r.period)}`),
    ctx.api('pending'),
  ]);
  const closed = list.lots.every((l) => l.closed !== false);
  let html = header(ctx, pilot ? 'Bilan national' : 'Bilan de mes lots', list.period_label || periodLabel(r.period), closed);
  if (national) {
    const v = national.volume;
    html += '<section aria-labelledby="bilan-key"><h2 id="bilan-key">Chiffres clés</h2><div class="cards">'
      + ctx.card('nouveaux bénéficiaires', formatCount(v.new_beneficiaries), 'bilan-new-beneficiaries')
      + ctx.card('rendez-vous', formatCount(v.appointments), 'bilan-appointments')
      + ctx.card('parcours clos', formatCount(v.closures), 'bilan-closures')
      + ctx.card('pénalités confirmées', formatEuroCents(national.penalties.confirmed_cents), 'bilan-penalties-confirmed')
      + ctx.card('pénalités en attente', formatEuroCents(national.penalties.undecided_cents), 'bilan-penalties-undecided')
      + '</div></section>';
  }
  const cols = list.columns;
  html += '<section aria-labelledby="bilan-lots"><h2 id="bilan-lots">Indicateurs par lot</h2>'
    + `<div class="scroll"><table class="bilan-wide" data-testid="bilan-lots-table"><caption class="sr-only">Indicateurs par lot, ${esc(list.period_label || '')}</caption><thead><tr><th scope="col" class="name">Lot</th>`
    + cols.map((c) => `<th scope="col">${esc(c.label)}</th>`).join('') + '</tr></thead><tbody>'
    + list.lots.map((row) => {
      const by = Object.fromEntries(row.kpis.map((k) => [k.id, k]));
      return `<tr data-lot="${esc(row.lot)}"><th scope="row" class="name">${esc(ctx.lotText(row.lot))}</th>${cols.map((c) => kpiCell(ctx, by[c.id], c, row.closed)).join('')}</tr>`;
    }).join('')
    + '</tbody></table></div>'
    + '<p class="note">Les cibles sont propres à chaque lot (volumes au prorata) : voir le bilan de chaque lot.</p></section>';
  const pen = pending.penalties || [];
  const act = pending.actions || [];
  html += '<section aria-labelledby="bilan-pending"><h2 id="bilan-pending">En attente de décision</h2>'
    + `<p data-testid="bilan-pending">${esc(formatCount(pen.length))} pénalité${pen.length > 1 ? 's' : ''} à décider `
    + `(${esc(formatEuroCents(pen.reduce((s, p) => s + (p.amount_cents || 0), 0)))}) et ${esc(formatCount(act.length))} action${act.length > 1 ? 's' : ''} corrective${act.length > 1 ? 's' : ''} non close${act.length > 1 ? 's' : ''}.</p></section>`;
  html += `<section aria-labelledby="bilan-funds-title"><h2 id="bilan-funds-title">Usage des fonds</h2>${fundsTable(ctx, funds.lots)}</section>`;
  ctx.app.innerHTML = html;
  return list.freshness;
}

async function lotBilan(ctx, r) {
  const { esc } = ctx;
  const [lot, funds] = await Promise.all([
    ctx.api(`lots/${encodeURIComponent(r.lot)}?period=${encodeURIComponent(r.period)}`),
    ctx.api(`funds?period=${encodeURIComponent(r.period)}`),
  ]);
  let html = header(ctx, `Bilan du lot ${ctx.lotText(lot.lot)}`, lot.period_label, lot.closed !== false);
  html += '<section aria-labelledby="bilan-kpis"><h2 id="bilan-kpis">Indicateurs</h2><div class="scroll"><table data-testid="bilan-lot-kpis"><thead><tr>'
    + '<th scope="col" class="name">Indicateur</th><th scope="col">Valeur</th><th scope="col">Cible</th><th scope="col">Numérateur</th><th scope="col">Échantillon</th><th scope="col">Statut</th></tr></thead><tbody>'
    + lot.kpis.map((k) => {
      const status = shownStatus(k.status, lot.closed);
      return `<tr data-kpi="${esc(k.id)}"><th scope="row" class="name">${esc(k.label)}</th><td>${esc(formatKpi(k.formula, k.value, k.sample))}</td>`
        + `<td>${k.informational ? '—' : esc(formatTarget(k.formula, k.direction, k.target))}</td><td>${esc(formatCount(k.numerator))}</td><td>${esc(formatCount(k.sample))}</td>`
        + `<td class="status-${esc(status)}">${esc(`${STATUS_SIGNS[status]} ${STATUS_LABELS[status]}`)}</td></tr>`;
    }).join('') + '</tbody></table></div></section>';
  const s = lot.steering;
  if (s) {
    const shown = periodRange(r.period);
    const inPeriod = s.penalties.filter((p) => {
      const own = periodRange(p.period);
      return shown && own && shown[0] <= own[0] && own[0] <= shown[1];
    });
    html += '<section aria-labelledby="bilan-penalties"><h2 id="bilan-penalties">Pénalités</h2>'
      + (inPeriod.length
        ? `<div class="scroll"><table data-testid="bilan-penalties"><thead><tr><th scope="col" class="name">Pénalité</th><th scope="col">Période</th><th scope="col">Montant</th><th scope="col">État</th></tr></thead><tbody>${
          inPeriod.map((p) => `<tr><th scope="row" class="name">${esc(p.rule_label || p.penalty_id)}</th><td>${esc(periodLabel(p.period))}</td><td>${esc(formatEuroCents(p.amount_cents))}</td><td>${esc(p.state_label)}</td></tr>`).join('')}</tbody></table></div>`
        : '<p class="state">Aucune pénalité.</p>')
      + '</section>';
    const st = s.statement;
    if (st && !st.unavailable) {
      html += '<section aria-labelledby="bilan-statement"><h2 id="bilan-statement">Relevé de paiement de la période</h2>'
        + `<p>Forfaits ${esc(formatEuroCents(st.fees_cents))} · part variable ${esc(formatEuroCents(st.variable_cents))} · pénalités confirmées ${esc(formatEuroCents(st.penalties_cents))} · <strong>net ${esc(formatEuroCents(st.net_amount_cents))}</strong> (${st.issued ? 'relevé émis' : 'relevé non émis'}).</p></section>`;
    }
  }
  html += `<section aria-labelledby="bilan-funds-title"><h2 id="bilan-funds-title">Usage des fonds</h2>${fundsTable(ctx, funds.lots.filter((row) => row.lot === lot.lot))}</section>`;
  ctx.app.innerHTML = html;
  return lot.freshness;
}

export async function bilanPage(ctx, r, meta) {
  const freshness = r.lot ? await lotBilan(ctx, r) : await nationalBilan(ctx, r, meta);
  const button = document.getElementById('print-bilan');
  if (button) button.onclick = () => window.print();
  return freshness;
}
