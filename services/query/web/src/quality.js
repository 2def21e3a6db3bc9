// The quality page's history (decision 0038): imports and refusals per
// quarter, from /quality of the quarters /meta offers up to the period
// shown (newest first, at most eight), and where refusals at
// the gateway are counted: the gateway refuses before anything reaches the
// log the projector folds, so the store does not hold them (yet).
import { formatCount, quartersUpTo } from './format.js';

const MAX_QUARTERS = 8;

export async function qualityHistory(ctx, r, meta) {
  const { esc } = ctx;
  const quarters = quartersUpTo(meta, r.period, MAX_QUARTERS).reverse();
  const answers = await Promise.all(quarters.map((q) => ctx.api(`quality?period=${encodeURIComponent(q.period)}`)));
  let html = '<section aria-labelledby="quality-history-title"><h2 id="quality-history-title">Imports et refus par trimestre</h2>';
  if (!quarters.length) html += '<p class="state">Aucune période.</p>';
  else {
    html += '<div class="scroll"><table data-testid="quality-history"><caption>Événements, imports d\'historique et refus par trimestre</caption><thead><tr>'
      + '<th scope="col" class="name">Trimestre</th><th scope="col">Événements</th><th scope="col">Importés (fichiers d\'historique)</th>'
      + '<th scope="col">Déjà présents lors de l\'import</th><th scope="col">Saisis après la clôture</th><th scope="col">Refusés par le projecteur</th></tr></thead><tbody>'
      + quarters.map((q, i) => {
        const t = answers[i].totals;
        return `<tr data-period="${esc(q.period)}"><th scope="row" class="name">${esc(q.closed ? q.period_label : `${q.period_label} (provisoire)`)}</th>`
          + `<td>${esc(formatCount(t.events))}</td><td data-testid="quality-imported">${esc(formatCount(t.imported_events))}</td>`
          + `<td>${esc(formatCount(t.imported_duplicates))}</td><td>${esc(formatCount(t.late_events))}</td><td>${esc(formatCount(t.refused_events))}</td></tr>`;
      }).join('')
      + '</tbody></table></div>';
  }
  html += '<p class="note" data-testid="gateway-refusals">Refus à l\'entrée, par motif : la passerelle des opérateurs (pilotage-ingest) refuse un lot '
    + 'invalide avant qu\'il n\'atteigne le journal des événements ; ces refus ne sont donc pas dans les données de ce tableau de bord. '
    + 'Ils sont comptés par motif dans la métrique <code>pilotage_ingest_refusals_total</code> de la passerelle et conservés avec leur code '
    + 'dans le sujet des refus ; leur affichage ici demande que le projecteur les intègre (non fait).</p></section>';
  ctx.app.insertAdjacentHTML('beforeend', html);
}
