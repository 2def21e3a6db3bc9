// The dashboard in Debian's headless Chromium, driven by playwright-core
// (no browser download). Run by query_browser_test.cc, which started the
// broker, projector and query service with the may-every-kpi and
// closing-late scenarios, fixtures/steering-lot-94.ndjson and
// fixtures/funds-lot-95. Exits non-zero with a message on the first
// mismatch; screenshots go to $SCREENSHOTS.
// Every page is checked by axe-core (0 serious or critical violations) and,
// at phone widths, for page-level horizontal scrolling.
//
// Funds, CSV export, the A4 bilan (PDF), trends and the accessibility
// statement (decision 0038) use fixtures/funds-lot-95 as well.
//
// Env: BASE_URL, PILOT_TOKEN, OPERATOR_TOKEN (holds LOT-94 only),
//      JULY_URL (the same store served with --today 2024-07-10),
//      EARLY_URL (served with --today 2024-07-01), FOLD_ARGV (the
//      projector's command that folds what the broker holds, JSON array),
//      CHROMIUM (executable), SCREENSHOTS (directory).
const { chromium } = require('playwright-core');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { BASE_URL, JULY_URL, EARLY_URL, PILOT_TOKEN, OPERATOR_TOKEN, CHROMIUM, SCREENSHOTS, FOLD_ARGV } = process.env;
const { execFileSync } = require('node:child_process');

// Folds what the broker holds into the store (pilotage-projector run
// --until-caught-up, FOLD_ARGV: a JSON array), as the running projector would.
function fold() {
  const [program, ...args] = JSON.parse(FOLD_ARGV);
  execFileSync(program, args, { stdio: 'inherit' });
}
// Formatting expected on screen, written independently of the app's code:
// whole euros without cents ("1 500 €"), others with them.
const euros = (cents) => new Intl.NumberFormat('fr-FR', {
  style: 'currency', currency: 'EUR', minimumFractionDigits: cents % 100 ? 2 : 0, maximumFractionDigits: cents % 100 ? 2 : 0,
}).format(cents / 100);
const STATUS_WORDS = { MET: 'Atteint', AT_RISK: 'À risque', BREACHED: 'Non atteint', NOT_ENOUGH_DATA: 'Données insuffisantes', INFORMATIONAL: 'Informatif' };
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// axe-core in the page (evaluated, not a script tag: a CSP forbidding inline
// scripts must not stop it): no serious or critical violation.
async function axeCheck(page, name) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')})`);
  });
  assert.deepEqual(violations, [], `axe-core on ${name}`);
}

// No page-level horizontal scrolling at the viewport's width (wide tables
// scroll inside their own box, the DSFR's fr-table).
async function noPageScroll(page, name) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.scrollingElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${name}: the page is ${scroll} px wide at ${width} px`);
}
// A page at 375 px (its screenshot) and at 360 px, the narrowest width
// supported: no page-level horizontal scrolling at either.
async function atPhoneWidth(browser, url, shot) {
  for (const width of [375, 360]) {
    const { context, page } = await open(browser, PILOT_TOKEN, url, width);
    await noPageScroll(page, `${url} at ${width} px`);
    if (width === 375) await page.screenshot({ path: path.join(SCREENSHOTS, shot), fullPage: true });
    await context.close();
  }
}
// A DSFR checkbox is drawn by its label, which takes the click (as a
// user's): click it, then the box has the state wanted.
async function tick(page, id, checked) {
  await page.click(`label[for="${id}"]`);
  assert.equal(await page.isChecked(`#${id}`), checked, `#${id}`);
}

// The State's design system (decision 0044), served from the dashboard's
// origin: its stylesheet and Marianne font in use, its script started
// (data-fr-js), the header's Marianne block, service and operator, the
// skip links and the footer's accessibility link.
async function designSystem(page) {
  const seen = await page.evaluate(async () => {
    await document.fonts.ready;
    return {
      js: document.documentElement.dataset.frJs,
      font: getComputedStyle(document.body).fontFamily,
      marianne: document.fonts.check('1rem Marianne'),
      logo: document.querySelector('.fr-header .fr-logo')?.textContent.replace(/\s+/g, ' ').trim(),
      service: document.querySelector('.fr-header__service-title')?.textContent.trim(),
      operator: document.querySelector('.fr-header__operator')?.textContent.replace(/\s+/g, ' ').trim(),
      skip: [...document.querySelectorAll('.fr-skiplinks a')].map((a) => a.getAttribute('href')),
      a11y: document.querySelector('.fr-footer a[href^="/accessibilite"]')?.textContent.trim(),
      foreign: performance.getEntriesByType('resource').map((e) => new URL(e.name).origin).filter((o) => o !== location.origin),
    };
  });
  assert.equal(seen.js, 'true', 'the DSFR script runs under the page\'s CSP');
  assert.match(seen.font, /^Marianne/);
  assert.ok(seen.marianne, 'the Marianne font is loaded');
  assert.equal(seen.logo, 'République Française');
  assert.equal(seen.service, 'Pilotage CEP');
  assert.equal(seen.operator, 'France compétences');
  assert.deepEqual(seen.skip, ['#app', '#navigation', '#footer']);
  assert.equal(seen.a11y, 'Accessibilité : partiellement conforme');
  assert.deepEqual(seen.foreign, [], 'nothing loaded from another origin');
}

// At 360 px the pages are behind the header's "Menu" button (a DSFR modal):
// it opens, a page link navigates inside the page and closes it.
async function phoneMenu(page) {
  assert.equal(await page.isVisible('#nav-funds'), false, 'the menu is closed');
  await page.click('.fr-header__navbar .fr-btn--menu');
  await page.waitForSelector('#header-menu.fr-modal--opened #nav-funds', { state: 'visible' });
  await axeCheck(page, 'national at 360 px, menu open');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'national-360-menu.png') });
  await page.click('#nav-funds');
  await page.waitForFunction(() => window.location.pathname === '/funds' && document.body.dataset.ready === 'true');
  await page.waitForSelector('#header-menu:not(.fr-modal--opened) #nav-funds', { state: 'hidden' });
  await noPageScroll(page, 'funds at 360 px, from the menu');
}

const count = (n) => new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 }).format(n);
const percent = (s) => new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 }).format(s);
// A count as an integer; a share as a percentage, or "—" when measured on nobody.
function shown(k) {
  if (k.formula === 'NEW_BENEFICIARIES' || k.id === 'new_beneficiaries') return count(k.value);
  return k.sample === 0 ? '—' : percent(k.value);
}

// Node's fetch says only "fetch failed": the socket's error is its cause.
async function apiGet(p, token, base = BASE_URL) {
  let res;
  try {
    res = await fetch(`${base}/api/v1/${p}`, { headers: { Authorization: `Bearer ${token}` } });
  } catch (e) {
    const c = e.cause || {};
    throw new Error(`GET ${p}: ${e.message}: ${c.code || c.name || ''} ${c.message || c}`, { cause: e });
  }
  assert.equal(res.status, 200, `GET ${p}`);
  return res.json();
}

// Opens `url` in a fresh browser and logs in with `token` through the form.
// The page must run under its Content-Security-Policy without a violation,
// and no script may then read a credential (HttpOnly session cookie).
async function open(browser, token, url, width = 1366, base = BASE_URL) {
  const context = await browser.newContext({ viewport: { width, height: 768 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw new Error(`page error on ${url}: ${e.message}`); });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) throw new Error(`CSP violation on ${url}: ${m.text()}`);
  });
  const answer = await page.goto(`${base}${url}`);
  assert.match(answer.headers()['content-security-policy'] || '', /frame-ancestors 'none'/);
  assert.equal(answer.headers()['x-content-type-options'], 'nosniff');
  await page.waitForSelector('#login[open]');
  await page.fill('#token', token);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is HttpOnly');
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0, 'nothing stored');
  return { context, page };
}

async function main() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    // A pilot opens the dashboard: it lands on the last closed quarter. The
    // fixtures' activity ends in May 2024 and Q2 2024 closed on 15 July 2024
    // (15 days of grace), long before today: T2 2024, judged.
    const meta = await apiGet('meta', PILOT_TOKEN);
    assert.equal(meta.default_period, '2024-Q2');
    let { context, page } = await open(browser, PILOT_TOKEN, '/', 1400);
    assert.equal(new URL(page.url()).searchParams.get('period'), '2024-Q2');
    assert.equal(await page.textContent('[data-testid=period-label]'), 'T2 2024');
    assert.equal(await page.locator('[data-testid=provisional]').count(), 0);
    // Quarters offered: today's first, open ("provisoire"); none not started.
    const now = new Date();
    const quarter = Math.floor(now.getMonth() / 3) + 1;
    const options = await page.locator('#period option').allTextContents();
    assert.equal(options[0], `T${quarter} ${now.getFullYear()} (provisoire)`);
    assert.ok(!options.includes(`T${quarter === 4 ? 1 : quarter + 1} ${quarter === 4 ? now.getFullYear() + 1 : now.getFullYear()}`), options.join(', '));
    assert.ok(options.includes('T2 2024') && options.includes('T1 2024'), options.join(', '));
    // The lots off target in T2 2024, as the API judges them, named with
    // their operator; the filter keeps only them.
    const q2 = await apiGet('lots?period=2024-Q2', PILOT_TOKEN);
    const off = q2.lots.filter((l) => l.closed && l.kpis.some((k) => k.status === 'BREACHED')).map((l) => l.lot).sort();
    assert.ok(off.length >= 1, 'the fixtures have a lot off target in T2 2024');
    const listed = await page.locator('[data-testid=off-target-summary] a[data-off-target]').evaluateAll((as) => as.map((a) => a.dataset.offTarget));
    assert.deepEqual(listed.sort(), off);
    assert.match(await page.textContent('[data-testid=off-target-summary]'), /Opérateur Corse \(LOT-94\)/);
    await tick(page, 'only-off', true);
    const kept = await page.locator('[data-testid=lots-table] tr[data-lot]').evaluateAll((rows) => rows.map((r) => r.dataset.lot));
    assert.deepEqual(kept.sort(), off);
    for (const lot of off) {
      for (const k of q2.lots.find((l) => l.lot === lot).kpis.filter((x) => x.status === 'BREACHED')) {
        const status = page.locator(`[data-testid=lots-table] tr[data-lot="${lot}"] td[data-kpi="${k.id}"] [data-testid=kpi-status]`);
        assert.equal(await status.textContent(), `✗ ${STATUS_WORDS.BREACHED}`, `${lot} ${k.id}: status in words`);
      }
    }
    // Pending across lots (fixtures/README.md): the 500 € timeliness penalty,
    // observations due 5 July 2024, past; the action due 30 September 2024.
    const pendingRows = () => page.locator('[data-testid=pending-table] tr[data-pending]').evaluateAll((rows) => rows.map((r) => r.dataset.pending));
    assert.deepEqual(await pendingRows(), ['PEN-94-2024-05-TIMELINESS', 'ACT-94-2']);
    const pen = page.locator('[data-testid=pending-table] tr[data-pending="PEN-94-2024-05-TIMELINESS"]');
    assert.equal(await pen.locator('[data-testid=pending-amount]').textContent(), '500\u00a0€');
    assert.match(await pen.locator('[data-testid=pending-deadline]').textContent(), /^05\/07\/2024/);
    assert.match(await pen.textContent(), /Opérateur Corse/);
    assert.doesNotMatch(await pen.textContent(), /_/, 'labels, not rule or KPI ids');
    await page.click('[data-testid=pending-table] button[data-sort=deadline]');
    assert.deepEqual(await pendingRows(), ['ACT-94-2', 'PEN-94-2024-05-TIMELINESS']);
    assert.equal(await page.getAttribute('[data-testid=pending-table] th[aria-sort]', 'aria-sort'), 'descending');
    await page.selectOption('#pending-lot', 'LOT-94');
    assert.equal((await pendingRows()).length, 2);
    await tick(page, 'pending-off', true);
    assert.equal((await pendingRows()).length, off.includes('LOT-94') ? 2 : 0);
    await tick(page, 'pending-off', false);
    assert.match(await page.textContent('[data-testid=pending-count]'), /^2 éléments affichés sur 2\.$/);
    await axeCheck(page, 'national T2 2024');
    await noPageScroll(page, 'national at 1400 px');
    await designSystem(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'national-2024-Q2-1400.png'), fullPage: true });
    await context.close();
    for (const width of [375, 360]) {
      ({ context, page } = await open(browser, PILOT_TOKEN, '/national?period=2024-Q2', width));
      await noPageScroll(page, `national at ${width} px`);
      if (width === 360) await phoneMenu(page);
      if (width === 375) await page.screenshot({ path: path.join(SCREENSHOTS, 'national-2024-Q2-375.png'), fullPage: true });
      await context.close();
      ({ context, page } = await open(browser, PILOT_TOKEN, '/lot/LOT-94?period=2024-Q2', width));
      await noPageScroll(page, `lot at ${width} px`);
      if (width === 375) await page.screenshot({ path: path.join(SCREENSHOTS, 'lot-LOT-94-2024-Q2-375.png'), fullPage: true });
      await context.close();
    }

    // The same store judged on 10 July 2024: Q2 ends on 30 June and closes
    // on 15 July, Q1 closed on 15 April. Pages land on T1 2024; T2 and T3
    // are offered as provisional, nothing later; T2 is shown, not judged.
    assert.ok(JULY_URL, 'JULY_URL: a pilotage-query with --today 2024-07-10');
    assert.equal((await apiGet('meta', PILOT_TOKEN, JULY_URL)).default_period, '2024-Q1');
    ({ context, page } = await open(browser, PILOT_TOKEN, '/', 1400, JULY_URL));
    assert.equal(await page.textContent('[data-testid=period-label]'), 'T1 2024');
    assert.equal(await page.locator('[data-testid=provisional]').count(), 0);
    assert.deepEqual(await page.locator('#period option').allTextContents(), ['T3 2024 (provisoire)', 'T2 2024 (provisoire)', 'T1 2024']);
    await page.selectOption('#period', '2024-Q2');
    await page.waitForSelector('body[data-ready="true"] [data-testid=provisional]');
    assert.equal(await page.textContent('[data-testid=period-label]'), 'T2 2024');
    assert.match(await page.textContent('[data-testid=provisional-notice]'), /Elle sera close le 15\/07\/2024/);
    assert.equal(await page.locator('[data-testid=off-target-summary]').count(), 0);
    assert.ok(await page.locator('[data-testid=lots-table] td[data-kpi]').count() >= 12);
    assert.equal(await page.locator('[data-testid=lots-table] td[data-kpi]:not(.status-PROVISIONAL)').count(), 0);
    assert.doesNotMatch(await page.textContent('main'), /Non atteint|Atteint|À risque/, 'an open quarter is not judged');
    await axeCheck(page, 'national T2 2024 provisional');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'national-2024-Q2-provisional.png'), fullPage: true });
    await context.close();
    ({ context, page } = await open(browser, PILOT_TOKEN, '/lot/LOT-94?period=2024-Q2', 1400, JULY_URL));
    assert.match(await page.textContent('[data-testid=provisional-notice]'), /15\/07\/2024/);
    assert.doesNotMatch(await page.textContent('[data-testid=lot-kpis]'), /Non atteint|Atteint|À risque/);
    await context.close();

    // National page, May 2024: lots x KPIs equal the API's.
    const lots = await apiGet('lots?period=2024-05', PILOT_TOKEN);
    const national = await apiGet('national?period=2024-05', PILOT_TOKEN);
    ({ context, page } = await open(browser, PILOT_TOKEN, '/national?period=2024-05'));
    assert.equal(await page.textContent('[data-testid=period-label]'), 'mai 2024');
    assert.equal(await page.textContent('[data-testid=total-new-beneficiaries]'), count(national.volume.new_beneficiaries));
    assert.equal(await page.textContent('[data-testid=total-appointments]'), count(national.volume.appointments));
    assert.equal(await page.textContent('[data-testid=total-penalties-confirmed]'), euros(national.penalties.confirmed_cents));
    assert.equal(await page.textContent('[data-testid=total-fund-usage]'), euros(national.fund_usage.cumulative_cents));
    let cells = 0;
    for (const row of lots.lots) {
      for (const k of row.kpis) {
        const cell = page.locator(`[data-testid=lots-table] tr[data-lot="${row.lot}"] td[data-kpi="${k.id}"]`);
        assert.equal(await cell.locator('[data-testid=kpi-value]').textContent(), shown(k), `${row.lot} ${k.id}`);
        assert.ok((await cell.getAttribute('class')).includes(`status-${k.status}`), `${row.lot} ${k.id} colour`);
        cells += 1;
      }
    }
    assert.ok(cells >= 12, `only ${cells} KPI cells checked`);
    for (const k of national.kpis) {
      const v = page.locator(`[data-testid=national-kpis] tr[data-kpi="${k.id}"] [data-testid=kpi-value]`);
      assert.equal(await v.textContent(), shown(k), `national ${k.id}`);
    }
    assert.match(await page.textContent('[data-testid=freshness-lag]'), /retard du projecteur : 0 événement/);
    await axeCheck(page, 'national mai 2024');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'national-2024-05.png'), fullPage: true });
    // Shareable URL: following the lot link keeps the period.
    await page.click('[data-testid=lots-table] tr[data-lot="LOT-94"] a');
    await page.waitForSelector('body[data-ready="true"] [data-testid=lot-id]');
    assert.equal(new URL(page.url()).pathname, '/lot/LOT-94');
    assert.equal(new URL(page.url()).searchParams.get('period'), '2024-05');
    await context.close();

    // Lot page, Q2 2024: KPIs, volume and charts.
    const lot = await apiGet('lots/LOT-94?period=2024-Q2', PILOT_TOKEN);
    ({ context, page } = await open(browser, PILOT_TOKEN, '/lot/LOT-94?period=2024-Q2'));
    assert.equal(await page.textContent('[data-testid=period-label]'), 'T2 2024');
    assert.equal(await page.textContent('[data-testid=lot-new-beneficiaries]'), count(lot.volume.new_beneficiaries));
    for (const k of lot.kpis) {
      const v = page.locator(`[data-testid=lot-kpis] tr[data-kpi="${k.id}"] [data-testid=kpi-value]`);
      assert.equal(await v.textContent(), shown(k), `LOT-94 ${k.id}`);
    }
    const trended = lot.kpis.filter((k) => !k.informational).length;
    assert.equal(await page.locator('canvas[data-series]').count(), trended);
    assert.equal(await page.locator('[data-testid=funnel-table] tr').first().locator('td').nth(0).textContent(), count(lot.funnel.requests));
    // Penalties with the explanation a pilot reads aloud, their state; the
    // statement of the period.
    for (const p of lot.steering.penalties) {
      const block = page.locator(`[data-testid=penalty][data-penalty="${p.penalty_id}"]`);
      assert.equal(await block.locator('[data-testid=penalty-amount]').textContent(), euros(p.amount_cents));
      assert.equal(await block.locator('[data-testid=penalty-state]').textContent(), p.state_label);
      assert.equal(await block.locator('[data-testid=penalty-explanation]').textContent(), p.explanation);
    }
    assert.equal(lot.steering.penalties.length, 2);
    assert.equal(await page.locator('[data-testid=actions] tr[data-action]').count(), lot.steering.actions.length);
    assert.equal(await page.textContent('[data-testid=statement-net]'), euros(lot.steering.statement.net_amount_cents));
    // Written by hand: the README's amounts, French dates, labels not ids.
    assert.equal(await page.textContent('[data-penalty="PEN-94-2024-05-DELAY"] [data-testid=penalty-amount]'), '1\u202f500\u00a0€');
    assert.match(await page.textContent('[data-penalty="PEN-94-2024-05-TIMELINESS"]'), /observations jusqu'au 05\/07\/2024/);
    assert.doesNotMatch(await page.textContent('[data-testid=actions]'), /_/, 'KPI labels, not ids');
    await axeCheck(page, 'lot LOT-94 T2 2024');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lot-LOT-94-2024-Q2.png'), fullPage: true });
    await page.setViewportSize({ width: 1400, height: 768 });
    await noPageScroll(page, 'lot at 1400 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lot-LOT-94-2024-Q2-1400.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lot-LOT-94-2024-Q2-print.png'), fullPage: true });
    await context.close();

    // Data quality, January 2024 (closing-late).
    const quality = await apiGet('quality?period=2024-01', PILOT_TOKEN);
    ({ context, page } = await open(browser, PILOT_TOKEN, '/quality?period=2024-01'));
    assert.equal(await page.textContent('[data-testid=quality-late]'), count(quality.totals.late_events));
    assert.equal(await page.textContent('[data-testid=quality-dead-letters]'), count(quality.dead_letters));
    // Imports and refusals per quarter, one row per quarter offered.
    const quarterly = await apiGet('quality?period=2024-Q1', PILOT_TOKEN);
    assert.equal(await page.textContent('[data-testid=quality-history] tr[data-period="2024-Q1"] [data-testid=quality-imported]'), count(quarterly.totals.imported_events));
    await axeCheck(page, 'quality janvier 2024');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'quality-2024-01.png'), fullPage: true });
    await context.close();

    // The gateway's refusals by reason, T2 2024 (fixtures/README.md, "Gateway
    // refusals", by hand): LOT-94 2 personal data and 1 unknown value; 2
    // unreadable bodies naming no lot, "lot inconnu"; 5 in all. T1: 1 (LOT-11).
    ({ context, page } = await open(browser, PILOT_TOKEN, '/quality?period=2024-Q2', 1400));
    const byReason = (code) => page.textContent(`[data-testid=gateway-refusals-by-reason] tr[data-code="${code}"] td`);
    assert.equal(await byReason('PERSONAL_DATA'), '2');
    assert.equal(await byReason('MALFORMED_BODY'), '2');
    assert.equal(await byReason('UNKNOWN_ENUM'), '1');
    assert.match(await page.textContent('[data-testid=gateway-refusals-by-reason] tr[data-code="PERSONAL_DATA"] th'), /^donnée personnelle détectée/);
    assert.equal(await page.textContent('[data-testid=gateway-refusals-total]'), '5');
    assert.equal(await page.textContent('[data-testid=quality-gateway-refusals]'), '5');
    assert.equal(await page.textContent('[data-testid=gateway-refusals-by-lot] tr[data-lot=""][data-code="MALFORMED_BODY"] th'), 'lot inconnu');
    const corseRefusals = page.locator('[data-testid=gateway-refusals-by-lot] tr[data-lot="LOT-94"][data-code="PERSONAL_DATA"]');
    assert.match(await corseRefusals.textContent(), /^Opérateur Corse.*donnée personnelle détectée.*2$/);
    assert.equal(await page.textContent('[data-testid=quality-table] tr[data-lot="LOT-94"] [data-testid=quality-lot-gateway]'), '3');
    assert.equal(await page.textContent('[data-testid=quality-table] tr[data-lot="LOT-94"] [data-testid=quality-lot-conflicting]'), '0');
    assert.equal(await page.textContent('[data-testid=quality-history] tr[data-period="2024-Q2"] [data-testid=quality-history-gateway]'), '5');
    assert.equal(await page.textContent('[data-testid=quality-history] tr[data-period="2024-Q1"] [data-testid=quality-history-gateway]'), '1');
    await axeCheck(page, 'quality T2 2024');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'quality-2024-Q2-1400.png'), fullPage: true });
    await context.close();
    // The operator of LOT-94: its lot's 3, no "lot inconnu" (national).
    ({ context, page } = await open(browser, OPERATOR_TOKEN, '/quality?period=2024-Q2', 1400));
    assert.equal(await page.textContent('[data-testid=gateway-refusals-total]'), '3');
    assert.equal(await page.locator('[data-testid=gateway-refusals-by-lot] tr[data-lot=""]').count(), 0);
    await axeCheck(page, 'quality T2 2024, operator');
    await context.close();

    // Fund usage, T2 2024 (fixtures/funds-lot-95/README.md, by hand):
    // LOT-95 earned 630 € of 20 000 €, projection 1 266,92 €; Q1's statement
    // issued, Q2's not; nationally LOT-94 + LOT-95.
    ({ context, page } = await open(browser, PILOT_TOKEN, '/funds?period=2024-Q2', 1400));
    const f95 = page.locator('[data-testid=funds-table] tr[data-lot="LOT-95"]');
    assert.equal(await f95.locator('[data-testid=funds-earned]').textContent(), '630\u00a0€');
    assert.equal(await f95.locator('[data-testid=funds-projected]').textContent(), '1\u202f266,92\u00a0€');
    assert.equal(await f95.locator('[data-testid=funds-envelope]').textContent(), '20\u202f000\u00a0€');
    assert.equal(await page.textContent('[data-testid=funds-national] tr[data-year="1"] [data-testid=funds-national-earned]'), '630\u00a0€');
    assert.equal(await page.textContent('[data-testid=funds-national] tr[data-year="1"] [data-testid=funds-national-projected]'), '1\u202f266,92\u00a0€');
    assert.equal(await page.textContent('[data-testid=funds-quarters] tr[data-lot="LOT-95"][data-period="2024-Q1"] [data-testid=funds-statement]'), '✓ émis');
    assert.equal(await page.textContent('[data-testid=funds-quarters] tr[data-lot="LOT-95"][data-period="2024-Q2"] [data-testid=funds-statement]'), '✗ non émis');
    assert.match(await page.textContent('[data-testid=funds-rule]'), /gagné ÷ jours écoulés de l'année contractuelle × jours de l'année contractuelle/);
    assert.equal(await page.locator('canvas#funds-chart[role=img][aria-label]').count(), 1);
    await axeCheck(page, 'funds T2 2024');
    await noPageScroll(page, 'funds at 1400 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'funds-2024-Q2-1400.png'), fullPage: true });
    // CSV of the table, as the browser downloads it: BOM, ";", French
    // decimals and dates, French headers; LOT-95's row written by hand.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('button.csv[data-csv-for=funds-table]'),
    ]);
    assert.equal(download.suggestedFilename(), 'funds-funds-table-2024-Q2.csv');
    const csv = fs.readFileSync(await download.path());
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte order mark');
    const csvLines = csv.toString('utf8').slice(1).split('\r\n');
    assert.equal(csvLines[0], "Lot;Année contractuelle;Arrêté au;Enveloppe (€);Gagné (€);Gagné (% de l'enveloppe);Projection fin d'année (€);Projection (% de l'enveloppe);Relevés émis, nets (€);Rendez-vous non tarifés;Situation");
    assert.ok(csvLines.includes("Opérateur Bretagne (LOT-95);1 (01/01/2024 – 31/12/2024);30/06/2024;20000,00;630,00;3,15;1266,92;6,33;290,00;0;dans l'enveloppe"), csvLines.join('\n'));
    fs.writeFileSync(path.join(SCREENSHOTS, 'funds-table-2024-Q2.csv'), csv);
    await context.close();
    await atPhoneWidth(browser, '/funds?period=2024-Q2', 'funds-2024-Q2-375.png');

    // Every table of the national page has its export; the lots table's
    // CSV has one line per lot and the same columns as its header.
    ({ context, page } = await open(browser, PILOT_TOKEN, '/national?period=2024-Q2', 1400));
    await page.waitForSelector('button.csv[data-csv-for=lots-table]');
    assert.equal(await page.locator('main table').count(), await page.locator('main button.csv').count());
    const [lotsDownload] = await Promise.all([page.waitForEvent('download'), page.click('button.csv[data-csv-for=lots-table]')]);
    const lotsCsv = fs.readFileSync(await lotsDownload.path(), 'utf8').replace(/^\ufeff/, '').trimEnd().split('\r\n');
    assert.equal(lotsCsv.length, 1 + q2.lots.length);
    const lotsHeader = lotsCsv[0].split(';');
    assert.equal(lotsHeader[0], 'Lot');
    const corse = lotsCsv.find((l) => l.startsWith('Opérateur Corse'));
    assert.ok(corse, lotsCsv.join('\n'));
    assert.equal(corse.split(';').length, lotsHeader.length, corse);
    await context.close();

    // The quarterly bilan, national and per lot, printed on A4 by Chromium.
    // The national table keeps every KPI column within the printable width
    // of an A4 landscape page (277 mm = 1047 px at 96 dpi).
    ({ context, page } = await open(browser, PILOT_TOKEN, '/bilan?period=2024-Q2', 1400));
    assert.equal(await page.textContent('[data-testid=period-label]'), 'T2 2024');
    assert.equal(await page.locator('[data-testid=bilan-lots-table] thead th').count(), 1 + q2.columns.length);
    assert.equal(await page.locator('[data-testid=bilan-lots-table] tbody tr').count(), q2.lots.length);
    await axeCheck(page, 'bilan national T2 2024');
    await noPageScroll(page, 'bilan at 1400 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'bilan-national-2024-Q2-1400.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 1047, height: 740 });
    const fit = await page.evaluate(() => {
      const t = document.querySelector('[data-testid=bilan-lots-table]');
      const right = Math.max(...[...t.querySelectorAll('th, td')].map((c) => c.getBoundingClientRect().right));
      return { right, width: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth };
    });
    assert.ok(fit.right <= fit.width && fit.scroll <= fit.width, `bilan table on A4: ${JSON.stringify(fit)}`);
    const pdf = await page.pdf({ path: path.join(SCREENSHOTS, 'bilan-national-2024-Q2.pdf'), format: 'A4', landscape: true, printBackground: true });
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'bilan-national-2024-Q2-print.png'), fullPage: true });
    await context.close();
    await atPhoneWidth(browser, '/bilan?period=2024-Q2', 'bilan-national-2024-Q2-375.png');
    await atPhoneWidth(browser, '/bilan/LOT-94?period=2024-Q2', 'bilan-lot-LOT-94-2024-Q2-375.png');
    await atPhoneWidth(browser, '/quality?period=2024-Q2', 'quality-2024-Q2-375.png');
    ({ context, page } = await open(browser, PILOT_TOKEN, '/bilan/LOT-94?period=2024-Q2', 1400));
    assert.equal(await page.locator('[data-testid=bilan-lot-kpis] tbody tr').count(), lot.kpis.length);
    assert.equal(await page.locator('[data-testid=bilan-penalties] tbody tr').count(), 2);
    await axeCheck(page, 'bilan LOT-94 T2 2024');
    await page.emulateMedia({ media: 'print' });
    const lotPdf = await page.pdf({ path: path.join(SCREENSHOTS, 'bilan-lot-LOT-94-2024-Q2.pdf'), format: 'A4', landscape: true, printBackground: true });
    assert.equal(lotPdf.subarray(0, 5).toString(), '%PDF-');
    await context.close();

    // KPI trends by quarter: one small chart per lot and the same figures
    // as a table (the charts' text alternative), equal to the API's.
    ({ context, page } = await open(browser, PILOT_TOKEN, '/trends?period=2024-Q2', 1400));
    const trendKpi = await page.inputValue('#trend-kpi');
    assert.equal(trendKpi, q2.columns.find((c) => !c.informational).id);
    assert.equal(await page.locator('.multiple canvas[role=img][aria-label]').count(), q2.lots.length);
    // The quarters offered up to T2 2024: T1 and T2 2024 (the fixtures start
    // in January 2024).
    assert.deepEqual(await page.locator('[data-testid=trends-table] thead th').allTextContents(), ['Lot', 'T1 2024', 'T2 2024']);
    for (const row of q2.lots) {
      const k = row.kpis.find((x) => x.id === trendKpi);
      if (!k) continue;
      const cell = page.locator(`[data-testid=trends-table] tr[data-lot="${row.lot}"] td[data-period="2024-Q2"]`);
      assert.ok((await cell.textContent()).startsWith(shown(k)), `${row.lot} trend T2 2024`);
    }
    await axeCheck(page, 'trends');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'trends-1400.png'), fullPage: true });
    await context.close();
    await atPhoneWidth(browser, '/trends?period=2024-Q2', 'trends-375.png');

    // The accessibility statement.
    ({ context, page } = await open(browser, PILOT_TOKEN, '/accessibilite', 1400));
    assert.match(await page.textContent('[data-testid=a11y-state]'), /partiellement conforme/);
    await axeCheck(page, 'accessibilité');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'accessibilite-1400.png'), fullPage: true });
    await context.close();
    await atPhoneWidth(browser, '/accessibilite', 'accessibilite-375.png');

    // An operator holding LOT-94: its lot opens, another lot does not.
    ({ context, page } = await open(browser, OPERATOR_TOKEN, '/lot/LOT-11?period=2024-05'));
    assert.equal(await page.getAttribute('[data-testid=error]', 'data-status'), '403');
    assert.equal(await page.locator('[data-testid=lot-kpis]').count(), 0);
    assert.equal(await page.textContent('[data-testid=error] .fr-alert__title'), 'Ce jeton ne donne pas accès à cette page.');
    await axeCheck(page, 'operator refused LOT-11');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'operator-forbidden-LOT-11.png'), fullPage: true });
    await page.goto(`${BASE_URL}/national?period=2024-05`);
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.locator('[data-testid=lots-table] tr[data-lot]').count(), 1);
    assert.equal(await page.locator('[data-testid=lots-table] tr[data-lot="LOT-94"]').count(), 1);
    await axeCheck(page, 'operator national');
    await context.close();

    // An unknown token gets the login form, not data.
    context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    page = await context.newPage();
    await page.goto(`${BASE_URL}/national?period=2024-05`);
    await page.waitForSelector('#login[open]');
    await page.fill('#token', 'not-a-token');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login[open] #login-error:not([hidden])');
    assert.equal(await page.locator('[data-testid=lots-table]').count(), 0);
    await axeCheck(page, 'login');
    await context.close();

    // A penalty explained, then decided from the page (decision 0037). Last:
    // it changes the store the checks above read. The operator sends
    // observations on 1 July 2024 (EARLY_URL), within the delay (5 July).
    const penaltyUrl = '/lot/LOT-94/penalties/PEN-94-2024-05-TIMELINESS?period=2024-05';
    ({ context, page } = await open(browser, OPERATOR_TOKEN, penaltyUrl, 1366, EARLY_URL));
    assert.equal(await page.locator('[data-testid=decision-form]').count(), 0, 'operators do not decide');
    await page.click('[data-testid=send-observations]');
    assert.equal(await page.textContent('[data-testid=decision-status]'), 'Observations : champ obligatoire.');
    await page.fill('#observations-text', 'Incident du logiciel de saisie du 20 au 24 mai.');
    await page.click('[data-testid=send-observations]');
    await page.waitForFunction(() => /Observations transmises/.test(document.querySelector('[data-testid=decision-status]').textContent));
    fold();
    await page.waitForSelector('[data-testid=trail-observations]', { timeout: 60000 });
    assert.match(await page.textContent('[data-testid=trail-observations]'), /reçues le 01\/07\/2024 : « Incident du logiciel de saisie du 20 au 24 mai. »/);
    await axeCheck(page, 'penalty, operator');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'penalty-operator-observations.png'), fullPage: true });
    await context.close();

    // The pilot reads the calculation: counts of the lot's KPI for May 2024
    // (may-every-kpi's expected.json: 19 of 21, target 95 %), terms, formula.
    ({ context, page } = await open(browser, PILOT_TOKEN, penaltyUrl, 1400));
    const timeliness = (await apiGet('lots/LOT-94?period=2024-05', PILOT_TOKEN)).kpis.find((k) => k.id === 'reporting_timeliness');
    assert.equal(await page.textContent('h1'), `Pénalité — ${timeliness.label}, mai 2024`, 'named by its KPI, not an id');
    assert.equal(await page.textContent('[data-testid=penalty-counts]'), '19 sur 21');
    assert.equal(await page.textContent('[data-testid=penalty-target]'), `≥ ${percent(0.95)}`);
    assert.equal(await page.textContent('[data-testid=penalty-formula]'), '500 EUR forfaitaires');
    assert.equal(await page.textContent('[data-testid=penalty-amount]'), euros(50000));
    assert.match(await page.textContent('[data-testid=penalty-terms]'), /version F1\.1/);
    assert.equal(await page.getAttribute('[data-testid=penalty-kpi-link]', 'href'), '/lot/LOT-94?period=2024-05');
    assert.equal(await page.textContent('[data-testid=penalty-state]'), 'observations reçues');
    assert.match(await page.textContent('main'), /Retour au lot Opérateur Corse \(LOT-94\)/, 'the operator named, not only the lot id');
    await axeCheck(page, 'penalty, pilot');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'penalty-1400.png'), fullPage: true });
    // A reason is required; then confirmed, and shown once folded.
    await page.click('[data-testid=confirm]');
    assert.equal(await page.textContent('[data-testid=decision-status]'), 'Motif : champ obligatoire.');
    await page.fill('#decision-reason', 'Incident non justifié par une pièce.');
    await page.click('[data-testid=confirm]');
    await page.waitForFunction(() => /Confirmation transmise \(événement penalty-confirmed-[0-9a-f]{16}\)/.test(document.querySelector('[data-testid=decision-status]').textContent));
    fold();
    await page.waitForFunction(() => document.querySelector('[data-testid=penalty-state]')?.textContent === 'confirmée', null, { timeout: 60000 });
    assert.match(await page.textContent('[data-testid=trail-decision]'), /Confirmée le .* par fc-pilotes : « Incident non justifié par une pièce. »/);
    assert.equal(await page.locator('[data-testid=decision-form]').count(), 0, 'decided: no form');
    await axeCheck(page, 'penalty confirmed');
    await page.setViewportSize({ width: 375, height: 768 });
    await noPageScroll(page, 'penalty at 375 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'penalty-confirmed-375.png'), fullPage: true });
    await page.setViewportSize({ width: 360, height: 768 });
    await noPageScroll(page, 'penalty at 360 px');
    await context.close();

    // A review (bilan) and the closing of a corrective action from the lot
    // page (decision 0037's endpoints). An operator has no form and the
    // service refuses it; a pilot records both, shown once folded.
    const lotUrl = '/lot/LOT-94?period=2024-Q2';
    ({ context, page } = await open(browser, OPERATOR_TOKEN, lotUrl, 1400));
    assert.equal(await page.locator('#review-form, #close-form').count(), 0, 'operators record no review');
    assert.match(await page.textContent('[data-testid=decisions-pilots-only]'), /réservés aux pilotes/);
    const refused = await page.evaluate(async () => {
      const res = await fetch('/api/v1/lots/LOT-94/reviews', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'X-Requested-With': 'pilotage', 'Content-Type': 'application/json' },
        body: JSON.stringify({ period: '2024-Q2', findings: ['essai'] }),
      });
      return { status: res.status, body: await res.json() };
    });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error.detail, /enregistrer un bilan : réservé aux pilotes/);
    await axeCheck(page, 'lot, operator');
    await context.close();

    ({ context, page } = await open(browser, PILOT_TOKEN, lotUrl, 1400));
    assert.equal(await page.title(), 'Pilotage CEP — Opérateur Corse (LOT-94) — T2 2024');
    assert.equal(await page.locator('[data-testid=no-reviews]').count(), 1);
    await axeCheck(page, 'lot with its forms');
    await page.click('[data-testid=review-submit]');
    assert.equal(await page.textContent('[data-testid=review-status]'), 'Constats ou décisions : écrivez au moins un constat ou une décision.');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'review-findings');
    await page.fill('#review-findings', 'Saisie tardive en mai.\nDélais tenus en juin.');
    await page.fill('#review-decisions', 'Point mensuel avec l\'opérateur.');
    await page.fill('#review-held-on', '2024-07-20');
    await page.click('[data-testid=review-submit]');
    await page.waitForFunction(() => /^Bilan transmis \(événement /.test(document.querySelector('[data-testid=review-status]').textContent));
    assert.equal(await page.evaluate(() => document.activeElement.id), 'review-status', 'focus on the result');
    fold();
    await page.waitForSelector('li[data-review="REV-LOT-94-2024-Q2-2024-07-20"]', { timeout: 60000 });
    assert.equal(await page.textContent('li[data-review="REV-LOT-94-2024-Q2-2024-07-20"]'),
      "Bilan de T2 2024, tenu le 20/07/2024Constats : Saisie tardive en mai. ; Délais tenus en juin.Décisions : Point mensuel avec l'opérateur.");
    await page.waitForFunction(() => document.activeElement?.id === 'reviews-title');

    // ACT-94-2, due 30 September 2024, closed on 15 October: closed late.
    await page.selectOption('#close-action', 'ACT-94-2');
    await page.click('[data-testid=close-submit]');
    assert.equal(await page.textContent('[data-testid=close-status]'), 'Preuve de réalisation : champ obligatoire.');
    await page.fill('#close-evidence', 'Compte rendu du comité du 15 octobre.');
    await page.fill('#close-on', '2024-10-15');
    await page.click('[data-testid=close-submit]');
    await page.waitForFunction(() => /^Clôture transmise \(événement /.test(document.querySelector('[data-testid=close-status]').textContent));
    fold();
    await page.waitForSelector('[data-testid=actions] tr[data-action="ACT-94-2"] td.status-AT_RISK', { timeout: 60000 });
    const closed = (await apiGet('lots/LOT-94/actions', PILOT_TOKEN)).actions.find((a) => a.action_id === 'ACT-94-2');
    assert.equal(closed.state, 'CLOSED_LATE');
    assert.equal(await page.textContent('[data-testid=actions] tr[data-action="ACT-94-2"] td:last-child'), closed.state_label);
    assert.equal(await page.locator('#close-form').count(), 0, 'no action left open');
    await axeCheck(page, 'lot after a review and a closing');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lot-LOT-94-2024-Q2-decisions.png'), fullPage: true });
    await context.close();
  } finally {
    await browser.close();
  }
}

main().then(() => console.log('dashboard e2e: ok')).catch((e) => {
  console.error(`dashboard e2e: FAILED\n${e.stack || e}`);
  process.exit(1);
});
