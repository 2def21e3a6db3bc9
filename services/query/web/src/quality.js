// The quality page's parts of their own (decisions 0038, 0045): the gateway's
// refusals by reason, per lot (and "lot inconnu" for those naming no lot),
// and the history per quarter, from /quality of the quarters /meta offers
// up to the period shown (newest first, at most eight).
import { formatCount, quartersUpTo } from './format.js';

const MAX_QUARTERS = 8;

const sum = (counts) => Object.values(counts || {}).reduce((a, n) => a + n, 0);

// The reason's French label, its code beside it for the operator's support.
function reason(q, code, esc) {
  const label = q.refusal_labels?.[code];
  return label ? `${esc(label)} <span class="note">${esc(code)}</span>` : esc(code);
}

// Refusals at the gateway in the period: by reason, then per lot and reason.
export function gatewayRefusals(ctx, q) {
  const { esc, lotName } = ctx;
  const rows = [];
  for (const l of q.lots) {
    for (const [code, n] of Object.entries(l.data_quality?.gateway_refusals || {})) rows.push({ lot: l.lot, code, n });
  }
  for (const [code, n] of Object.entries(q.gateway_refusals_without_lot || {})) rows.push({ lot: null, code, n });
  let html = '<section aria-labelledby="gateway-refusals-title"><h2 id="gateway-refusals-title">Refus à l\'entrée, par motif</h2>'
    + '<p class="note">Envois refusés par la passerelle des opérateurs (pilotage-ingest) les jours de la période : ils n\'entrent pas dans les données. '
    + 'Un refus qui ne nomme pas de lot (envoi illisible, lot en cause) est compté sous « lot inconnu »'
    + `${q.gateway_refusals_without_lot === null ? ', visible des seuls pilotes' : ''}.</p>`;
  if (!rows.length) {
    return `${html}<p class="state" data-testid="gateway-refusals-empty">Aucun refus à l'entrée dans la période.</p></section>`;
  }
  const byCode = q.totals.gateway_refusals || {};
  const codes = Object.keys(byCode).sort((a, b) => byCode[b] - byCode[a] || a.localeCompare(b));
  html += '<div class="scroll"><table data-testid="gateway-refusals-by-reason"><caption>Refus à l\'entrée par motif, tous lots</caption>'
    + '<thead><tr><th scope="col" class="name">Motif</th><th scope="col">Refus</th></tr></thead><tbody>'
    + codes.map((c) => `<tr data-code="${esc(c)}"><th scope="row" class="name wrap">${reason(q, c, esc)}</th><td>${esc(formatCount(byCode[c]))}</td></tr>`).join('')
    + `</tbody><tfoot><tr><th scope="row" class="name">Total</th><td data-testid="gateway-refusals-total">${esc(formatCount(sum(byCode)))}</td></tr></tfoot></table></div>`;
  rows.sort((a, b) => (a.lot === null) - (b.lot === null) || String(a.lot).localeCompare(String(b.lot)) || b.n - a.n);
  html += '<div class="scroll"><table data-testid="gateway-refusals-by-lot"><caption>Refus à l\'entrée par lot et motif</caption>'
    + '<thead><tr><th scope="col" class="name">Lot</th><th scope="col" class="name">Motif</th><th scope="col">Refus</th></tr></thead><tbody>'
    + rows.map((r) => `<tr data-lot="${esc(r.lot ?? '')}" data-code="${esc(r.code)}"><th scope="row" class="name">${r.lot === null ? 'lot inconnu' : lotName(r.lot)}</th>`
      + `<td class="name wrap">${reason(q, r.code, esc)}</td><td>${esc(formatCount(r.n))}</td></tr>`).join('')
    + '</tbody></table></div>';
  return `${html}</section>`;
}

export async function qualityHistory(ctx, r, meta) {
  const { esc } = ctx;
  const quarters = quartersUpTo(meta, r.period, MAX_QUARTERS).reverse();
  const answers = await Promise.all(quarters.map((q) => ctx.api(`quality?period=${encodeURIComponent(q.period)}`)));
  let html = '<section aria-labelledby="quality-history-title"><h2 id="quality-history-title">Imports et refus par trimestre</h2>';
  if (!quarters.length) html += '<p class="state">Aucune période.</p>';
  else {
    html += '<div class="scroll"><table data-testid="quality-history"><caption>Événements, imports d\'historique et refus par trimestre</caption><thead><tr>'
      + '<th scope="col" class="name">Trimestre</th><th scope="col">Événements</th><th scope="col">Importés (fichiers d\'historique)</th>'
      + '<th scope="col">Déjà présents lors de l\'import</th><th scope="col">Saisis après la clôture</th><th scope="col">Refusés par le projecteur</th>'
      + '<th scope="col">Renvois contradictoires</th><th scope="col">Refus à l\'entrée</th></tr></thead><tbody>'
      + quarters.map((q, i) => {
        const t = answers[i].totals;
        return `<tr data-period="${esc(q.period)}"><th scope="row" class="name">${esc(q.closed ? q.period_label : `${q.period_label} (provisoire)`)}</th>`
          + `<td>${esc(formatCount(t.events))}</td><td data-testid="quality-imported">${esc(formatCount(t.imported_events))}</td>`
          + `<td>${esc(formatCount(t.imported_duplicates))}</td><td>${esc(formatCount(t.late_events))}</td><td>${esc(formatCount(t.refused_events))}</td>`
          + `<td data-testid="quality-history-conflicting">${esc(formatCount(t.conflicting_resends_in_period))}</td>`
          + `<td data-testid="quality-history-gateway">${esc(formatCount(sum(t.gateway_refusals)))}</td></tr>`;
      }).join('')
      + '</tbody></table></div>';
  }
  html += '</section>';
  ctx.app.insertAdjacentHTML('beforeend', html);
}
