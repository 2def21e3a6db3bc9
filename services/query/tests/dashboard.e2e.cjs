// The dashboard in Debian's headless Chromium, driven by playwright-core
// (no browser download). Run by query_browser_test.cc, which started the
// broker, projector and query service with the may-every-kpi and
// closing-late scenarios. Exits non-zero with a message on the first
// mismatch; screenshots go to $SCREENSHOTS.
//
// Env: BASE_URL, PILOT_TOKEN, OPERATOR_TOKEN (holds LOT-94 only),
//      CHROMIUM (executable), SCREENSHOTS (directory).
const { chromium } = require('playwright-core');
const assert = require('node:assert/strict');
const path = require('node:path');

const { BASE_URL, PILOT_TOKEN, OPERATOR_TOKEN, CHROMIUM, SCREENSHOTS } = process.env;
// Formatting expected on screen, written independently of the app's code.
const euros = (cents) => new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
const count = (n) => new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 }).format(n);
const percent = (s) => new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 }).format(s);
// A count as an integer; a share as a percentage, or "—" when measured on nobody.
function shown(k) {
  if (k.formula === 'NEW_BENEFICIARIES' || k.id === 'new_beneficiaries') return count(k.value);
  return k.sample === 0 ? '—' : percent(k.value);
}

async function apiGet(p, token) {
  const res = await fetch(`${BASE_URL}/api/v1/${p}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `GET ${p}`);
  return res.json();
}

// Opens `url` in a fresh browser and logs in with `token` through the form.
// The page must run under its Content-Security-Policy without a violation,
// and no script may then read a credential (HttpOnly session cookie).
async function open(browser, token, url) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw new Error(`page error on ${url}: ${e.message}`); });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) throw new Error(`CSP violation on ${url}: ${m.text()}`);
  });
  const answer = await page.goto(`${BASE_URL}${url}`);
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
    // National page, May 2024: lots x KPIs equal the API's.
    const lots = await apiGet('lots?period=2024-05', PILOT_TOKEN);
    const national = await apiGet('national?period=2024-05', PILOT_TOKEN);
    let { context, page } = await open(browser, PILOT_TOKEN, '/national?period=2024-05');
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
    assert.equal(await page.locator('[data-testid=funnel-table] tr').first().locator('td').nth(1).textContent(), count(lot.funnel.requests));
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
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lot-LOT-94-2024-Q2.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lot-LOT-94-2024-Q2-print.png'), fullPage: true });
    await context.close();

    // Data quality, January 2024 (closing-late).
    const quality = await apiGet('quality?period=2024-01', PILOT_TOKEN);
    ({ context, page } = await open(browser, PILOT_TOKEN, '/quality?period=2024-01'));
    assert.equal(await page.textContent('[data-testid=quality-late]'), count(quality.totals.late_events));
    assert.equal(await page.textContent('[data-testid=quality-dead-letters]'), count(quality.dead_letters));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'quality-2024-01.png'), fullPage: true });
    await context.close();

    // An operator holding LOT-94: its lot opens, another lot does not.
    ({ context, page } = await open(browser, OPERATOR_TOKEN, '/lot/LOT-11?period=2024-05'));
    assert.equal(await page.getAttribute('[data-testid=error]', 'data-status'), '403');
    assert.equal(await page.locator('[data-testid=lot-kpis]').count(), 0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'operator-forbidden-LOT-11.png'), fullPage: true });
    await page.goto(`${BASE_URL}/national?period=2024-05`);
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.locator('[data-testid=lots-table] tr[data-lot]').count(), 1);
    assert.equal(await page.locator('[data-testid=lots-table] tr[data-lot="LOT-94"]').count(), 1);
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
    await context.close();
  } finally {
    await browser.close();
  }
}

main().then(() => console.log('dashboard e2e: ok')).catch((e) => {
  console.error(`dashboard e2e: FAILED\n${e.stack || e}`);
  process.exit(1);
});
