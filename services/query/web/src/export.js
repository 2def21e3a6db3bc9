// CSV export of every table shown (issue 18 point 5, decision 0038): a
// button after each table writes, in the browser, the rows the table shows
// as French spreadsheets open them: UTF-8 with a byte order mark, ";"
// between fields, CRLF line ends, the table's French headers first. A cell
// gives its `data-csv` value when it has one (amounts "1266,92", shares in
// percent "3,15": decimal comma, no separator of thousands); otherwise its
// text as shown (French numbers, dates dd/mm/yyyy), lines joined by " — ".

const quote = (value) => (/[";\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

function cellValue(cell) {
  if (cell.dataset.csv !== undefined) return cell.dataset.csv;
  return cell.innerText.split('\n').map((s) => s.replace(/[\u00a0\u202f\s]+/g, ' ').trim()).filter(Boolean).join(' — ');
}

// The table as CSV text (BOM included).
export function tableCsv(table) {
  const lines = [];
  const head = table.tHead ? [...table.tHead.rows] : [];
  const body = [...table.tBodies].flatMap((b) => [...b.rows]);
  if (!head.length && body.length) {
    // A table of labelled rows has no header row: name its columns.
    const n = body[0].cells.length;
    lines.push(['Libellé', ...Array.from({ length: n - 1 }, (_, i) => (n === 3 && i === 1 ? 'Part' : i === 0 ? 'Valeur' : `Colonne ${i + 1}`))]);
  }
  for (const row of [...head, ...body]) lines.push([...row.cells].map(cellValue));
  return `\ufeff${lines.map((cells) => cells.map(quote).join(';')).join('\r\n')}\r\n`;
}

function fileName(table) {
  const page = window.location.pathname.replace(/^\/+/, '').replace(/[^A-Za-z0-9-]+/g, '-') || 'national';
  const period = new URL(window.location.href).searchParams.get('period') || '';
  return `${page}-${table.dataset.testid || 'tableau'}${period ? `-${period}` : ''}.csv`;
}

function download(table) {
  const url = URL.createObjectURL(new Blob([tableCsv(table)], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName(table);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function tableName(table) {
  const caption = table.caption?.textContent.trim();
  if (caption) return caption;
  const section = table.closest('section');
  return section?.querySelector('h2, h3')?.textContent.trim() || 'le tableau';
}

// Adds the export button after every table of `root` that has none yet,
// and makes its scrolling box focusable.
function addButtons(root) {
  for (const table of root.querySelectorAll('table')) {
    if (table.dataset.csvReady) continue;
    table.dataset.csvReady = 'true';
    const box = table.closest('.scroll');
    if (box && !box.hasAttribute('tabindex')) {
      // A table wider than the screen scrolls in its box: keyboard users
      // reach it too (focusable region, named after the table).
      box.tabIndex = 0;
      box.setAttribute('role', 'region');
      box.setAttribute('aria-label', tableName(table));
    }
    // After the DSFR frame when layout.js gave the table one.
    const after = table.closest('.fr-table') || box || table;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'fr-btn fr-btn--tertiary fr-btn--sm csv no-print';
    button.dataset.csvFor = table.dataset.testid || '';
    button.textContent = 'Exporter en CSV';
    const hidden = document.createElement('span');
    hidden.className = 'sr-only';
    hidden.textContent = ` : ${tableName(table)}`;
    button.append(hidden);
    button.onclick = () => download(table);
    after.after(button);
  }
}

// Keeps a button after every table `root` shows, including tables a filter
// redraws.
export function watchTables(root) {
  new MutationObserver(() => addButtons(root)).observe(root, { childList: true, subtree: true });
}
