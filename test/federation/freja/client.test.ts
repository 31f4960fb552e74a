// FrejaClient against the simulator over real mutual TLS on a free port: the transaction life cycle
// (STARTED, DELIVERED_TO_MOBILE, APPROVED, REJECTED, CANCELED, EXPIRED, RP_CANCELED), Freja's error
// bodies, and the client's refusals: a server from another CA, a silent server, a result signed by a
// key the gateway was not configured with.
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import test from 'ava';
import { ManualClock } from '../../../src/clock.ts';
import { FrejaClient, FrejaError } from '../../../src/federation/freja/client.ts';
import { signInFrom } from '../../../src/federation/freja/identity.ts';
import { qrContent } from '../../../src/federation/freja/qr.ts';
import { startFrejaSimulator, type FrejaSimulator } from '../../../src/federation/freja/simulator/server.ts';
import { anna, bertil, clientFor, personas, rawCall, serveRouter, signingCertsOf, tempCerts } from './fixtures.ts';

type Certs = Awaited<ReturnType<typeof tempCerts>>;

let certs: Certs;
let otherCerts: Certs;
let sim: FrejaSimulator;
let otherSim: FrejaSimulator;
let app: { url: string; close: () => Promise<void> };
const clock = new ManualClock(Date.now());
const clients: FrejaClient[] = [];

const client = async (extra: Partial<ConstructorParameters<typeof FrejaClient>[0]> = {}): Promise<FrejaClient> => {
  const c = await clientFor(sim, { clock, ...extra });
  clients.push(c);
  return c;
};

/** The tester's side: the simulated Freja app, over HTTP as the gateway mounts it. */
async function appAct(body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${app.url}/sandbox/freja/app/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test.before(async () => {
  [certs, otherCerts] = await Promise.all([tempCerts(), tempCerts()]);
  sim = await startFrejaSimulator({ port: 0, certs, personas, clock });
  otherSim = await startFrejaSimulator({ port: 0, certs: otherCerts, personas, clock });
  app = await serveRouter(sim.appRouter());
});

test.after.always(async () => {
  for (const c of clients) c.close();
  await app?.close();
  await sim?.close();
  await otherSim?.close();
});

test('initAuthentication answers an authRef; the result is STARTED until the app opens it', async (t) => {
  const c = await client();
  const { authRef } = await c.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel: 'EXTENDED' });
  t.regex(authRef, /^[A-Za-z0-9_-]{40,}$/);
  t.deepEqual(await c.getOneResult(authRef), { authRef, status: 'STARTED' });
  const tx = sim.transactions.get(authRef)!;
  t.deepEqual(tx.attributesToReturn, ['BASIC_USER_INFO', 'SSN', 'REGISTRATION_LEVEL'], 'the name, the personnummer and the level are asked for');
  t.is(tx.minRegistrationLevel, 'EXTENDED');
  t.is(tx.userInfoType, 'INFERRED');
});

test('QR scanned and opened: DELIVERED_TO_MOBILE; approved at PLUS: APPROVED with a verified result', async (t) => {
  const c = await client();
  const { authRef } = await c.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel: 'PLUS' });
  const opened = await appAct({ qr: qrContent(authRef), personalNumber: anna.personalNumber, registrationLevel: 'PLUS', outcome: 'open' });
  t.is(opened.status, 200, JSON.stringify(opened.json));
  t.deepEqual(await c.getOneResult(authRef), { authRef, status: 'DELIVERED_TO_MOBILE' });
  const approved = await appAct({ authRef, personalNumber: anna.personalNumber, registrationLevel: 'PLUS', outcome: 'approve' });
  t.is(approved.status, 200);
  const result = await c.getOneResult(authRef);
  t.is(result.status, 'APPROVED');
  t.deepEqual(signInFrom(result.details!), {
    identity: { kind: 'citizen', personalNumber: anna.personalNumber, givenName: anna.givenName, surname: anna.surname },
    registrationLevel: 'PLUS',
  });
});

for (const [outcome, status] of [['reject', 'REJECTED'], ['cancel', 'CANCELED'], ['expire', 'EXPIRED']] as const) {
  test(`the app's ${outcome} ends the transaction ${status}, without details`, async (t) => {
    const c = await client();
    const { authRef } = await c.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel: 'EXTENDED' });
    const acted = await appAct({ authRef, personalNumber: bertil.personalNumber, registrationLevel: 'EXTENDED', outcome });
    t.is(acted.status, 200);
    t.deepEqual(await c.getOneResult(authRef), { authRef, status });
    const again = await appAct({ authRef, personalNumber: bertil.personalNumber, registrationLevel: 'EXTENDED', outcome: 'approve' });
    t.is(again.status, 409, 'a finished transaction cannot be approved afterwards');
  });
}

test.serial('two minutes without an answer: EXPIRED (the simulator runs on the injected clock)', async (t) => {
  const c = await client();
  const { authRef } = await c.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel: 'EXTENDED' });
  clock.advance(119_000);
  t.is((await c.getOneResult(authRef)).status, 'STARTED');
  clock.advance(1_000);
  t.is((await c.getOneResult(authRef)).status, 'EXPIRED');
});

test('cancel: the transaction becomes RP_CANCELED; cancelling again, or an unknown reference, is Freja error 1100', async (t) => {
  const c = await client();
  const { authRef } = await c.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel: 'EXTENDED' });
  await c.cancel(authRef);
  t.is((await c.getOneResult(authRef)).status, 'RP_CANCELED');
  const again = await t.throwsAsync(c.cancel(authRef), { instanceOf: FrejaError });
  t.is(again!.errorCode, '1100');
  t.is(again!.httpStatus, 400);
  const unknown = await t.throwsAsync(c.getOneResult('no-such-reference'), { instanceOf: FrejaError });
  t.is(unknown!.errorCode, '1100');
});

test('a person below minRegistrationLevel cannot approve (as in Freja); SSN transactions only for that person', async (t) => {
  const c = await client();
  const { authRef } = await c.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel: 'PLUS' });
  const low = await appAct({ authRef, personalNumber: anna.personalNumber, registrationLevel: 'EXTENDED', outcome: 'approve' });
  t.is(low.status, 409);
  t.regex(String(low.json.type), /registration_level_too_low/);

  const directed = await c.initAuthentication({ user: { type: 'SSN', ssn: anna.personalNumber }, minRegistrationLevel: 'PLUS' });
  t.is(sim.transactions.get(directed.authRef)!.ssn, anna.personalNumber, 'userInfo carried the personnummer as base64 JSON');
  t.is((await appAct({ authRef: directed.authRef, personalNumber: bertil.personalNumber, registrationLevel: 'PLUS', outcome: 'approve' })).status, 409);
  t.is((await appAct({ authRef: directed.authRef, personalNumber: anna.personalNumber, registrationLevel: 'PLUS', outcome: 'approve' })).status, 200);
  t.is((await c.getOneResult(directed.authRef)).status, 'APPROVED');
});

test('Freja\'s error bodies become FrejaError with the numeric code', async (t) => {
  const c = await client();
  const err = await t.throwsAsync(c.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel: 'EXTENDED', attributesToReturn: ['SHOE_SIZE'] }), { instanceOf: FrejaError });
  t.is(err!.errorCode, '2002');
  const basic = await t.throwsAsync(c.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel: 'BASIC' }), { instanceOf: FrejaError });
  t.is(basic!.errorCode, '1007', 'no personnummer for unverified users');
});

test('the simulator speaks the wire format: form parameter with base64 JSON, client certificate required', async (t) => {
  const ca = readFileSync(certs.freja.serverCaCert, 'utf8');
  const b64 = (v: unknown) => encodeURIComponent(Buffer.from(JSON.stringify(v)).toString('base64'));
  const { keyPem, certChainPem } = (await import('../../../src/federation/pkcs12.ts')).loadRpPkcs12(readFileSync(certs.freja.rpP12), certs.passphrase, 'test');
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const ok = await rawCall(`${sim.url}/authentication/1.0/initAuthentication`, { ca, key: keyPem, cert: certChainPem, headers: form, body: `initAuthRequest=${b64({ userInfoType: 'INFERRED', userInfo: 'N/A', minRegistrationLevel: 'PLUS', attributesToReturn: [{ attribute: 'SSN' }] })}` });
  t.is(ok.status, 200);
  t.truthy((ok.json as { authRef?: string }).authRef);
  const json = await rawCall(`${sim.url}/authentication/1.0/initAuthentication`, { ca, key: keyPem, cert: certChainPem, body: '{}' });
  t.is(json.status, 415);
  t.is(typeof (json.json as { code?: unknown }).code, 'number');
  const bad = await rawCall(`${sim.url}/authentication/1.0/getOneResult`, { ca, key: keyPem, cert: certChainPem, headers: form, body: 'getOneAuthResultRequest=%%%' });
  t.is(bad.status, 400);
  await t.throwsAsync(rawCall(`${sim.url}/authentication/1.0/initAuthentication`, { ca, headers: form, body: 'x' }), undefined, 'no client certificate: the handshake fails');
});

test('a server whose certificate comes from another CA is refused (only the configured CA is trusted)', async (t) => {
  const c = await client({ baseUrl: otherSim.url });
  const err = await t.throwsAsync(c.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel: 'PLUS' }), { instanceOf: FrejaError });
  t.is(err!.errorCode, 'network');
});

test('a result signed by a key the gateway was not configured with is refused (badResult), never approved', async (t) => {
  // The other simulator, reached with its own TLS material, but judged by this sandbox's signing certificate.
  const c = await clientFor(otherSim, { clock, signingCerts: await signingCertsOf(certs) });
  clients.push(c);
  const otherApp = await serveRouter(otherSim.appRouter());
  t.teardown(() => otherApp.close());
  const { authRef } = await c.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel: 'PLUS' });
  const res = await fetch(`${otherApp.url}/sandbox/freja/app/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ authRef, personalNumber: anna.personalNumber, registrationLevel: 'PLUS', outcome: 'approve' }),
  });
  t.is(res.status, 200);
  const err = await t.throwsAsync(c.getOneResult(authRef), { instanceOf: FrejaError });
  t.is(err!.errorCode, 'badResult');
  t.is(err!.details, 'jws_unknown_key');
});

test('a server that accepts the connection and never answers times out at the deadline', async (t) => {
  const sockets: Socket[] = [];
  const silent = createTlsServer({ key: readFileSync(certs.freja.serverKey), cert: readFileSync(certs.freja.serverCert) }, (s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const c = await client({ baseUrl: `https://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 300 });
  const started = Date.now();
  const err = await t.throwsAsync(c.getOneResult('x'), { instanceOf: FrejaError });
  t.is(err!.errorCode, 'timeout');
  t.true(Date.now() - started < 2000);
});

test('the client refuses a plain-http base URL', async (t) => {
  t.throws(() => new FrejaClient({ ...sim.clientOptions(), baseUrl: sim.url.replace('https:', 'http:'), signingCerts: undefined as never }), { message: /https/ });
});
