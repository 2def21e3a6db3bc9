// KPI trends by quarter (/trends): for one KPI, a small chart per lot
// (small multiples) of its value and target over the quarters /meta offers
// up to the period shown (at most eight),
// and the same figures as a table, its text alternative. A quarter not
// closed is marked provisional and never judged.
import {
  STATUS_LABELS, STATUS_SIGNS, formatKpi, formatTarget, quartersUpTo, shownStatus,
} from './format.js';

const MAX_QUARTERS = 8;

export async function trendsPage(ctx, r, meta) {
  const { esc } = ctx;
  const quarters = quartersUpTo(meta, r.period, MAX_QUARTERS);
  const lists = await Promise.all(quarters.map((q) => ctx.api(`lots?period=${encodeURIComponent(q.period)}`)));
  const columns = new Map();
  for (const list of lists) for (const c of list.columns) if (!c.informational && !columns.has(c.id)) columns.set(c.id, c);
  const url = new URL(window.location.href);
  const kpiId = columns.has(url.searchParams.get('kpi')) ? url.searchParams.get('kpi') : [...columns.keys()][0];
  const kpi = columns.get(kpiId);
  const lots = [...new Set(lists.flatMap((l) => l.lots.map((row) => row.lot)))].sort();
  // lot -> per quarter: { k (the KPI's result) , closed }
  const cells = Object.fromEntries(lots.map((lot) => [lot, lists.map((list) => {
    const row = list.lots.find((x) => x.lot === lot);
    return { k: row?.kpis.find((x) => x.id === kpiId), closed: row?.closed };
  })]));
  const qLabel = (q) => (q.closed ? q.period_label : `${q.period_label} (provisoire)`);
  let html = '<h1 tabindex="-1">Tendances par trimestre</h1>';
  if (!kpi) {
    ctx.app.innerHTML = `${html}<p class="state">Aucun indicateur à suivre pour le moment.</p>`;
    return lists[0]?.freshness;
  }
  html += '<form class="filters" id="trend-form"><div class="fr-select-group"><label class="fr-label" for="trend-kpi">Indicateur</label><select class="fr-select" id="trend-kpi">'
    + [...columns.values()].map((c) => `<option value="${esc(c.id)}"${c.id === kpiId ? ' selected' : ''}>${esc(c.label)}</option>`).join('')
    + '</select></div></form>'
    + `<p class="note">${esc(kpi.label)}, trimestre par trimestre (${esc(quarters.map(qLabel).join(', '))}). Un trimestre non clos est provisoire : ses valeurs ne sont pas jugées.</p>`
    + '<div class="multiples">'
    + lots.map((lot, i) => `<figure class="multiple" data-lot="${esc(lot)}"><figcaption>${esc(ctx.lotText(lot))}</figcaption>`
      + `<div class="chart small"><canvas id="trend-${i}" role="img" aria-label="${esc(`${kpi.label}, ${ctx.lotText(lot)} : ${quarters.map((q, j) => `${qLabel(q)} ${cells[lot][j].k ? formatKpi(kpi.formula, cells[lot][j].k.value, cells[lot][j].k.sample) : 'non mesuré'}`).join(' ; ')}`)}"></canvas></div></figure>`).join('')
    + '</div>'
    + '<div class="scroll"><table data-testid="trends-table"><caption>' + `${esc(kpi.label)} par lot et par trimestre (valeur et statut)</caption><thead><tr><th scope="col" class="name">Lot</th>`
    + quarters.map((q) => `<th scope="col">${esc(qLabel(q))}</th>`).join('') + '</tr></thead><tbody>'
    + lots.map((lot) => `<tr data-lot="${esc(lot)}"><th scope="row" class="name">${esc(ctx.lotText(lot))}</th>`
      + cells[lot].map(({ k, closed }, j) => {
        if (!k) return '<td>—</td>';
        const status = shownStatus(k.status, closed);
        return `<td class="status-${esc(status)}" data-period="${esc(quarters[j].period)}">${esc(formatKpi(kpi.formula, k.value, k.sample))}`
          + `<br><span class="note">${esc(`${STATUS_SIGNS[status]} ${STATUS_LABELS[status]}`)}</span>`
          + `<br><span class="note">cible ${esc(formatTarget(kpi.formula, kpi.direction, k.target))}</span></td>`;
      }).join('') + '</tr>').join('')
    + '</tbody></table></div>';
  ctx.app.innerHTML = html;
  document.getElementById('trend-kpi').onchange = (e) => {
    url.searchParams.set('kpi', e.target.value);
    ctx.go(`${url.pathname}${url.search}`);
  };
  const pct = kpi.formula !== 'NEW_BENEFICIARIES';
  const scale = (v) => (v === null || v === undefined ? null : pct ? Math.round(v * 1000) / 10 : v);
  lots.forEach((lot, i) => {
    ctx.addChart(new ctx.Chart(document.getElementById(`trend-${i}`), {
      type: 'line',
      data: {
        labels: quarters.map((q) => (q.closed ? q.period_label : `${q.period_label} ~`)),
        datasets: [
          { label: 'Valeur', data: cells[lot].map(({ k }) => (k && (!pct || k.sample) ? scale(k.value) : null)), borderColor: '#000091', backgroundColor: '#000091' },
          { label: 'Cible', data: cells[lot].map(({ k }) => (k ? scale(k.target) : null)), borderColor: '#b3261e', borderDash: [6, 4], pointRadius: 0 },
        ],
      },
      options: {
        responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: i === 0, position: 'bottom' } },
        scales: { y: { beginAtZero: true, ticks: { callback: (v) => (pct ? `${v} %` : v) } } },
      },
    }));
  });
  return lists[lists.length - 1]?.freshness;
}
