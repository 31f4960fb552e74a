// The policy decision point end to end (issue 4, "Done when"): real tokens from the gateway's token
// endpoint (a citizen's sign-in through the BankID simulator, or client credentials), DPoP proofs for
// each request, the built-in PEP in front of the sandbox's mock data APIs, Redis counters, the decision
// audit in (PGlite) PostgreSQL, and breach containment with a webhook receiver of the test's own.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { PDP_CHECKS } from '../../src/scopes/pdp.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { discoverRp, pushAuthorization, browserThroughBankId } from '../helpers/signIn.ts';
import type { TestClient } from '../helpers/gateway.ts';
import {
  TestRegistry, citizens, clientCredentialsToken, clientFor, decide, memoryDb, productFor, startPdpGateway, viaPep, type Holder, REDIRECT,
} from './pdpFixture.ts';

const ANNA = '198003121236';
const BERTIL = '197501012343';
const WALK_LIMIT = 5;

let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let gw: Gateway;
let webhook: Server;
const webhookCalls: Array<Record<string, unknown>> = [];
const clients: Record<string, TestClient> = {};
const registry = new TestRegistry(snapshot());
const cohortCitizens = citizens(3, 200);
const walkCitizens = citizens(20, 300);

test.before(async () => {
  redis = await redisForTests();
  db = await memoryDb();
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      // The body is the signed event (application/jwt); test/scopes/containmentReport.test.ts verifies it.
      webhookCalls.push(decodeJwt(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', () => r()));
  const hook = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;

  clients.app = await clientFor('pdp-app', ['authorization_code']);
  clients.nosy = await clientFor('pdp-nosy', ['authorization_code']);
  clients.cohort = await clientFor('pdp-cohort', ['client_credentials']);
  clients.walker = await clientFor('pdp-walker', ['client_credentials']);
  clients.plain = await clientFor('pdp-plain', ['client_credentials']);
  registry.current = snapshot({
    controllers: [
      controller('region-a', ['bookings', 'vaccinations', 'lab-results'], { name: 'Region A', webhookUrl: hook }),
      controller('kommun-b', ['bookings', 'home-care-decisions'], { name: 'Kommun B', webhookUrl: hook }),
    ],
    products: [
      productFor(clients.app, 'p-app'), productFor(clients.nosy, 'p-nosy'), productFor(clients.cohort, 'p-cohort'),
      productFor(clients.walker, 'p-walker'), productFor(clients.plain, 'p-plain'),
    ],
    approvals: [
      approval('a-app', 'region-a', 'p-app', { access: [{ dataset: 'bookings', actions: ['read'] }] }),
      approval('a-nosy', 'region-a', 'p-nosy', { access: [{ dataset: 'bookings', actions: ['read'] }] }),
      approval('a-cohort', 'region-a', 'p-cohort', { access: [{ dataset: 'bookings', actions: ['read'] }], limits: { citizens: { mode: 'cohort', cohortId: 'diabetes-a' } } }),
      approval('a-walker', 'region-a', 'p-walker', {
        access: [{ dataset: 'bookings', actions: ['read'] }],
        limits: { citizens: { mode: 'cohort', cohortId: 'walk-a' }, maxCitizens: { count: WALK_LIMIT, windowSeconds: 3600 } },
      }),
      approval('a-plain', 'region-a', 'p-plain', { access: [{ dataset: 'bookings', actions: ['read'] }] }),
    ],
  });
  gw = await startPdpGateway(registry, db, redis.url, { overrides: { pdp: { containment: { suspiciousDenials: 3 } } } });
  // The controller's cohorts, as its administrators keep them: pseudonyms only.
  const now = new Date().toISOString();
  for (const [id, members] of [['diabetes-a', cohortCitizens.slice(0, 2)], ['walk-a', walkCitizens]] as const) {
    await db.query('INSERT INTO cohorts (id, controller_id, name, members, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
      [id, 'region-a', id, JSON.stringify(members.map((c) => gw.pdp!.accounts.accountIdFor(c))), now]);
  }
  gw.registry!.invalidate();
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
  await redis?.stop();
  webhook?.close();
});

async function signIn(client: TestClient, personalNumber: string): Promise<Holder> {
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp);
  const callback = await browserThroughBankId(gw, auth.url, personalNumber, REDIRECT);
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  return { token: tokens.access_token, keys: rp.dpopKeys };
}

test('the decision is an ordered pipeline of named checks', (t) => {
  t.deepEqual(PDP_CHECKS, ['target_valid', 'token_active_and_bound', 'product_active', 'consent_in_force', 'controller_known', 'approval_live_for_controller',
    'dataset_and_action_covered', 'citizen_allowed', 'representation_holds', 'volume_within_limits', 'audit_queued']);
});

test('a product approved by A for bookings reads the signed-in citizen\'s bookings at A through the PEP, and nothing else', async (t) => {
  const anna = await signIn(clients.app!, ANNA);
  const own = await viaPep(gw, anna, `/data/region-a/bookings?citizen=${ANNA}`);
  t.is(own.status, 200, JSON.stringify(own.body));
  const items = own.body.items as Array<{ controller: { id: string; name: string } }>;
  t.true(items.length > 0);
  t.true(items.every((i) => i.controller.id === 'region-a' && i.controller.name === 'Region A'), 'every item names its controller');
  t.is(own.headers.get('x-controller'), 'region-a');
  t.falsy(own.headers.get('x-citizen-pseudonym'), 'the pseudonym is for the data API, not for the product');

  const denied = async (path: string, status: number, reason: string, signer?: CryptoKeyPair | null) => {
    const res = await viaPep(gw, anna, path, signer === undefined ? anna.keys : signer);
    t.is(res.status, status, `${path}: ${JSON.stringify(res.body)}`);
    t.deepEqual(res.body.reasons, [reason], path);
    t.falsy(res.body.items, 'no data on a deny');
  };
  await denied(`/data/kommun-b/bookings?citizen=${ANNA}`, 403, 'controller_not_approved');
  await denied(`/data/region-a/vaccinations?citizen=${ANNA}`, 403, 'dataset_not_covered');
  await denied(`/data/region-a/bookings?citizen=${BERTIL}`, 403, 'citizen_not_token_subject');
  // The token without its DPoP key: a proof from the attacker's own key, or none at all.
  await denied(`/data/region-a/bookings?citizen=${ANNA}`, 401, 'dpop_key_mismatch', await oidc.randomDPoPKeyPair('ES256'));
  await denied(`/data/region-a/bookings?citizen=${ANNA}`, 401, 'dpop_missing', null);
  // The same answers from the JSON decision API.
  t.is((await decide(gw, anna, { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' })).body.decision, 'permit');
  t.like((await decide(gw, anna, { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'write' })).body, { decision: 'deny', reasons: ['action_not_covered'] });
});

test('bad input is a 4xx deny with a reason, never a 500', async (t) => {
  const plain = await clientCredentialsToken(gw, clients.plain!);
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ controller: 'Region A', dataset: 'bookings', citizen: ANNA, action: 'read' }, 400, 'controller_invalid'],
    [{ controller: 'region-a', dataset: 'bookings', citizen: '198003121235', action: 'read' }, 400, 'citizen_invalid'],
    [{ controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'delete' }, 400, 'action_invalid'],
    [{ controller: 'region-a', dataset: 'x-rays', citizen: ANNA, action: 'read' }, 400, 'dataset_unknown'],
    [{ controller: 'region-z', dataset: 'bookings', citizen: ANNA, action: 'read' }, 400, 'controller_unknown'],
  ];
  for (const [target, status, reason] of cases) {
    const res = await decide(gw, plain, target);
    t.is(res.status, status, reason);
    t.like(res.body, { decision: 'deny', reasons: [reason] });
  }
  const garbage = await fetch(`${gw.url}/pdp/v1/decide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"target":' });
  t.is(garbage.status, 400);
  const noTarget = await fetch(`${gw.url}/pdp/v1/decide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
  t.is(noTarget.status, 400);
  const huge = await fetch(`${gw.url}/pdp/v1/decide`, { method: 'POST', headers: { 'content-type': 'application/json', dpop: 'x'.repeat(9000), authorization: `DPoP ${plain.token}` }, body: '{}' });
  t.is(huge.status, 431);
  t.like(await decide(gw, undefined, { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' }), { status: 401, body: { reasons: ['token_missing'] } });
  // A client-credentials token is nobody's: without a cohort limit it reaches no citizen.
  t.like((await decide(gw, plain, { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' })).body, { decision: 'deny', reasons: ['subject_required'] });
  const pep = await viaPep(gw, plain, `/data/region-a/bookings?citizen=${ANNA}&citizen=${BERTIL}`);
  t.is(pep.status, 400, 'a repeated citizen parameter is refused');
  t.deepEqual(pep.body.reasons, ['query_ambiguous']);
});

test('with a cohort limit, a client-credentials token reads only the cohort\'s citizens', async (t) => {
  const holder = await clientCredentialsToken(gw, clients.cohort!);
  const [inA, inB, outside] = cohortCitizens as [string, string, string];
  for (const c of [inA, inB]) {
    const res = await viaPep(gw, holder, `/data/region-a/bookings?citizen=${c}`);
    t.is(res.status, 200, JSON.stringify(res.body));
    t.true((res.body.items as Array<{ controller: { id: string } }>).every((i) => i.controller.id === 'region-a'));
  }
  const out = await viaPep(gw, holder, `/data/region-a/bookings?citizen=${outside}`);
  t.is(out.status, 403);
  t.deepEqual(out.body.reasons, ['citizen_not_in_cohort']);
  t.like((await decide(gw, holder, { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' })).body, { decision: 'deny', reasons: ['citizen_not_in_cohort'] });
});

test('a compromised product walking through citizens is suspended at the limit, its tokens revoked, the controller told, the touched citizens reportable', async (t) => {
  const holder = await clientCredentialsToken(gw, clients.walker!);
  let obtained = 0;
  let trippedAt = -1;
  for (const [i, c] of walkCitizens.entries()) {
    const res = await viaPep(gw, holder, `/data/region-a/bookings?citizen=${c}`);
    if (res.status === 200 && Array.isArray(res.body.items)) obtained += 1;
    else if (trippedAt < 0) trippedAt = i;
  }
  t.log(`the compromised product obtained the data of ${obtained} distinct citizens before the trip (limit ${WALK_LIMIT}); tripped at request ${trippedAt + 1} of ${walkCitizens.length}`);
  t.true(obtained <= WALK_LIMIT);
  t.is(obtained, WALK_LIMIT);

  const [suspension] = (await gw.pdp!.containment.inForce()).filter((s) => s.productId === 'p-walker');
  t.like(suspension, { controllerId: 'region-a', reason: 'citizen_volume_exceeded' });
  // Its tokens are gone, and the gate no longer lets it have new ones (region-a was its only approval).
  t.deepEqual((await decide(gw, holder, { controller: 'region-a', dataset: 'bookings', citizen: walkCitizens[0], action: 'read' })).body.reasons, ['token_inactive']);
  await t.throwsAsync(clientCredentialsToken(gw, clients.walker!));

  await gw.pdp!.audit.drain();
  const report = await gw.pdp!.containment.report(suspension!.id);
  t.deepEqual(report!.citizens, walkCitizens.slice(0, WALK_LIMIT).map((c) => gw.pdp!.accounts.accountIdFor(c)).sort());
  for (let i = 0; i < 50 && !webhookCalls.some((w) => w.productId === 'p-walker'); i += 1) await new Promise((r) => setTimeout(r, 20));
  const call = webhookCalls.find((w) => w.productId === 'p-walker');
  t.like(call, { event: 'product_suspended', controllerId: 'region-a', reason: 'citizen_volume_exceeded', citizensInWindow: WALK_LIMIT });
  t.false(walkCitizens.some((c) => JSON.stringify(call).includes(c)), 'the webhook carries pseudonyms, never a personnummer');

  // Only an administrator lifts it; then the product is a client again.
  await gw.pdp!.containment.lift(suspension!.id, 'SE2321000016-A1B2');
  await gw.store.del(`pdp:citizens:p-walker:region-a`);
  const again = await clientCredentialsToken(gw, clients.walker!);
  t.is((await viaPep(gw, again, `/data/region-a/bookings?citizen=${walkCitizens[0]}`)).status, 200);
  const events = (await gw.pdp!.containment.report(suspension!.id))!.events.map((e) => `${e.kind}:${e.actor}`);
  t.true(events.includes('suspended:system') && events.includes('lifted:SE2321000016-A1B2') && events.includes('webhook:system'), events.join());
  t.like((await gw.pdp!.containment.report(suspension!.id))!.events.find((e) => e.kind === 'webhook'), { detail: { status: 204 } }, 'the webhook\'s answer is recorded');
});

test('denials only a compromised client causes trip containment past the threshold', async (t) => {
  const anna = await signIn(clients.nosy!, ANNA);
  const others = citizens(3, 500);
  const reasons: unknown[] = [];
  for (const c of others) reasons.push((await decide(gw, anna, { controller: 'region-a', dataset: 'bookings', citizen: c, action: 'read' })).body.reasons);
  t.deepEqual(reasons, [['citizen_not_token_subject'], ['citizen_not_token_subject'], ['citizen_not_token_subject']]);
  t.like((await gw.pdp!.containment.inForce()).find((s) => s.productId === 'p-nosy'), { controllerId: 'region-a', reason: 'suspicious_denials' });
  t.deepEqual((await decide(gw, anna, { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' })).body.reasons, ['token_inactive'], 'even its own citizen is refused now');
  // On /metrics (issue 14, item 8): the trip and the suspension, by reason.
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  t.regex(metrics, /gateway_limit_trips_total\{reason="suspicious_denials"\} [1-9]/);
  t.regex(metrics, /gateway_suspensions_total\{reason="suspicious_denials"\} [1-9]/);
});

test('after a burst of decisions the audit table holds exactly one record per decision answered', async (t) => {
  const holder = await clientCredentialsToken(gw, clients.cohort!);
  const [inA] = cohortCitizens as [string];
  const answers = await Promise.all(Array.from({ length: 120 }, (_, i) => decide(gw, holder,
    { controller: 'region-a', dataset: i % 3 ? 'bookings' : 'vaccinations', citizen: inA, action: 'read' })));
  const permits = answers.filter((a) => a.body.decision === 'permit').length;
  t.is(permits, 80);
  t.is(answers.length - permits, 40);
  await gw.pdp!.audit.drain();
  const ids = answers.map((a) => a.body.decisionId as string).sort();
  const rows = (await db.query<{ id: string; decision: string; citizen: string }>(
    'SELECT id, decision, citizen FROM decision_audit WHERE id = ANY($1::uuid[])', [ids])).rows;
  t.deepEqual(rows.map((r) => r.id).sort(), ids);
  t.is(rows.filter((r) => r.decision === 'permit').length, 80);
  t.true(rows.every((r) => r.citizen === gw.pdp!.accounts.accountIdFor(inA)), 'the citizen is recorded as a pseudonym');
});
