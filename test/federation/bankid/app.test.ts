// The simulated BankID app (/sandbox/bankid/app): the page, and /complete's refusals as RFC 9457
// problems — bad QR HMAC, stale QR, unknown persona, unknown token — plus the form path for people.
import test from 'ava';
import { ManualClock } from '../../../src/clock.ts';
import { qrContent } from '../../../src/federation/bankid/qr.ts';
import { bankIdAppRouter } from '../../../src/federation/bankid/simulator/app.ts';
import { OrderBook } from '../../../src/federation/bankid/simulator/orders.ts';
import { anna, personas, serveRouter } from './fixtures.ts';

const clock = new ManualClock(Date.UTC(2026, 0, 15, 9, 0, 0));
const orders = new OrderBook({ clock });
let app: { url: string; close: () => Promise<void> };

test.before(async () => {
  app = await serveRouter(bankIdAppRouter(orders, personas, { qrMaxAgeSeconds: 10 }));
});
test.after.always(async () => app?.close());

async function complete(body: unknown, contentType = 'application/json'): Promise<{ status: number; type: string; json: Record<string, unknown> }> {
  const res = await fetch(`${app.url}/sandbox/bankid/app/complete`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', json };
}

const problemOf = (r: { type: string; json: Record<string, unknown> }): string => {
  if (!r.type.startsWith('application/problem+json')) return `not a problem: ${r.type}`;
  return String(r.json.type).replace('urn:gateway:problem:', '');
};

test('GET renders the app in Swedish by default, with the autostart token filled in and escaped', async (t) => {
  const res = await fetch(`${app.url}/sandbox/bankid/app?autostarttoken=${encodeURIComponent('abc"><script>alert(1)</script>')}`);
  t.is(res.status, 200);
  const page = await res.text();
  t.regex(page, /<html lang="sv"/);
  t.regex(page, /<h1>Simulerad BankID-app<\/h1>/);
  t.false(page.includes('<script>alert(1)</script>'));
  t.true(page.includes('value="abc&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'));
  // Every input has its label, and each persona is offered.
  for (const id of ['autoStartToken', 'qr', 'personalNumber', 'outcome-complete', 'outcome-userCancel', 'outcome-expiredTransaction', 'outcome-startFailed']) {
    t.regex(page, new RegExp(`<label for="${id}"`), id);
  }
  for (const p of [...personas.citizens, ...(personas.staff ?? [])]) t.true(page.includes(`value="${p.personalNumber}"`), p.personalNumber);
  t.regex(page, /<form method="post" action="\/sandbox\/bankid\/app\/complete"/);
});

test('?lang=en switches to English', async (t) => {
  const page = await (await fetch(`${app.url}/sandbox/bankid/app?lang=en`)).text();
  t.regex(page, /<html lang="en"/);
  t.regex(page, /Simulated BankID app/);
});

test('QR content with a forged HMAC: 400 qr_signature_invalid, and the order stays untouched', async (t) => {
  const order = orders.create({ endUserIp: '127.0.0.1' });
  const forged = qrContent(order.qrStartToken, 'not-the-secret', 0);
  const r = await complete({ qr: forged, personalNumber: anna.personalNumber, outcome: 'complete' });
  t.is(r.status, 400);
  t.is(problemOf(r), 'qr_signature_invalid');
  t.is(orders.get(order.orderRef)?.hintCode, 'outstandingTransaction');
});

test('stale QR content (seconds far behind the order age): 400 qr_stale; a current code works', async (t) => {
  const own = new ManualClock(Date.UTC(2026, 0, 15, 9, 0, 0));
  const book = new OrderBook({ clock: own });
  const server = await serveRouter(bankIdAppRouter(book, personas, { qrMaxAgeSeconds: 10 }));
  t.teardown(() => server.close());
  const order = book.create({ endUserIp: '127.0.0.1' });
  const first = qrContent(order.qrStartToken, order.qrStartSecret, 0);
  own.advance(15_000);
  const post = (qr: string) =>
    fetch(`${server.url}/sandbox/bankid/app/complete`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ qr, personalNumber: anna.personalNumber, outcome: 'complete' }) });
  const stale = await post(first);
  t.is(stale.status, 400);
  t.is(stale.headers.get('content-type'), 'application/problem+json');
  t.is(((await stale.json()) as { type: string }).type, 'urn:gateway:problem:qr_stale');
  // A code from the future is not current either.
  const future = await post(qrContent(order.qrStartToken, order.qrStartSecret, 40));
  t.is(future.status, 400);
  const current = await post(qrContent(order.qrStartToken, order.qrStartSecret, 15));
  t.is(current.status, 200);
  t.is(book.get(order.orderRef)?.status, 'complete');
});

test('an unknown persona: 422 unknown_persona', async (t) => {
  const order = orders.create({ endUserIp: '127.0.0.1' });
  const r = await complete({ autoStartToken: order.autoStartToken, personalNumber: '190001019876', outcome: 'complete' });
  t.is(r.status, 422);
  t.is(problemOf(r), 'unknown_persona');
  t.is(orders.get(order.orderRef)?.status, 'pending');
});

test('an unknown autostart token or qrStartToken: 404 order_not_found', async (t) => {
  const byToken = await complete({ autoStartToken: '3f0c6b1e-0000-4000-8000-000000000000', personalNumber: anna.personalNumber, outcome: 'complete' });
  t.is(byToken.status, 404);
  t.is(problemOf(byToken), 'order_not_found');
  const byQr = await complete({ qr: qrContent('3f0c6b1e-0000-4000-8000-000000000000', 'x', 0), personalNumber: anna.personalNumber, outcome: 'complete' });
  t.is(byQr.status, 404);
  t.is(problemOf(byQr), 'order_not_found');
});

test('malformed QR content, both or neither reference, bad types, bad JSON, huge and foreign bodies: 4xx problems', async (t) => {
  const order = orders.create({ endUserIp: '127.0.0.1' });
  const cases: Array<[unknown, string, number, string]> = [
    [{ qr: 'bankid.nope', personalNumber: anna.personalNumber, outcome: 'complete' }, 'application/json', 400, 'qr_malformed'],
    [{ qr: qrContent(order.qrStartToken, order.qrStartSecret, 0), autoStartToken: order.autoStartToken, personalNumber: anna.personalNumber, outcome: 'complete' }, 'application/json', 400, 'order_reference_required'],
    [{ personalNumber: anna.personalNumber, outcome: 'complete' }, 'application/json', 400, 'order_reference_required'],
    [{ qr: 5, personalNumber: [], outcome: {} }, 'application/json', 400, 'invalid_request'],
    [{ autoStartToken: order.autoStartToken, personalNumber: anna.personalNumber, outcome: 'hack' }, 'application/json', 400, 'invalid_request'],
    ['{"qr":', 'application/json', 400, 'malformed_body'],
    [JSON.stringify({ qr: 'x'.repeat(500_000) }), 'application/json', 413, 'body_too_large'],
    ['qr=x', 'text/plain', 415, 'unsupported_media_type'],
  ];
  for (const [body, type, status, problem] of cases) {
    const r = await complete(body, type);
    t.is(r.status, status, problem);
    t.is(problemOf(r), problem);
  }
  t.is(orders.get(order.orderRef)?.status, 'pending');
});

test('an order that already finished: 409 order_not_pending', async (t) => {
  const order = orders.create({ endUserIp: '127.0.0.1' });
  t.is((await complete({ autoStartToken: order.autoStartToken, personalNumber: anna.personalNumber, outcome: 'userCancel' })).status, 200);
  const again = await complete({ autoStartToken: order.autoStartToken, personalNumber: anna.personalNumber, outcome: 'complete' });
  t.is(again.status, 409);
  t.is(problemOf(again), 'order_not_pending');
  t.is(orders.get(order.orderRef)?.hintCode, 'userCancel');
});

test('the form post completes the order and answers with an HTML result page', async (t) => {
  const order = orders.create({ endUserIp: '127.0.0.1' });
  const form = new URLSearchParams({ lang: 'en', autoStartToken: order.autoStartToken, qr: '', personalNumber: anna.personalNumber, outcome: 'complete' });
  const res = await fetch(`${app.url}/sandbox/bankid/app/complete`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /text\/html/);
  const page = await res.text();
  t.regex(page, /<html lang="en"/);
  t.regex(page, /<code>complete<\/code>/);
  t.is(orders.get(order.orderRef)?.completion?.user.givenName, 'Anna');
});

test('a form post with a problem shows the form again with the reason, with the 4xx status', async (t) => {
  const form = new URLSearchParams({ lang: 'sv', autoStartToken: 'no-such-token', qr: '', personalNumber: anna.personalNumber, outcome: 'complete' });
  const res = await fetch(`${app.url}/sandbox/bankid/app/complete`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  t.is(res.status, 404);
  const page = await res.text();
  t.regex(page, /role="alert"/);
  // In words, in the form's language, with the problem type small for support; never the API's English detail.
  t.regex(page, /Ordern finns inte längre/);
  t.regex(page, /\(order_not_found\)/);
  t.notRegex(page, /No order has this autostart token/);
  t.true(page.includes('value="no-such-token"'), 'what the tester typed is kept');
});
