// Breach containment tells the controller exactly whose data was released (issue 13, item 5): after a
// trip for repeated wrong-citizen requests, the webhook and the report name the citizens the decision
// audit shows permitted in the window (records still queued in the stream included), as pseudonyms;
// the webhook is a JWT signed with the gateway's keys that a receiver verifies against /jwks, retried
// with back-off until the receiver takes it; a body changed on the way fails verification.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { SignJWT, createLocalJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { CONTAINMENT_EVENT_TYP } from '../../src/scopes/containmentWebhook.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import type { TestClient } from '../helpers/gateway.ts';
import { TestRegistry, citizens, clientCredentialsToken, clientFor, decide, memoryDb, productFor, startPdpGateway } from './pdpFixture.ts';

const THRESHOLD = 3;
let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let gw: Gateway;
let hooks: Server;
/** What each receiver path got: the raw bodies and content types. */
const received = new Map<string, Array<{ body: string; type: string | undefined }>>();
let flakyFailures = 0;
const logLines: string[] = [];
const clients: Record<string, TestClient> = {};
const registry = new TestRegistry(snapshot());
const people = citizens(8, 800);
const [alice, bertil, ...strangers] = people as [string, string, ...string[]];

test.before(async () => {
  redis = await redisForTests();
  db = await memoryDb();
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const path = req.url ?? '';
      received.set(path, [...(received.get(path) ?? []), { body, type: req.headers['content-type'] }]);
      // The flaky receiver is down for its first two calls.
      if (path === '/flaky' && flakyFailures < 2) {
        flakyFailures += 1;
        res.writeHead(503).end();
        return;
      }
      res.writeHead(path === '/gone' ? 410 : 204).end();
    });
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;

  for (const name of ['one', 'none', 'flaky', 'gone']) clients[name] = await clientFor(`cr-${name}`, ['client_credentials']);
  const cohort = (id: string) => ({ limits: { citizens: { mode: 'cohort' as const, cohortId: id } } });
  registry.current = snapshot({
    controllers: [
      controller('region-a', ['bookings'], { webhookUrl: `${base}/ok` }),
      controller('kommun-b', ['bookings'], { webhookUrl: `${base}/flaky` }),
      controller('kommun-c', ['bookings'], { webhookUrl: `${base}/gone` }),
    ],
    products: ['one', 'none', 'flaky', 'gone'].map((n) => productFor(clients[n]!, `p-${n}`)),
    approvals: [
      approval('a-one', 'region-a', 'p-one', cohort('c-a')),
      approval('a-none', 'region-a', 'p-none', cohort('c-a')),
      approval('a-flaky', 'kommun-b', 'p-flaky', cohort('c-b')),
      approval('a-gone', 'kommun-c', 'p-gone', cohort('c-c')),
    ],
  });
  const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
  gw = await startPdpGateway(registry, db, redis.url, {
    logger: createLogger({ level: 'debug', destination: sink }),
    overrides: {
      pdp: {
        containment: { suspiciousDenials: THRESHOLD, webhookAttempts: 4, webhookBackoffMs: 1 },
        // The drain timer stays out of the way: what the product obtained is still queued at the trip.
        audit: { drainIntervalMs: 60_000 },
      },
    },
  });
  const now = new Date().toISOString();
  for (const [id, at] of [['c-a', 'region-a'], ['c-b', 'kommun-b'], ['c-c', 'kommun-c']] as const) {
    await db.query('INSERT INTO cohorts (id, controller_id, name, members, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
      [id, at, id, JSON.stringify([alice, bertil].map((c) => gw.pdp!.accounts.accountIdFor(c))), now]);
  }
  gw.registry!.invalidate();
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
  await redis?.stop();
  hooks?.close();
});

const jwks = async () => createLocalJWKSet(await (await fetch(`${gw.url}/jwks`)).json() as JSONWebKeySet);

/** Verifies a webhook body as a controller would: the gateway's /jwks, its issuer, our controller id, the typ. */
async function verify(token: string, controllerId: string): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(token, await jwks(), { issuer: gw.url, audience: controllerId, typ: CONTAINMENT_EVENT_TYP });
  if (protectedHeader.typ !== CONTAINMENT_EVENT_TYP) throw new Error('typ');
  return payload;
}

/** Wrong-citizen requests (outside the controller's cohort) until containment trips; answers the suspension. */
async function tripWithStrangers(client: TestClient, productId: string, controllerId: string) {
  const holder = await clientCredentialsToken(gw, client);
  for (const c of strangers.slice(0, THRESHOLD)) {
    expectCohortRefusal(await decide(gw, holder, { controller: controllerId, dataset: 'bookings', citizen: c, action: 'read' }));
  }
  const suspension = (await gw.pdp!.containment.inForce()).find((s) => s.productId === productId && s.controllerId === controllerId);
  if (!suspension) throw new Error(`no suspension of ${productId} at ${controllerId}`);
  return { suspension, holder };
}
function expectCohortRefusal(a: { body: Record<string, unknown> }) {
  if (JSON.stringify(a.body.reasons) !== '["citizen_not_in_cohort"]') throw new Error(`unexpected answer ${JSON.stringify(a.body)}`);
}

/** The pseudonyms the decision audit table shows permitted to the product at the controller (after a drain). */
async function permittedInAudit(productId: string, controllerId: string): Promise<string[]> {
  await gw.pdp!.audit.drain();
  return (await db.query<{ citizen: string }>(`SELECT DISTINCT citizen FROM decision_audit
    WHERE product_id = $1 AND controller_id = $2 AND decision = 'permit' ORDER BY citizen`, [productId, controllerId])).rows.map((r) => r.citizen);
}

test.serial('one citizen\'s data released, then wrong-citizen requests trip containment: webhook and report say exactly that citizen, signed, verifiable with /jwks', async (t) => {
  const holder = await clientCredentialsToken(gw, clients.one!);
  t.like((await decide(gw, holder, { controller: 'region-a', dataset: 'bookings', citizen: alice, action: 'read' })).body, { decision: 'permit' });
  t.true(await gw.pdp!.audit.pending() > 0, 'the permit is still queued in the stream, not yet in PostgreSQL');
  const { suspension } = await tripWithStrangers(clients.one!, 'p-one', 'region-a');
  t.like(await gw.pdp!.containment.delivery(suspension.id), { delivered: true, attempt: 1, status: 204 });

  const [call] = received.get('/ok') ?? [];
  t.is(call?.type, 'application/jwt');
  const claims = await verify(call?.body ?? '', 'region-a');
  const pseudonym = gw.pdp!.accounts.accountIdFor(alice);
  t.like(claims, { event: 'product_suspended', suspensionId: suspension.id, productId: 'p-one', controllerId: 'region-a', reason: 'suspicious_denials', citizensInWindow: 1, citizens: [pseudonym] });
  t.truthy(claims.jti);
  t.truthy(decodeProtectedHeader(call?.body ?? '').kid, 'the key is named, so a receiver picks it from /jwks');

  // The same, from the report, and from the decision audit rows themselves.
  const report = await gw.pdp!.containment.report(suspension.id);
  t.deepEqual(report?.citizens, [pseudonym]);
  t.deepEqual(await permittedInAudit('p-one', 'region-a'), [pseudonym], 'the audit table agrees');
  t.deepEqual(claims.citizens, report?.citizens);

  // Pseudonyms only, anywhere: not in the webhook, not in the log (where not even the pseudonym goes).
  const logs = logLines.join('');
  for (const c of people) {
    t.false(call?.body.includes(c) || JSON.stringify(claims).includes(c), 'no personnummer in the webhook');
    t.false(logs.includes(c), 'no personnummer in the log');
  }
  t.false(logs.includes(pseudonym), 'the log counts citizens, it does not list them');
  t.true(logs.includes('containment webhook delivered'));
});

test.serial('no citizen\'s data released before the trip: the webhook and the report say 0', async (t) => {
  const { suspension } = await tripWithStrangers(clients.none!, 'p-none', 'region-a');
  await gw.pdp!.containment.delivery(suspension.id);
  const bodies = (received.get('/ok') ?? []).map((r) => r.body);
  const mine = await Promise.all(bodies.map((b) => verify(b, 'region-a')));
  t.like(mine.find((c) => c.suspensionId === suspension.id), { citizensInWindow: 0, citizens: [] });
  t.deepEqual((await gw.pdp!.containment.report(suspension.id))?.citizens, []);
  t.deepEqual(await permittedInAudit('p-none', 'region-a'), []);
});

test.serial('a tampered body, a token for another controller, or a foreign key fail verification', async (t) => {
  const [call] = received.get('/ok') ?? [];
  const token = call?.body ?? '';
  const [h, p, s] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...claims, citizensInWindow: 0, citizens: [] })).toString('base64url');
  await t.throwsAsync(verify(`${h}.${forged}.${s}`, 'region-a'), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  await t.throwsAsync(verify(token, 'kommun-b'), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  const flipped = `${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
  await t.throwsAsync(verify(`${h}.${p}.${flipped}`, 'region-a'));
  // Someone else's key under the gateway's kid: the signature does not verify against /jwks.
  const other = await generateKeyPair('ES256');
  const impostor = await new SignJWT(claims).setProtectedHeader(decodeProtectedHeader(token) as { alg: string }).sign(other.privateKey);
  await t.throwsAsync(verify(impostor, 'region-a'), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  t.truthy(await verify(token, 'region-a'), 'the untouched one verifies');
});

test.serial('a receiver failing twice gets the event on the third attempt; every attempt is recorded without personal data', async (t) => {
  const holder = await clientCredentialsToken(gw, clients.flaky!);
  t.like((await decide(gw, holder, { controller: 'kommun-b', dataset: 'bookings', citizen: bertil, action: 'read' })).body, { decision: 'permit' });
  const { suspension } = await tripWithStrangers(clients.flaky!, 'p-flaky', 'kommun-b');
  t.like(await gw.pdp!.containment.delivery(suspension.id), { delivered: true, attempt: 3, status: 204, final: true });
  const calls = received.get('/flaky') ?? [];
  t.is(calls.length, 3);
  t.is(new Set(calls.map((c) => c.body)).size, 1, 'each attempt sends the same signed event (one jti to dedupe on)');
  t.like(await verify(calls[2]?.body ?? '', 'kommun-b'), { citizensInWindow: 1, citizens: [gw.pdp!.accounts.accountIdFor(bertil)] });
  const events = (await gw.pdp!.containment.report(suspension.id))?.events.filter((e) => e.kind === 'webhook').map((e) => e.detail);
  t.deepEqual(events, [
    { attempt: 1, status: 503, delivered: false, final: false, citizensInWindow: 1 },
    { attempt: 2, status: 503, delivered: false, final: false, citizensInWindow: 1 },
    { attempt: 3, status: 204, delivered: true, final: true, citizensInWindow: 1 },
  ]);
  t.false(JSON.stringify(events).includes(gw.pdp!.accounts.accountIdFor(bertil)));
});

test.serial('a receiver that refuses for good (410) is not retried; the refusal is recorded', async (t) => {
  const { suspension } = await tripWithStrangers(clients.gone!, 'p-gone', 'kommun-c');
  t.like(await gw.pdp!.containment.delivery(suspension.id), { delivered: false, attempt: 1, status: 410, final: true });
  t.is((received.get('/gone') ?? []).length, 1);
  t.true(logLines.join('').includes('containment webhook gave up'));
});
