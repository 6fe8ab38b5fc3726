// End-to-end test of the supervisors' dashboard (`/dash`) in headless Chromium.
//
// Why: the dashboard is plain server-rendered HTML forms (no script), so the Rust tests cover
// its handlers, but only a real browser shows that the pieces work together as a supervisor
// uses them: the sign-in form and its cookies, CSRF tokens carried by every form, the 303
// redirects after each action, the stylesheet under the page's strict CSP (print CSS included),
// and the inline SVG charts.
//
// What: signs in as the demo supervisor, then drives each page the way a person would (fills
// forms, clicks buttons) and checks every effect through the JSON API (`/v1/review/*`), fetched
// with the same browser context and therefore the same session cookie. Screenshots go to
// $ARTIFACTS (target/web/). Each check prints `ok - NAME` or `not ok - NAME: REASON`; run.sh
// counts those lines and prints the `N passed, N failed` summary. Exit status 1 on any failure.
//
// Run through run.sh, which builds and starts a demo hub and sets:
//   HUB_URL       base URL of the hub (plain HTTP on 127.0.0.1)
//   WORKER_TOKEN  bearer token of a worker device (`abha-hub token --role worker`)
//   CHROMIUM      path of the Chromium executable
//   ARTIFACTS     directory for screenshots
// The hub's ABDM connection points at a closed loopback port, so the demo's ABHA requests fail
// with network errors and wait in `retry_later:abdm.network`: stable data to act on.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, request as apiRequest } from 'playwright-core';

const BASE = process.env.HUB_URL;
const WORKER_TOKEN = process.env.WORKER_TOKEN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.ARTIFACTS || path.resolve('target/web');
const SUPERVISOR = { username: 'supervisor', password: 'supervisor-demo' };
const NOTE = 'E2E: please check the birth date with the family';

if (!BASE || !WORKER_TOKEN) {
  console.log('not ok - setup: HUB_URL and WORKER_TOKEN must be set (run tests/web/run.sh)');
  process.exit(1);
}
mkdirSync(ARTIFACTS, { recursive: true });

let passed = 0;
let failed = 0;

/** Runs one check; a thrown error (or a failed expectation) makes it `not ok`. */
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    const reason = String(e && e.message ? e.message : e).split('\n')[0].slice(0, 300);
    console.log(`not ok - ${name}: ${reason}`);
  }
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `fn` until it returns a truthy value, or throws `message` after `ms`. */
async function eventually(fn, ms, message) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(message);
    await sleep(250);
  }
}

/** Clicks a submit button and waits for the page the form's POST (and its 303) lands on. */
async function submit(page, button) {
  const landed = page.waitForEvent('framenavigated', {
    predicate: (f) => f === page.mainFrame(),
  });
  await button.click();
  await landed;
  await page.waitForLoadState('load');
}

/** GET of a JSON API route with the browser context's cookies (the dashboard session). */
async function api(ctx, route) {
  const r = await ctx.request.get(route, { maxRedirects: 0 });
  expect(r.status() === 200, `GET ${route} answered ${r.status()}: ${(await r.text()).slice(0, 120)}`);
  return r.json();
}

function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** The pending requests of every `retry_later:*` group, as the API lists them. */
async function retryLater(ctx) {
  const p = await api(ctx, '/v1/review/pending');
  return p.groups.filter((g) => g.reason.startsWith('retry_later:')).flatMap((g) => g.items);
}

async function findPending(ctx, enrollmentId) {
  const p = await api(ctx, '/v1/review/pending');
  for (const g of p.groups) {
    const it = g.items.find((i) => i.enrollment_id === enrollmentId);
    if (it) return { group: g.reason, item: it };
  }
  return null;
}

async function auditEntries(ctx, action, subject) {
  const entries = await api(ctx, '/v1/review/audit');
  return entries.filter((e) => e.action === action && (subject === undefined || e.subject === subject));
}

let browser;
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root in a sandboxed machine with no internet: no setuid sandbox, and no background
    // connections to Google's hosts (refused here, slowing every start).
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
} catch (e) {
  console.log(`not ok - launch headless Chromium (${CHROMIUM}): ${String(e.message).split('\n')[0]}`);
  process.exit(1);
}

const ctx = await browser.newContext({ baseURL: BASE, viewport: { width: 1400, height: 900 } });
const page = await ctx.newPage();
page.setDefaultTimeout(20_000);
// The pages carry no script and a strict CSP: a CSP violation, a stylesheet that fails to load
// or any other failed load of a page shows here. Expected refusals are left out: the 401 page of
// the deliberate wrong password, and /favicon.ico, which the hub does not serve (Chromium asks
// for it by itself).
const pageProblems = [];
const expectedStatus = (r) =>
  (r.status() === 401 && r.request().method() === 'POST' && new URL(r.url()).pathname === '/dash/login') ||
  (r.status() === 404 && new URL(r.url()).pathname === '/favicon.ico');
page.on('response', (r) => {
  if (r.status() >= 400 && !expectedStatus(r)) pageProblems.push(`${r.status()} ${r.request().method()} ${r.url()}`);
});
page.on('requestfailed', (r) => pageProblems.push(`failed ${r.url()}: ${r.failure()?.errorText}`));
page.on('console', (m) => {
  // Chromium logs every 4xx load as a console error; those are judged by status above.
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource:')) pageProblems.push(m.text());
});

// Shared between checks: ids acted on.
let retriedId = null;
let sessionCookie = null;

// 1. Sign-in: a wrong password is refused with a message and no session.
await check('sign-in with a wrong password is refused with a message', async () => {
  await page.goto('/dash/login');
  expect(pathOf(page) === '/dash/login', `GET /dash/login landed on ${page.url()}`);
  await page.fill('input[name=username]', SUPERVISOR.username);
  await page.fill('input[name=password]', 'not-the-password');
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/dash/login'));
  await submit(page, page.locator('#sign-in'));
  const r = await answer;
  expect(r.status() === 401, `wrong password answered ${r.status()}, expected 401`);
  expect(pathOf(page) === '/dash/login', `wrong password landed on ${page.url()}`);
  const msg = (await page.locator('[data-testid=error]').textContent()) || '';
  expect(/wrong user name or password/i.test(msg), `error message was ${JSON.stringify(msg)}`);
  const cookies = await ctx.cookies();
  expect(!cookies.some((c) => c.name === 'abha_session'), 'a session cookie was set after a wrong password');
});

// 1b. ... and the right password lands on a dashboard page with a session.
await check('sign-in as supervisor lands on the dashboard', async () => {
  await page.fill('input[name=username]', SUPERVISOR.username);
  await page.fill('input[name=password]', SUPERVISOR.password);
  await submit(page, page.locator('#sign-in'));
  expect(pathOf(page) === '/dash/day-end', `signed in, landed on ${page.url()}`);
  const who = (await page.locator('[data-testid=who]').textContent()) || '';
  expect(who.includes('supervisor'), `header shows ${JSON.stringify(who)}, not the supervisor`);
  const s = (await ctx.cookies()).find((c) => c.name === 'abha_session');
  expect(s && s.httpOnly, 'no HttpOnly abha_session cookie after signing in');
  sessionCookie = s.value;
});

// 2. Day-end: a row per demo tablet, a totals row, and the totals are the API's.
await check('day-end lists the demo tablets and its totals match GET /v1/review/day-end', async () => {
  await page.goto('/dash/day-end');
  expect(pathOf(page) === '/dash/day-end', `GET /dash/day-end landed on ${page.url()}`);
  const rows = page.locator('#day-end tbody tr.row');
  const labels = await rows.locator('td:first-child').allTextContents();
  for (const t of ['demo tablet 1', 'demo tablet 2', 'demo tablet 3']) {
    expect(labels.includes(t), `no row for "${t}" (rows: ${JSON.stringify([...new Set(labels)])})`);
  }
  const date = await page.locator('input[name=date]').inputValue();
  expect(/^\d{4}-\d{2}-\d{2}$/.test(date), `date field holds ${JSON.stringify(date)}`);
  const d = await api(ctx, `/v1/review/day-end?date=${date}`);
  expect(d.date === date, `API day-end is of ${d.date}, the page of ${date}`);
  expect((await rows.count()) === d.rows.length, `page has ${await rows.count()} rows, API ${d.rows.length}`);
  // The numeric cells of the totals row, in column order (last sync and ages are text).
  const cols = ['households', 'members', 'requests', 'abha_created', 'abha_pending', 'needs_correction',
    'failed', 'duplicates_flagged', 'synced_changes', 'pending_changes'];
  const totals = page.locator('#day-end tfoot tr[data-testid=totals]');
  expect((await totals.count()) === 1, 'no totals row');
  const shown = (await totals.locator('td.n').allTextContents()).map((s) => Number(s.trim()));
  expect(shown.length === cols.length, `totals row has ${shown.length} numeric cells, expected ${cols.length}`);
  const diffs = cols.filter((c, i) => shown[i] !== d.totals[c]).map((c) => `${c}: page ${shown[cols.indexOf(c)]} api ${d.totals[c]}`);
  expect(diffs.length === 0, `totals differ: ${diffs.join(', ')}`);
  expect(d.totals.households > 0 && d.totals.members > 0, 'the demo camp captured nothing today');
  // Per-record columns add up over the rows (device columns are counted once per device).
  for (const [i, c] of [[0, 'households'], [1, 'members'], [2, 'requests']]) {
    const cells = await rows.evaluateAll((trs, k) => trs.map((tr) => Number(tr.querySelectorAll('td.n')[k].textContent)), i);
    const sum = cells.reduce((a, b) => a + b, 0);
    expect(sum === shown[i], `${c}: rows add up to ${sum}, total shows ${shown[i]}`);
  }
  await page.screenshot({ path: path.join(ARTIFACTS, 'day-end.png'), fullPage: true });
});

// 2b. Day-end prints for the camp file: the print stylesheet hides navigation and forms.
await check('day-end print stylesheet hides navigation and forms, keeps the table', async () => {
  await page.emulateMedia({ media: 'print' });
  try {
    const hasPrintRule = await page.evaluate(() =>
      [...document.styleSheets].some((s) => [...s.cssRules].some((r) => r.media && [...r.media].includes('print'))));
    expect(hasPrintRule, 'no @media print rule in the page stylesheets');
    expect(!(await page.locator('header.top').isVisible()), 'header and navigation still shown in print');
    expect(!(await page.locator('form.filters').isVisible()), 'filter form still shown in print');
    expect(!(await page.locator('#csv').isVisible()), '"Download CSV" link still shown in print');
    expect(await page.locator('#day-end').isVisible(), 'day-end table hidden in print');
    await page.screenshot({ path: path.join(ARTIFACTS, 'day-end-print.png'), fullPage: true });
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
  expect(await page.locator('header.top').isVisible(), 'header hidden on screen after print emulation');
});

// 3. Pending: Retry on a request ABDM could not be reached for; the audit log records it.
await check('pending: Retry on a retry_later request is audited as enrollment.retry', async () => {
  // The bridge fails every request at once (ABDM is a closed port); wait until it has.
  const waiting = await eventually(async () => {
    const items = await retryLater(ctx);
    return items.length >= 2 ? items : null;
  }, 90_000, 'no two requests reached a retry_later group within 90 s');
  await page.goto('/dash/pending');
  const row = page.locator('section.group[data-reason^="retry_later:"] tr.item').first();
  const id = await row.getAttribute('data-enrollment');
  expect(id && waiting.some((i) => i.enrollment_id === id), `row ${id} is not a retry_later request of the API`);
  const before = (await findPending(ctx, id)).item.attempts;
  await submit(page, row.locator('button[data-testid=retry]'));
  expect(pathOf(page) === '/dash/pending', `after Retry landed on ${page.url()}`);
  const done = await page.locator('[data-testid=done]').getAttribute('data-code').catch(() => null);
  const err = await page.locator('[data-testid=error]').getAttribute('data-code', { timeout: 100 }).catch(() => null);
  expect(done === 'retried', `no "retried" message after Retry (error: ${err})`);
  const audit = await auditEntries(ctx, 'enrollment.retry', id);
  expect(audit.length === 1, `${audit.length} enrollment.retry audit entries for ${id}, expected 1`);
  expect(audit[0].actor === SUPERVISOR.username, `retry audited as ${audit[0].actor}`);
  // The bridge was woken and tried again: still pending (ABDM is unreachable), one more try.
  await eventually(async () => {
    const p = await findPending(ctx, id);
    return p && p.item.attempts > before;
  }, 20_000, `the bridge did not try ${id} again (attempts stayed ${before})`);
  retriedId = id;
});

// 4. Pending: Send back with a note; the decision is stored and shown.
await check('pending: Send back with a note stores the decision', async () => {
  await page.goto('/dash/pending');
  const rows = page.locator('section.group[data-reason^="retry_later:"] tr.item');
  let row = null;
  for (let i = 0; i < Math.min(await rows.count(), 10); i += 1) {
    if ((await rows.nth(i).getAttribute('data-enrollment')) !== retriedId) {
      row = rows.nth(i);
      break;
    }
  }
  expect(row, 'no second retry_later request to send back');
  const id = await row.getAttribute('data-enrollment');
  await row.locator('form.send-back textarea[name=note]').fill(NOTE);
  await submit(page, row.locator('form.send-back button[type=submit]'));
  const done = await page.locator('[data-testid=done]').getAttribute('data-code').catch(() => null);
  expect(done === 'sent_back', `no "sent back" message (got ${done})`);
  const { reviews } = await api(ctx, `/v1/review/reviews/${id}`);
  const r = reviews.find((x) => x.action === 'send_back');
  expect(r, `no send_back decision for ${id}: ${JSON.stringify(reviews).slice(0, 200)}`);
  expect(r.note === NOTE, `decision note is ${JSON.stringify(r.note)}`);
  expect(r.decided_by === SUPERVISOR.username, `decided by ${r.decided_by}`);
  const p = await findPending(ctx, id);
  expect(p && p.group.startsWith('needs_correction:'), `request is in group ${p && p.group}, not needs_correction`);
  expect(p.item.note === NOTE, `pending list shows note ${JSON.stringify(p.item.note)}`);
  const shown = (await page.locator(`tr.item[data-enrollment="${id}"]`).textContent()) || '';
  expect(shown.includes(NOTE), 'the page does not show the note sent');
  const audit = await auditEntries(ctx, 'enrollment.send_back', id);
  expect(audit.length === 1, `${audit.length} enrollment.send_back audit entries`);
});

// 5. Duplicates: merge the demo's deliberate pair; it leaves the list and is audited.
await check('duplicates: Merge removes the pair and is audited', async () => {
  const pairs = await api(ctx, '/v1/review/duplicates');
  expect(pairs.length > 0, 'the API lists no suspected duplicates');
  // The person recorded on tablet 1 and again on tablet 2 (another household, same mobile).
  const pair = pairs.find((p) => p.a.household_id !== p.b.household_id && p.reasons.includes('same_mobile')) || pairs[0];
  const [keep, merged] = [pair.a.member_id, pair.b.member_id];
  await page.goto('/dash/duplicates');
  const title = (await page.locator('h1').textContent()) || '';
  expect(title.endsWith(`· ${pairs.length}`), `title ${JSON.stringify(title)} does not count ${pairs.length} pairs`);
  const card = page.locator(`div.pair[data-a="${keep}"][data-b="${merged}"]`);
  expect((await card.count()) === 1, `pair ${keep}/${merged} not on the page`);
  await submit(page, card.locator('button[data-testid=merge-keep-a]'));
  const done = await page.locator('[data-testid=done]').getAttribute('data-code').catch(() => null);
  expect(done === 'merged', `no "merged" message (got ${done})`);
  expect((await page.locator(`div.pair[data-b="${merged}"], div.pair[data-a="${merged}"]`).count()) === 0,
    'the merged record is still on the page');
  const after = await api(ctx, '/v1/review/duplicates');
  const still = after.filter((p) => [p.a.member_id, p.b.member_id].includes(merged));
  expect(still.length === 0, 'GET /v1/review/duplicates still lists the merged record');
  expect(after.length === pairs.length - 1, `${after.length} pairs left, expected ${pairs.length - 1}`);
  const audit = await auditEntries(ctx, 'member.merge', merged);
  expect(audit.length === 1 && audit[0].detail && audit[0].detail.kept === keep,
    `member.merge audit entry missing or wrong: ${JSON.stringify(audit).slice(0, 200)}`);
  const { reviews } = await api(ctx, `/v1/review/reviews/${merged}`);
  expect(reviews.some((r) => r.action === 'merge'), 'no merge decision stored for the merged record');
});

// 6. Coverage: inline SVG chart and the enrolment funnel.
await check('coverage shows an inline SVG chart and the funnel', async () => {
  await page.goto('/dash/coverage');
  expect(pathOf(page) === '/dash/coverage', `GET /dash/coverage landed on ${page.url()}`);
  const chart = page.locator('#coverage-chart > svg');
  const funnel = page.locator('#funnel-chart > svg');
  expect((await chart.count()) === 1 && (await chart.isVisible()), 'no visible inline <svg> coverage chart');
  expect((await funnel.count()) === 1 && (await funnel.isVisible()), 'no visible inline <svg> funnel chart');
  const box = await chart.boundingBox();
  expect(box && box.width > 100 && box.height > 20, `coverage chart is ${JSON.stringify(box)}`);
  const funnelTitle = (await funnel.locator(':scope > title').textContent()) || '';
  expect(/funnel/i.test(funnelTitle), `funnel chart's title is ${JSON.stringify(funnelTitle)}`);
  expect((await funnel.locator('rect').count()) > 1, 'funnel chart has no bars');
  const cov = await api(ctx, '/v1/review/coverage');
  const villages = await page.locator('#coverage tbody tr').count();
  expect(villages === cov.villages.length && villages > 0, `page lists ${villages} villages, API ${cov.villages.length}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'coverage.png'), fullPage: true });
});

// 7a. A worker's bearer token opens no dashboard page.
await check("authorization: a worker's bearer token gets 403 on /dash/day-end", async () => {
  const anon = await apiRequest.newContext({ baseURL: BASE });
  try {
    const auth = { Authorization: `Bearer ${WORKER_TOKEN}` };
    const r = await anon.get('/dash/day-end', { headers: auth, maxRedirects: 0 });
    expect(r.status() === 403, `worker token on /dash/day-end: ${r.status()}`);
    const a = await anon.get('/v1/review/day-end', { headers: auth, maxRedirects: 0 });
    expect(a.status() === 403, `worker token on /v1/review/day-end: ${a.status()}`);
  } finally {
    await anon.dispose();
  }
});

// 7b. A dashboard action without the session's CSRF token is refused.
await check('authorization: a dashboard POST without the CSRF token is 403', async () => {
  const id = retriedId || (await retryLater(ctx))[0]?.enrollment_id;
  expect(id, 'no request to try the action on');
  const before = (await auditEntries(ctx, 'enrollment.retry', id)).length;
  const noToken = await ctx.request.post(`/dash/pending/${id}/retry`, { form: { back: '/dash/pending' }, maxRedirects: 0 });
  expect(noToken.status() === 403, `form POST without csrf: ${noToken.status()}`);
  const wrong = await ctx.request.post(`/dash/pending/${id}/retry`, {
    form: { csrf: '0'.repeat(48), back: '/dash/pending' }, maxRedirects: 0,
  });
  expect(wrong.status() === 403, `form POST with a wrong csrf: ${wrong.status()}`);
  const apiPost = await ctx.request.post(`/v1/review/enrollments/${id}/retry`, { maxRedirects: 0 });
  expect(apiPost.status() === 403, `API POST with the session but no X-CSRF-Token: ${apiPost.status()}`);
  const code = (await noToken.json().catch(() => ({}))).code;
  expect(code === 'csrf.missing', `refusal code ${code}`);
  const after = (await auditEntries(ctx, 'enrollment.retry', id)).length;
  expect(after === before, 'a refused POST was carried out (new audit entry)');
});

// 7c. Sign out ends the session: pages go back to the sign-in form.
await check('authorization: after sign-out /dash/day-end redirects to /dash/login', async () => {
  await page.goto('/dash/day-end');
  await submit(page, page.locator('form[action="/dash/logout"] button[type=submit]'));
  expect(pathOf(page) === '/dash/login', `sign-out landed on ${page.url()}`);
  const r = await ctx.request.get('/dash/day-end', { maxRedirects: 0 });
  expect([302, 303, 307].includes(r.status()) && r.headers().location === '/dash/login',
    `/dash/day-end after sign-out: ${r.status()} ${r.headers().location}`);
  await page.goto('/dash/day-end');
  expect(pathOf(page) === '/dash/login', `browser on /dash/day-end after sign-out landed on ${page.url()}`);
  // The old session token is dead at the hub, not only deleted from the browser.
  const replay = await apiRequest.newContext({ baseURL: BASE, extraHTTPHeaders: { Cookie: `abha_session=${sessionCookie}` } });
  try {
    const old = await replay.get('/dash/day-end', { maxRedirects: 0 });
    expect(old.status() !== 200 && old.headers().location === '/dash/login',
      `the signed-out session still opens /dash/day-end (${old.status()})`);
    const oldApi = await replay.get('/v1/review/day-end', { maxRedirects: 0 });
    expect(oldApi.status() === 401, `the signed-out session on /v1/review/day-end: ${oldApi.status()}`);
  } finally {
    await replay.dispose();
  }
});

await check('no console errors or failed loads in the pages (CSP, stylesheet)', async () => {
  expect(pageProblems.length === 0, pageProblems.slice(0, 3).join(' | '));
});

await browser.close();
console.log(`# ${passed} passed, ${failed} failed (dashboard.mjs)`);
process.exit(failed === 0 ? 0 : 1);
