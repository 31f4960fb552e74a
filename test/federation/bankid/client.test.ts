// BankIdClient against the simulator over real mutual TLS on a free port: the order life cycle
// (complete, userCancel, expiredTransaction, startFailed, cancel, alreadyInProgress), and the client's
// refusals: a server from another CA, a server that never answers, answers that are not BankID's.
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import test from 'ava';
import { ManualClock } from '../../../src/clock.ts';
import { createLogger } from '../../../src/log.ts';
import { BankIdClient, BankIdError, loadPkcs12, type BankIdClientOptions } from '../../../src/federation/bankid/client.ts';
import { userMessage } from '../../../src/federation/bankid/messages.ts';
import { qrContent } from '../../../src/federation/bankid/qr.ts';
import { startBankIdSimulator, type BankIdSimulator } from '../../../src/federation/bankid/simulator/server.ts';
import { anna, bertil, personas, serveRouter, tempCerts } from './fixtures.ts';

type Certs = Awaited<ReturnType<typeof tempCerts>>;

let certs: Certs;
let otherCerts: Certs; // a second, unrelated sandbox PKI
let sim: BankIdSimulator;
let app: { url: string; close: () => Promise<void> };
const clock = new ManualClock(Date.UTC(2026, 0, 15, 9, 0, 0));
const clients: BankIdClient[] = [];

const client = (extra: Partial<BankIdClientOptions> = {}): BankIdClient => {
  const c = new BankIdClient({ ...sim.clientOptions(), timeoutMs: 3000, clock, ...extra });
  clients.push(c);
  return c;
};

/** The tester's side: the simulated BankID app, called over HTTP as the gateway would mount it. */
async function appAct(body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${app.url}/sandbox/bankid/app/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test.before(async () => {
  [certs, otherCerts] = await Promise.all([tempCerts(), tempCerts()]);
  sim = await startBankIdSimulator({ port: 0, certs, personas, clock });
  app = await serveRouter(sim.appRouter());
});

test.after.always(async () => {
  for (const c of clients) c.close();
  await app?.close();
  await sim?.close();
});

test('auth answers with the four v6 fields', async (t) => {
  const order = await client().auth({ endUserIp: '192.0.2.10' });
  t.regex(order.orderRef, /^[0-9a-f-]{36}$/);
  t.regex(order.autoStartToken, /^[0-9a-f-]{36}$/);
  t.regex(order.qrStartToken, /^[0-9a-f-]{36}$/);
  t.regex(order.qrStartSecret, /^[0-9a-f-]{36}$/);
  t.is(new Set(Object.values(order)).size, 4);
});

test('same device: pending/outstandingTransaction, then complete with the persona in completionData', async (t) => {
  const c = client();
  const order = await c.auth({ endUserIp: '127.0.0.1', returnRisk: true });
  const pending = await c.collect(order.orderRef);
  t.deepEqual(pending, { orderRef: order.orderRef, status: 'pending', hintCode: 'outstandingTransaction' });
  t.is(userMessage({ status: pending.status, hintCode: pending.hintCode, qr: false }, 'sv').code, 'RFA13');

  const acted = await appAct({ autoStartToken: order.autoStartToken, personalNumber: anna.personalNumber, outcome: 'complete' });
  t.is(acted.status, 200);
  t.deepEqual(acted.json, { orderRef: order.orderRef, status: 'complete' });

  const done = await c.collect(order.orderRef);
  t.is(done.status, 'complete');
  t.is(done.hintCode, undefined);
  const data = done.completionData!;
  t.deepEqual(data.user, { personalNumber: '198003121236', name: 'Anna Andersson', givenName: 'Anna', surname: 'Andersson' });
  t.is(data.device.ipAddress, '127.0.0.1');
  t.truthy(data.device.uniqueHardwareId);
  t.regex(data.bankIdIssueDate, /^\d{4}-\d{2}-\d{2}$/);
  t.is(data.risk, 'low');
  t.is(data.stepUp, undefined);
  const xml = Buffer.from(data.signature, 'base64').toString('utf8');
  t.regex(xml, /^<\?xml[^>]*\?><Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">/);
  t.regex(xml, /SANDBOX/);
  t.false(xml.includes(anna.personalNumber), 'the signature blob carries no personal number');
  const ocsp = Buffer.from(data.ocspResponse, 'base64');
  t.is(ocsp[0], 0x30, 'the OCSP response is DER (a SEQUENCE)');
});

test('other device: the QR content from qrStartSecret opens the order; userSign, then complete', async (t) => {
  const c = client();
  const order = await c.auth({ endUserIp: '192.0.2.20', requirement: { mrtd: true } });
  const opened = await appAct({ qr: qrContent(order.qrStartToken, order.qrStartSecret, 0), personalNumber: bertil.personalNumber, outcome: 'userSign' });
  t.is(opened.status, 200);
  const signing = await c.collect(order.orderRef);
  t.deepEqual(signing, { orderRef: order.orderRef, status: 'pending', hintCode: 'userSign' });
  t.is(userMessage({ status: 'pending', hintCode: signing.hintCode, qr: true }, 'en').code, 'RFA9');

  const finished = await appAct({ qr: qrContent(order.qrStartToken, order.qrStartSecret, 0), personalNumber: bertil.personalNumber, outcome: 'complete' });
  t.is(finished.status, 200);
  const done = await c.collect(order.orderRef);
  t.is(done.completionData?.user.surname, 'Berg');
  t.deepEqual(done.completionData?.stepUp, { mrtd: true });
});

for (const outcome of ['userCancel', 'expiredTransaction', 'startFailed'] as const) {
  test(`the app's ${outcome} fails the order with that hintCode`, async (t) => {
    const c = client();
    const order = await c.auth({ endUserIp: '192.0.2.30' });
    const acted = await appAct({ autoStartToken: order.autoStartToken, personalNumber: anna.personalNumber, outcome });
    t.is(acted.status, 200);
    const result = await c.collect(order.orderRef);
    t.deepEqual(result, { orderRef: order.orderRef, status: 'failed', hintCode: outcome });
    // A finished order stays finished.
    t.is((await appAct({ autoStartToken: order.autoStartToken, personalNumber: anna.personalNumber, outcome: 'complete' })).status, 409);
  });
}

test('an order nobody opens expires into failed/expiredTransaction after 30 s (moved clock)', async (t) => {
  const ownClock = new ManualClock(Date.UTC(2026, 0, 15, 9, 0, 0));
  const own = await startBankIdSimulator({ port: 0, certs, personas, clock: ownClock });
  t.teardown(() => own.close());
  const c = new BankIdClient({ ...own.clientOptions(), clock: ownClock });
  t.teardown(() => c.close());
  const order = await c.auth({ endUserIp: '192.0.2.40' });
  ownClock.advance(29_000);
  t.is((await c.collect(order.orderRef)).status, 'pending');
  ownClock.advance(1_000);
  const expired = await c.collect(order.orderRef);
  t.deepEqual(expired, { orderRef: order.orderRef, status: 'failed', hintCode: 'expiredTransaction' });
  t.is(userMessage({ status: expired.status, hintCode: expired.hintCode, qr: true }, 'sv').code, 'RFA8');
  t.is(own.orders.pending().length, 0);
});

test('cancel: the order is gone; collect then answers invalidParameters (BankID: "No such order")', async (t) => {
  const c = client();
  const order = await c.auth({ endUserIp: '192.0.2.50' });
  const before = sim.orders.pending().length;
  await c.cancel(order.orderRef);
  t.is(sim.orders.pending().length, before - 1);
  const err = await t.throwsAsync(c.collect(order.orderRef), { instanceOf: BankIdError });
  t.is(err?.errorCode, 'invalidParameters');
  t.is(err?.httpStatus, 400);
  t.is(err?.details, 'No such order');
  // Cancelling twice is the same mistake.
  t.is((await t.throwsAsync(c.cancel(order.orderRef), { instanceOf: BankIdError }))?.errorCode, 'invalidParameters');
});

test('a second order for the same personalNumber: alreadyInProgress, and the first one is cancelled', async (t) => {
  const c = client();
  const helena = personas.citizens.find((p) => p.id === 'helena')!;
  const first = await c.auth({ endUserIp: '192.0.2.60', requirement: { personalNumber: helena.personalNumber } });
  const err = await t.throwsAsync(c.auth({ endUserIp: '192.0.2.60', requirement: { personalNumber: helena.personalNumber } }), { instanceOf: BankIdError });
  t.is(err?.errorCode, 'alreadyInProgress');
  t.is(err?.httpStatus, 400);
  t.is(userMessage({ status: 'failed', errorCode: err?.errorCode }, 'sv').code, 'RFA4');
  t.deepEqual(await c.collect(first.orderRef), { orderRef: first.orderRef, status: 'failed', hintCode: 'cancelled' });
});

test('the app refuses a persona other than the one the order requires', async (t) => {
  const c = client();
  const gustav = personas.citizens.find((p) => p.id === 'gustav')!;
  const order = await c.auth({ endUserIp: '192.0.2.61', requirement: { personalNumber: gustav.personalNumber } });
  const acted = await appAct({ autoStartToken: order.autoStartToken, personalNumber: anna.personalNumber, outcome: 'complete' });
  t.is(acted.status, 409);
  t.is(acted.json.type, 'urn:gateway:problem:persona_mismatch');
  t.is((await c.collect(order.orderRef)).status, 'pending');
});

test('collect of an orderRef that never existed: invalidParameters', async (t) => {
  const err = await t.throwsAsync(client().collect('00000000-0000-4000-8000-000000000000'), { instanceOf: BankIdError });
  t.is(err?.errorCode, 'invalidParameters');
});

test('the client refuses a server whose certificate is not from the pinned CA, before sending anything', async (t) => {
  // Pinned: the other sandbox's server CA. The simulator's certificate does not chain to it.
  const c = client({ caPem: readFileSync(otherCerts.bankid.serverCaCert, 'utf8') });
  const err = await t.throwsAsync(c.auth({ endUserIp: '192.0.2.70' }), { instanceOf: BankIdError });
  t.is(err?.errorCode, 'network');
  t.regex(String((err?.cause as NodeJS.ErrnoException | undefined)?.code), /CERT|SIGNATURE|VERIFY/);
  t.is(sim.orders.pending().filter((o) => o.endUserIp === '192.0.2.70').length, 0, 'no order was created');
  // The same client with the right pin gets through, so the refusal was the pin's doing.
  const pinned = client();
  t.truthy((await pinned.auth({ endUserIp: '192.0.2.70' })).orderRef);
  t.is(sim.orders.pending().filter((o) => o.endUserIp === '192.0.2.70').length, 1);
});

test('a server that accepts the connection and never answers: BankIdError timeout within timeoutMs', async (t) => {
  // TLS completes (same sandbox CA as the simulator), then silence.
  const sockets = new Set<Socket>();
  const silent = createTlsServer({ key: readFileSync(certs.bankid.serverKey), cert: readFileSync(certs.bankid.serverCert) }, () => {});
  silent.on('connection', (s: Socket) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const { port } = silent.address() as AddressInfo;
  const c = new BankIdClient({ ...sim.clientOptions(), baseUrl: `https://127.0.0.1:${port}/rp/v6.0`, timeoutMs: 300 });
  t.teardown(() => c.close());

  const started = performance.now();
  const err = await t.throwsAsync(c.collect('00000000-0000-4000-8000-000000000000'), { instanceOf: BankIdError });
  const elapsed = performance.now() - started;
  t.is(err?.errorCode, 'timeout');
  t.log(`timed out after ${Math.round(elapsed)} ms (timeoutMs 300)`);
  t.true(elapsed >= 290 && elapsed < 1500, `${elapsed} ms`);
});

test('answers that are not BankID’s become badResponse', async (t) => {
  const answers: Array<{ status: number; body: string }> = [
    { status: 200, body: 'not json' },
    { status: 200, body: JSON.stringify({ orderRef: 'x' }) },
    // A "complete" without completionData, and a personal number of the wrong shape.
    { status: 200, body: JSON.stringify({ orderRef: 'o1', status: 'complete' }) },
    { status: 200, body: JSON.stringify({ orderRef: 'o1', status: 'complete', completionData: { user: { personalNumber: '123', name: 'A B', givenName: 'A', surname: 'B' }, device: { ipAddress: '1.2.3.4' }, bankIdIssueDate: '2020-01-01', signature: 's', ocspResponse: 'o' } }) },
    // Someone else's order.
    { status: 200, body: JSON.stringify({ orderRef: 'other', status: 'pending', hintCode: 'userSign' }) },
    { status: 502, body: '<html>bad gateway</html>' },
  ];
  let next = 0;
  const fake = createHttpsServer({ key: readFileSync(certs.bankid.serverKey), cert: readFileSync(certs.bankid.serverCert) }, (req, res) => {
    const a = answers[next++]!;
    req.resume();
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { fake.close(() => r()); fake.closeAllConnections(); }));
  const c = new BankIdClient({ ...sim.clientOptions(), baseUrl: `https://127.0.0.1:${(fake.address() as AddressInfo).port}/rp/v6.0`, timeoutMs: 2000 });
  t.teardown(() => c.close());
  for (let i = 0; i < answers.length; i += 1) {
    const err = await t.throwsAsync(c.collect('o1'), { instanceOf: BankIdError }, `answer ${i}`);
    t.is(err?.errorCode, 'badResponse', `answer ${i}`);
  }
});

test('the client never logs personal data, secrets or tokens', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  const c = client({ logger: createLogger({ level: 'debug', destination: sink }) });
  const order = await c.auth({ endUserIp: '192.0.2.80', requirement: { personalNumber: bertil.personalNumber } });
  await c.collect(order.orderRef);
  await appAct({ autoStartToken: order.autoStartToken, personalNumber: bertil.personalNumber, outcome: 'complete' });
  const done = await c.collect(order.orderRef);
  t.is(done.completionData?.user.personalNumber, bertil.personalNumber);
  await t.throwsAsync(c.collect('unknown-order'));

  const log = lines.join('');
  t.true(lines.length >= 4, 'calls are logged');
  for (const secret of [bertil.personalNumber, bertil.givenName, bertil.surname, order.qrStartSecret, order.autoStartToken, order.qrStartToken, done.completionData!.signature.slice(0, 20)]) {
    t.false(log.includes(secret), `log contains ${secret.slice(0, 4)}…`);
  }
});

test('the constructor refuses plain http and a wrong passphrase without echoing it', (t) => {
  t.throws(() => new BankIdClient({ ...sim.clientOptions(), baseUrl: 'http://127.0.0.1:1/rp/v6.0' }), { message: /https/ });
  const err = t.throws(() => new BankIdClient({ ...sim.clientOptions(), passphrase: 'hunter2-secret' }));
  t.false(err?.message.includes('hunter2-secret'));
});

// OpenSSL 3's defaults (PBES2/AES-256, SHA-256 MAC) are what a relying party gets when it converts its
// own certificate; forge must read those as well as the legacy files BankID hands out.
const openssl = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));
(openssl ? test : test.skip)('a PKCS#12 made by OpenSSL 3 with its defaults works too', async (t) => {
  const out = join(certs.dir, 'openssl-rp.p12');
  const keyFile = join(certs.dir, 'openssl-rp.key');
  writeFileSync(keyFile, loadPkcs12(readFileSync(certs.bankid.rpP12), certs.passphrase).keyPem, { mode: 0o600 });
  execFileSync(openssl!, ['pkcs12', '-export', '-inkey', keyFile, '-in', certs.bankid.rpCert, '-certfile', certs.bankid.rpCaCert, '-out', out, '-passout', 'pass:qwerty123'], { stdio: 'ignore' });
  const c = client({ pfx: readFileSync(out) });
  const order = await c.auth({ endUserIp: '192.0.2.90' });
  t.is((await c.collect(order.orderRef)).status, 'pending');
});
