// Fund usage page (/funds): what each lot's appointments earned since the
// start of its contract year against its envelope, the year-end projection
// from that, and which quarters have a statement issued (API /funds,
// decision 0038). A chart of the shares, whose data table is the lots table.
import { formatCount, formatDay, formatEuroCents, formatPercent, periodLabel } from './format.js';

// CSV values (export.js): euros with a decimal comma and no separator of
// thousands, shares in percent with two decimals, as French spreadsheets
// read them.
const csvEuros = (cents) => (cents / 100).toFixed(2).replace('.', ',');
const csvPercent = (share) => (share === null || share === undefined ? '' : (share * 100).toFixed(2).replace('.', ','));
const shareText = (share) => (share === null || share === undefined ? '—' : formatPercent(share));

function overText(row) {
  const unpriced = row.unpriced_appointments
    ? ` ; ⚠ ${formatCount(row.unpriced_appointments)} rendez-vous sans prix unitaire, comptés 0 €` : '';
  if (row.envelope_cents === null) return `sans enveloppe${unpriced}`;
  return `${row.projection_exceeds_envelope ? '⚠ projection au-delà de l\'enveloppe' : 'dans l\'enveloppe'}${unpriced}`;
}

function lotsTable(ctx, rows, r) {
  const { esc } = ctx;
  const cell = (text, csv, testid) => `<td${testid ? ` data-testid="${testid}"` : ''}${csv === undefined ? '' : ` data-csv="${esc(csv)}"`}>${esc(text)}</td>`;
  return '<div class="scroll"><table data-testid="funds-table"><caption>Consommation par lot</caption><thead><tr>'
    + '<th scope="col" class="name">Lot</th><th scope="col">Année contractuelle</th><th scope="col">Arrêté au</th>'
    + '<th scope="col">Enveloppe (€)</th><th scope="col">Gagné (€)</th><th scope="col">Gagné (% de l\'enveloppe)</th>'
    + '<th scope="col">Projection fin d\'année (€)</th><th scope="col">Projection (% de l\'enveloppe)</th>'
    + '<th scope="col">Relevés émis, nets (€)</th><th scope="col">Rendez-vous non tarifés</th><th scope="col">Situation</th></tr></thead><tbody>'
    + rows.map((row) => {
      const name = `<th scope="row" class="name" data-csv="${esc(ctx.lotText(row.lot))}"><a data-nav href="${esc(ctx.href('lot', r.period, row.lot))}">${ctx.lotName(row.lot, row.operator_name)}</a></th>`;
      if (row.unavailable) {
        return `<tr data-lot="${esc(row.lot)}">${name}<td colspan="10" class="note" data-csv="Pas de calcul">Pas de calcul : le lot n'a pas d'attribution `
          + 'ou n\'avait pas commencé (date de début et enveloppe inconnues).'
          + `<details><summary>Détail technique (en anglais)</summary><p lang="en">${esc(row.unavailable)}</p></details></td></tr>`;
      }
      const y = row.contract_year;
      return `<tr data-lot="${esc(row.lot)}">${name}`
        + cell(`${y.index} (${formatDay(y.first_day)} – ${formatDay(y.last_day)})`)
        + cell(formatDay(row.as_of))
        + (row.envelope_cents === null ? cell('—', '') : cell(formatEuroCents(row.envelope_cents), csvEuros(row.envelope_cents), 'funds-envelope'))
        + cell(formatEuroCents(row.earned_cents), csvEuros(row.earned_cents), 'funds-earned')
        + cell(shareText(row.earned_share), csvPercent(row.earned_share), 'funds-earned-share')
        + cell(formatEuroCents(row.projected_cents), csvEuros(row.projected_cents), 'funds-projected')
        + cell(shareText(row.projected_share), csvPercent(row.projected_share), 'funds-projected-share')
        + cell(formatEuroCents(row.issued_net_cents), csvEuros(row.issued_net_cents), 'funds-issued')
        + cell(formatCount(row.unpriced_appointments), String(row.unpriced_appointments))
        + cell(overText(row))
        + '</tr>';
    }).join('')
    + '</tbody></table></div>';
}

function nationalTable(ctx, national) {
  const { esc } = ctx;
  return '<div class="scroll"><table data-testid="funds-national"><caption>Ensemble des lots, par année contractuelle</caption><thead><tr>'
    + '<th scope="col" class="name">Année contractuelle</th><th scope="col">Lots</th><th scope="col">Enveloppes (€)</th>'
    + '<th scope="col">Gagné (€)</th><th scope="col">Gagné (%)</th><th scope="col">Projection (€)</th><th scope="col">Projection (%)</th>'
    + '<th scope="col">Relevés émis, nets (€)</th></tr></thead><tbody>'
    + national.map((n) => `<tr data-year="${esc(n.contract_year)}"><th scope="row" class="name">${esc(n.contract_year)}</th>`
      + `<td>${esc(formatCount(n.lots.length))}${n.lots_without_envelope.length ? ` (sans enveloppe : ${esc(n.lots_without_envelope.join(', '))})` : ''}</td>`
      + `<td data-csv="${esc(n.envelope_cents === null ? '' : csvEuros(n.envelope_cents))}">${esc(n.envelope_cents === null ? '—' : formatEuroCents(n.envelope_cents))}</td>`
      + `<td data-testid="funds-national-earned" data-csv="${esc(csvEuros(n.earned_cents))}">${esc(formatEuroCents(n.earned_cents))}</td>`
      + `<td data-csv="${esc(csvPercent(n.earned_share))}">${esc(shareText(n.earned_share))}</td>`
      + `<td data-testid="funds-national-projected" data-csv="${esc(csvEuros(n.projected_cents))}">${esc(formatEuroCents(n.projected_cents))}</td>`
      + `<td data-csv="${esc(csvPercent(n.projected_share))}">${esc(shareText(n.projected_share))}</td>`
      + `<td data-csv="${esc(csvEuros(n.issued_net_cents))}">${esc(formatEuroCents(n.issued_net_cents))}</td></tr>`).join('')
    + '</tbody></table></div>';
}

function quartersTable(ctx, rows) {
  const { esc } = ctx;
  const lines = rows.filter((row) => !row.unavailable).flatMap((row) => row.quarters.map((q) => ({ row, q })));
  if (!lines.length) return '';
  return '<div class="scroll"><table data-testid="funds-quarters"><caption>Gagné et relevés par trimestre de l\'année contractuelle</caption><thead><tr>'
    + '<th scope="col" class="name">Lot</th><th scope="col">Trimestre</th><th scope="col">Rendez-vous</th><th scope="col">Gagné (€)</th>'
    + '<th scope="col">Relevé</th><th scope="col">Net du relevé (€)</th></tr></thead><tbody>'
    + lines.map(({ row, q }) => `<tr data-lot="${esc(row.lot)}" data-period="${esc(q.period)}"><th scope="row" class="name">${esc(ctx.lotText(row.lot))}</th>`
      + `<td>${esc(q.period_label)}</td><td>${esc(formatCount(q.appointments))}</td>`
      + `<td data-csv="${esc(csvEuros(q.earned_cents))}">${esc(formatEuroCents(q.earned_cents))}</td>`
      + `<td data-testid="funds-statement">${q.statement_issued ? '✓ émis' : '✗ non émis'}</td>`
      + `<td data-csv="${esc(q.statement_net_cents === null ? '' : csvEuros(q.statement_net_cents))}">${esc(q.statement_net_cents === null ? '—' : formatEuroCents(q.statement_net_cents))}</td></tr>`).join('')
    + '</tbody></table></div>';
}

export async function fundsPage(ctx, r) {
  const { esc } = ctx;
  const f = await ctx.api(`funds?period=${encodeURIComponent(r.period)}`);
  const rows = f.lots;
  const computed = rows.filter((row) => !row.unavailable);
  let html = `<h1 tabindex="-1">Consommation des enveloppes — <span data-testid="period-label">${esc(f.period_label || periodLabel(r.period))}</span></h1>`
    + '<p data-testid="funds-rule"><strong>Règle de calcul.</strong> Le <em>gagné</em> additionne les rendez-vous tenus depuis le début de l\'année contractuelle du lot '
    + 'jusqu\'à la fin de la période affichée (sans dépasser aujourd\'hui), chacun au prix unitaire des conditions en vigueur pour son trimestre, relevé émis ou non. '
    + 'La <em>projection de fin d\'année</em> = gagné ÷ jours écoulés de l\'année contractuelle × jours de l\'année contractuelle, arrondie à l\'euro-centime inférieur ; '
    + 'une fois l\'année close, elle est égale au gagné. Les relevés émis (montants nets : rémunération variable et pénalités comprises) sont indiqués à part.</p>';
  if (f.national) {
    html += '<section aria-labelledby="funds-national-title"><h2 id="funds-national-title">National</h2>'
      + (f.national.length ? nationalTable(ctx, f.national) : '<p class="state">Aucun lot avec une attribution.</p>') + '</section>';
  }
  html += '<section aria-labelledby="funds-lots-title"><h2 id="funds-lots-title">Par lot</h2>';
  if (!rows.length) html += '<p class="state">Aucun lot.</p>';
  else {
    if (computed.length) {
      html += '<figure class="chart-figure"><div class="chart wide"><canvas id="funds-chart" role="img" '
        + `aria-label="${esc(`Part de l'enveloppe gagnée et projetée par lot : ${computed.map((row) => `${ctx.lotText(row.lot)} ${shareText(row.earned_share)} gagnés, ${shareText(row.projected_share)} projetés`).join(' ; ')}`)}"></canvas></div>`
        + '<figcaption>Part de l\'enveloppe gagnée et projetée en fin d\'année, par lot ; les valeurs figurent dans le tableau ci-dessous.</figcaption></figure>';
    }
    html += lotsTable(ctx, rows, r) + quartersTable(ctx, rows);
  }
  html += '</section>';
  ctx.app.innerHTML = html;
  const canvas = document.getElementById('funds-chart');
  if (canvas) {
    const pct = (s) => (s === null ? null : Math.round(s * 1000) / 10);
    ctx.addChart(new ctx.Chart(canvas, {
      type: 'bar',
      data: {
        labels: computed.map((row) => ctx.lotText(row.lot)),
        datasets: [
          { label: 'Gagné (% de l\'enveloppe)', data: computed.map((row) => pct(row.earned_share)), backgroundColor: '#000091' },
          { label: 'Projection fin d\'année (% de l\'enveloppe)', data: computed.map((row) => pct(row.projected_share)), backgroundColor: '#6a6af4' },
        ],
      },
      options: {
        indexAxis: 'y', responsive: true, maintainAspectRatio: false,
        plugins: { legend: { position: 'bottom' } },
        scales: { x: { beginAtZero: true, suggestedMax: 100, ticks: { callback: (v) => `${v} %` } } },
      },
    }));
  }
  return f.freshness;
}
