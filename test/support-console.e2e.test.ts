// The support console in a real browser (Debian's chromium, headless, driven by
// playwright-core) against the real API, Temporal and database: a support agent signs in,
// finds a store's orders and the one needing attention, opens it, reads its timeline, ledger
// and cancellation quote, refunds part of it once even on a double click, and still sees the
// refund after a reload. `UPDATE_SCREENSHOTS=1` rewrites docs/support-console.png.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import request from 'supertest';
import { sampleTeleconsultationOrder } from '../dev/sample-orders';
import { eventually, useHarness, TOKENS } from './support/harness';
import { groceryOrder, hotelOrder, placeOrder, waitForStatus } from './support/orders';
import { support } from './support/staff';

const teleconsultationBody = (providerId: string, slotStart: Date) =>
  sampleTeleconsultationOrder(providerId, { slotStart });

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.resolve(__dirname, '..', 'docs', 'support-console.png');

const harness = useHarness({
  env: { DELIVERY_OVERDUE_GRACE_SECONDS: '1', REFUND_APPROVAL_THRESHOLD: '3000' },
});
let browser: Browser;

beforeAll(async () => {
  // Deliveries are overdue one second after their window: the attention list fills quickly.
  // Support refunds above ¥30.00 wait for an admin.
  // No sandbox: the tests run as root in a container, where chromium's sandbox cannot start.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox'],
  });
});

afterAll(async () => {
  await browser?.close();
});

/** A fresh tab (its own sessionStorage) that records script errors and CSP violations. */
async function openConsole(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${harness.apiUrl}/support/`);
  return { page, problems };
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The page's panel titled `title`. */
const panel = (page: Page, title: string): Locator =>
  page.locator('section.panel', { has: page.getByRole('heading', { name: title, exact: true }) });

/** Each body row of a table as its cells' text. */
async function rowsOf(table: Locator): Promise<string[][]> {
  const rows = await table.locator('tbody tr').all();
  return Promise.all(rows.map((row) => row.locator('td').allTextContents()));
}

/** Waits until the result rows show exactly `orderIds` (in any order). */
async function resultsShow(page: Page, orderIds: string[]): Promise<string[][]> {
  const wanted = [...orderIds].sort().join(' ');
  return eventually(
    async () => {
      const rows = await rowsOf(page.locator('.results table'));
      const shown = rows.map((cells) => cells[0] ?? '').sort();
      return shown.join(' ') === wanted ? rows : undefined;
    },
    10_000,
    `the results to be ${wanted}`,
  );
}

test('the console is served alone: strict CSP, no listing, /support redirects', async () => {
  const api = request(harness.apiUrl);
  const page = await api.get('/support/');
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toMatch(/^text\/html/);
  expect(page.headers['content-security-policy']).toBe(
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
      "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  );
  expect(page.headers).toMatchObject({
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
  const script = await api.get('/support/app.js');
  expect(script.status).toBe(200);
  expect(script.headers['content-type']).toMatch(/^(text|application)\/javascript/);

  const bare = await api.get('/support');
  expect(bare.status).toBe(301);
  expect(bare.headers.location).toBe('/support/');
  // Unknown files are the API's JSON 404; nothing outside the folder is reachable.
  for (const missing of [
    '/support/nope.js',
    '/support/../package.json',
    '/support/%2e%2e/app.ts',
  ]) {
    const response = await api.get(missing);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('route_not_found');
  }
});

test('a wrong token, or a token without a support role, gets a clear sign-in error', async () => {
  const { page, problems } = await openConsole();
  const error = page.locator('#signin-error');

  await signIn(page, 'not-a-real-token-0000');
  await error.filter({ hasText: 'Sign-in failed' }).waitFor();
  expect(await error.textContent()).toBe('Sign-in failed: this token is not valid.');

  await signIn(page, TOKENS.app);
  await error.filter({ hasText: 'support or admin role' }).waitFor();
  expect(await page.evaluate('sessionStorage.length')).toBe(0);
  // The 401 and 403 answers are logged by the browser; nothing else went wrong.
  expect(problems.filter((p) => !/status of 40[13]/.test(p))).toEqual([]);
  await page.context().close();
});

test('support finds an order, reads its timeline and ledger, and refunds part of it once', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery' });
  const otherStore = await harness.registerProvider({ vertical: 'grocery' });

  // The confirmed order's delivery window ends at once, so it soon needs attention.
  const overdue = groceryOrder(store.providerId);
  overdue.grocery.deliveryWindow = {
    start: new Date().toISOString(),
    end: new Date(Date.now() + 1_000).toISOString(),
  };
  const [confirmed, waiting, elsewhere] = await Promise.all([
    placeOrder(harness.apiUrl, overdue),
    placeOrder(harness.apiUrl, groceryOrder(store.providerId)),
    placeOrder(harness.apiUrl, groceryOrder(otherStore.providerId)),
  ]);
  for (const checkout of [confirmed, waiting, elsewhere]) expect(checkout.status).toBe(201);
  const orderId: string = confirmed.body.orderId;
  const waitingId: string = waiting.body.orderId;
  expect((await store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  await eventually(
    async () => (await support(harness.apiUrl).order(orderId)).body.order.attention,
    15_000,
    'the overdue delivery to need attention',
  );
  // The search reads the listing, which follows a change within about a second
  // (LISTING_WRITE_WINDOW_MS); the console searches once per click.
  await eventually(
    async () => (await harness.database.models.Order.findById(orderId).lean())?.attention,
    10_000,
    'the listing to show the attention',
  );

  const { page, problems } = await openConsole();
  await signIn(page, TOKENS.support);
  await resultsShow(page, [orderId, waitingId, elsewhere.body.orderId]);

  // Search by provider: both of the store's orders, not the other store's.
  await page.getByLabel('Provider id').fill(store.providerId);
  await page.getByRole('button', { name: 'Search' }).click();
  const rows = await resultsShow(page, [orderId, waitingId]);
  const byId = Object.fromEntries(rows.map((cells) => [cells[0], cells]));
  expect(byId[orderId]).toEqual(
    expect.arrayContaining(['dispatching', 'grocery', store.providerId, '¥41.48']),
  );
  expect(byId[waitingId]).toEqual(expect.arrayContaining(['awaiting confirmation', '¥41.48']));

  // The attention list: only the overdue order, with why.
  await page.getByLabel('Needs attention').check();
  await page.getByRole('button', { name: 'Search' }).click();
  const attention = await resultsShow(page, [orderId]);
  expect(attention[0]?.at(-1)).toContain('delivery overdue');
  expect(page.url()).toContain(`providerId=${store.providerId}`);

  // The order page: summary, attention banner, timeline, ledger, callbacks, quote.
  await page.getByRole('link', { name: orderId }).click();
  await page.locator('h1', { hasText: orderId }).waitFor();
  expect(page.url()).toMatch(new RegExp(`#/orders/${orderId}$`));
  expect(await page.locator('.banner.attention').textContent()).toContain('Needs attention');
  const timeline = page.locator('ol.timeline');
  await timeline.waitFor();
  expect(await timeline.locator('[data-kind="payment_authorised"] .title').textContent()).toBe(
    'payment authorised ¥41.48',
  );
  const captured = timeline.locator('[data-kind="captured"]');
  expect(await captured.locator('.title').textContent()).toBe('¥41.48 captured');
  expect(await captured.locator('.badge').textContent()).toBe('system');
  // Details open on demand, amounts in money rather than minor units.
  await captured.getByText('Details').click();
  expect(await captured.locator('dl.details').textContent()).toContain('¥41.48');
  expect(await captured.locator('dl.details').isVisible()).toBe(true);

  expect(
    (await rowsOf(panel(page, 'Ledger').locator('table'))).map((cells) => cells.slice(1, 3)),
  ).toEqual([
    ['authorisation', '¥41.48'],
    ['capture', '¥41.48'],
  ]);
  const [callback] = await rowsOf(panel(page, 'Provider callbacks').locator('table'));
  expect(callback).toEqual(expect.arrayContaining(['confirmation', 'accepted', '200']));
  const quote = await panel(page, 'Cancellation quote').textContent();
  expect(quote).toContain('Provider keeps¥0.00');
  expect(quote).toContain('Refunded¥41.48');

  // A partial refund: amount typed in yuan, confirmed, double-clicked, shown, paid once.
  await page.getByRole('button', { name: 'Refund…' }).click();
  const dialog = page.locator('dialog[open]');
  await dialog.getByLabel('Amount (CNY)').fill('12.99');
  await dialog.getByLabel('Reason').selectOption('item_missing');
  await dialog.getByLabel('Note for the record (optional)').fill('no milk in the bag');
  await dialog.getByRole('button', { name: 'Review…' }).click();
  expect(await dialog.locator('.question').textContent()).toBe(
    'Refund ¥12.99 to the customer for item_missing?',
  );
  const refundCalls: string[] = [];
  page.on('request', (sent) => {
    if (sent.method() === 'POST' && sent.url().endsWith('/refunds')) {
      refundCalls.push(sent.headers()['idempotency-key'] ?? '');
    }
  });
  await dialog.getByRole('button', { name: 'Refund', exact: true }).dblclick();
  const result = dialog.locator('.result');
  await result.waitFor({ timeout: 15_000 });
  expect(await result.textContent()).toBe('Refunded ¥12.99 to the customer.');

  // One request, with an Idempotency-Key, and one refund in the gateway's books.
  expect(refundCalls).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  const refunds = (await harness.ledgerOf(orderId)).filter(([type]) => type === 'refund');
  expect(refunds).toEqual([['refund', 1299]]);

  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.reload();
  await page.locator('h1', { hasText: orderId }).waitFor();
  const ledger = await rowsOf(panel(page, 'Ledger').locator('table'));
  expect(ledger.map((cells) => cells.slice(1, 4))).toEqual([
    ['authorisation', '¥41.48', ''],
    ['capture', '¥41.48', ''],
    ['refund', '¥12.99', 'item missing'],
  ]);
  const audit = await rowsOf(panel(page, 'Audit').locator('table'));
  expect(audit.map((cells) => cells.slice(1, 5))).toEqual([
    ['refund.requested', 'support (support)', 'item missing', '201'],
  ]);
  expect(await page.locator('.amounts').textContent()).toContain('Refunded¥12.99');
  await timeline.locator('[data-kind="refunded"]').waitFor();
  expect(await timeline.locator('[data-kind="refunded"] .title').textContent()).toContain(
    '¥12.99 refunded',
  );

  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await page.locator('[data-kind="refunded"] summary').click();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }

  // Signing out forgets the token.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Token').waitFor();
  expect(await page.evaluate('sessionStorage.length')).toBe(0);
  expect(problems).toEqual([]);
  await page.context().close();
});

test("a stay's times and its free cancellation are shown in the hotel's zone, a consultation's slot in the clinic's", async () => {
  const hotel = await harness.registerProvider({
    vertical: 'hotel',
    timeZone: 'Asia/Shanghai',
    checkInTime: '15:30',
  });
  const checkIn = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  const stay = await placeOrder(
    harness.apiUrl,
    hotelOrder(hotel.providerId, { checkIn, nights: 2 }),
  );
  const orderId: string = stay.body.orderId;
  await hotel.client.confirm(orderId, { decision: 'accept', confirmationCode: 'HTL-CONSOLE' });
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  const clinic = await harness.registerProvider({
    vertical: 'teleconsultation',
    timeZone: 'Europe/Berlin',
  });
  const slotStart = new Date(Date.now() + 3 * 3_600_000);
  const consultation = await placeOrder(harness.apiUrl, {
    ...teleconsultationBody(clinic.providerId, slotStart),
  });
  expect(consultation.status).toBe(201);

  const { page, problems } = await openConsole();
  await page.goto(`${harness.apiUrl}/support/#/orders/${orderId}`);
  await signIn(page, TOKENS.support);
  await page.locator('h1', { hasText: orderId }).waitFor();
  const what = await page
    .locator('dt', { hasText: /^What$/ })
    .locator('xpath=following-sibling::dd[1]')
    .textContent();
  // 15:30 in Shanghai whatever the browser's own zone (the tests run on UTC, 8 hours behind).
  expect(what).toMatch(/check-in .*15:30 GMT\+8 → check-out .*12:00 GMT\+8 \(Asia\/Shanghai\)/);
  const quote = await panel(page, 'Cancellation quote').textContent();
  expect(quote).toMatch(/Free until.*15:30 GMT\+8 \(Asia\/Shanghai\)/);

  await page.goto(`${harness.apiUrl}/support/#/orders/${consultation.body.orderId}`);
  await page.locator('h1', { hasText: consultation.body.orderId }).waitFor();
  const berlinSlot = new Intl.DateTimeFormat('en-US', {
    timeZone: 'Europe/Berlin',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(slotStart);
  const slot = await page
    .locator('dt', { hasText: /^What$/ })
    .locator('xpath=following-sibling::dd[1]')
    .textContent();
  expect(slot).toContain(`${berlinSlot} GMT+`);
  expect(slot).toContain('(Europe/Berlin)');
  expect(problems).toEqual([]);
});

test('support sees a refund waiting for approval; an admin opens the order by its link and approves it', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery' });
  const checkout = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
  const orderId: string = checkout.body.orderId;
  await store.client.confirm(orderId, { decision: 'accept' });
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  const asked = await support(harness.apiUrl).refund(orderId, { amount: 3500, reason: 'goodwill' });
  expect(asked.status).toBe(202);

  const { page, problems } = await openConsole();
  await page.goto(`${harness.apiUrl}/support/#/orders/${orderId}`);
  // Support sees the refund waiting, and no decision it could not make.
  await signIn(page, TOKENS.support);
  const refunds = panel(page, 'Refunds');
  await refunds.getByText('pending approval').waitFor();
  await refunds.getByText('needs an admin to approve or decline it').waitFor();
  expect(await refunds.getByRole('button', { name: /Approve|Decline/ }).count()).toBe(0);
  await page.getByRole('button', { name: 'Sign out' }).click();

  await page.goto(`${harness.apiUrl}/support/#/orders/${orderId}`);
  await signIn(page, TOKENS.admin);
  await refunds.getByRole('button', { name: 'Approve' }).waitFor();
  expect(await refunds.getByText('needs an admin').count()).toBe(0);
  expect((await rowsOf(refunds.locator('table')))[0]).toEqual(
    expect.arrayContaining(['¥35.00', 'goodwill', 'support', 'pending approval']),
  );

  await refunds.getByRole('button', { name: 'Approve' }).click();
  const dialog = page.locator('dialog[open]');
  await dialog.getByLabel('Note (optional)').fill('long-standing customer');
  await dialog.getByRole('button', { name: 'Review…' }).click();
  expect(await dialog.locator('.question').textContent()).toBe(
    'Approve the refund of ¥35.00 for goodwill requested by support?',
  );
  await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
  const result = dialog.locator('.result');
  await result.waitFor({ timeout: 15_000 });
  expect(await result.textContent()).toBe('Refunded ¥35.00 to the customer.');
  expect((await harness.ledgerOf(orderId)).filter(([type]) => type === 'refund')).toEqual([
    ['refund', 3500],
  ]);

  // Closing the dialog redraws the page: the refund is paid, nothing is left to approve.
  await dialog.getByRole('button', { name: 'Close' }).click();
  await refunds.getByText('refunded', { exact: true }).waitFor();
  expect(await refunds.getByRole('button', { name: 'Approve' }).count()).toBe(0);
  expect(problems).toEqual([]);
  await page.context().close();
});

test('a re-routed order shows the providers offered it before, and why it moved on', async () => {
  const fallback = await harness.registerProvider({ vertical: 'grocery' });
  const store = await harness.registerProvider({
    vertical: 'grocery',
    fallbackProviderIds: [fallback.providerId],
  });
  const checkout = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
  const orderId: string = checkout.body.orderId;
  expect((await store.client.confirm(orderId, { decision: 'reject' })).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'awaiting_confirmation', 15_000, {
    until: (order) => order.providerId === fallback.providerId,
  });

  const { page, problems } = await openConsole();
  await page.goto(`${harness.apiUrl}/support/#/orders/${orderId}`);
  await signIn(page, TOKENS.support);
  await page.locator('h1', { hasText: orderId }).waitFor();
  const fact = (name: string) =>
    page
      .locator('dt', { hasText: new RegExp(`^${name}$`) })
      .locator('xpath=following-sibling::dd[1]');
  expect(await fact('Provider').textContent()).toBe(fallback.providerId);
  expect(await fact('Offered before').textContent()).toContain(`${store.providerId} (rejected`);
  const timeline = await eventually(
    async () => {
      const text = (await page.locator('ol.timeline').textContent()) ?? '';
      return text.includes('order offered to fallback') ? text : undefined;
    },
    10_000,
    'the re-route in the timeline',
  );
  expect(timeline).toContain(`order offered to fallback store ${fallback.providerId}`);
  expect(problems).toEqual([]);
});

test("the order page shows what the app's endpoints were told, and how each delivery stands", async () => {
  // One endpoint takes every event, one is dead (nothing listens on its port).
  const live = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => live.listen(0, '127.0.0.1', resolve));
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const register = async (url: string): Promise<string> => {
    const answer = await request(harness.apiUrl)
      .post('/v1/admin/app-endpoints')
      .set('Authorization', `Bearer ${TOKENS.admin}`)
      .send({ url });
    expect(answer.status).toBe(201);
    return answer.body.endpointId;
  };
  const liveId = await register(`http://127.0.0.1:${(live.address() as AddressInfo).port}/`);
  const deadId = await register(`http://127.0.0.1:${deadPort}/`);
  try {
    const store = await harness.registerProvider({ vertical: 'grocery' });
    const checkout = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
    const orderId: string = checkout.body.orderId;
    expect((await store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');
    await eventually(
      async () => {
        const { body } = await support(harness.apiUrl).order(orderId);
        const live = body.appEvents.filter(
          (d: { endpointId: string; status: string }) =>
            d.endpointId === liveId && d.status === 'delivered',
        );
        return live.length === 3;
      },
      15_000,
      'three events delivered to the live endpoint',
    );

    const { page, problems } = await openConsole();
    await page.goto(`${harness.apiUrl}/support/#/orders/${orderId}`);
    await signIn(page, TOKENS.support);
    const events = panel(page, 'App events');
    await events.locator('table').waitFor();
    const rows = await rowsOf(events.locator('table'));
    const of = (endpointId: string) => rows.filter((cells) => cells.includes(endpointId));
    // awaiting_confirmation, confirmed, dispatching: to each endpoint.
    expect(of(liveId).map((cells) => [cells[1], cells[4], cells[6]])).toEqual([
      ['order.status_changed', 'delivered', 'HTTP 204'],
      ['order.status_changed', 'delivered', 'HTTP 204'],
      ['order.status_changed', 'delivered', 'HTTP 204'],
    ]);
    expect(of(deadId)).toHaveLength(3);
    for (const cells of of(deadId)) {
      expect(cells[4]).toBe('pending');
      expect(Number(cells[5])).toBeGreaterThanOrEqual(1);
      expect(cells[6]).toMatch(/ECONNREFUSED|connect/i);
    }
    expect(problems).toEqual([]);
    await page.context().close();
  } finally {
    // Later orders in this file tell no endpoint.
    for (const endpointId of [liveId, deadId])
      await request(harness.apiUrl)
        .delete(`/v1/admin/app-endpoints/${endpointId}`)
        .set('Authorization', `Bearer ${TOKENS.admin}`);
    await new Promise<void>((resolve) => live.close(() => resolve()));
  }
});
