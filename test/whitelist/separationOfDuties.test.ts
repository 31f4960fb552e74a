// Separation of duties over every change of the admin API (issue 13, item 2): nobody changes anything
// about a product their own organisation supplies, whatever other roles they hold. The mutating routes
// are read from the one route table itself, so a route added to it is tried here too: one without a
// case below fails the first test until it gets one. Each is tried by a supplier who is also operator,
// controller admin and certifier — against their own product (refused: own_product, nothing written,
// the refusal logged by its code), and against another organisation's (allowed: the positive control).
import test from 'ava';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair } from 'jose';
import type { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { isMutating, routesOf } from '../../src/whitelist/api/route.ts';
import { routes, type RouteSpec } from '../../src/whitelist/api/routes.ts';
import { emptyAction } from '../../src/whitelist/api/route.ts';
import { openApiDocument } from '../../src/whitelist/api/openapi.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { STAFF, callApi, clientCredentials, refused, staffToken, type Caller, type Reply } from '../helpers/adminApi.ts';
import { LOA } from '../../src/idp/claims.ts';

/** Works for 5569990001 (no product of theirs here) and holds the supplier role of Appbolaget (5591234567). */
const SAM = 'SE5569990001-SD01';
/** An independent administrator of the test controllers, who sets the stage. */
const ADA = 'SE5569990002-AD01';
const APPBOLAGET = '5591234567';
const OTHER_ORG = '5560004444';

const OWN = 'sod-own';
const OTHER = 'sod-other';
const API = '/admin/api/v1';

let gw: Gateway;
let cliClient: TestClient;
const logLines: string[] = [];

interface Request {
  method: string;
  path: string;
  body?: unknown;
  ifMatch?: string;
}
interface Case {
  /** The change as it concerns Sam's own product (absent for a route declared about no product). */
  own?: () => Promise<Request>;
  /** The same change about another organisation's product (or, for a route about no product, any). */
  other: () => Promise<Request>;
}

let sam: Caller;
let ada: Caller;
let cli: Caller;
let maria: Caller;
const ids: Record<string, string> = {};

const call = (caller: Caller, r: Request): Promise<Reply> =>
  callApi(gw, caller, r.method, `${API}${r.path}`, { ...(r.body !== undefined ? { body: r.body } : {}), ...(r.ifMatch ? { ifMatch: r.ifMatch } : {}) });

async function must(caller: Caller, r: Request): Promise<Reply> {
  const reply = await call(caller, r);
  if (reply.status >= 300) throw new Error(`${r.method} ${r.path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply;
}

const etag = async (caller: Caller, path: string): Promise<string> => (await call(caller, { method: 'GET', path })).headers.get('etag') ?? '';
const auditHead = (): Promise<number> => gw.registryDb!.store.revision();

async function productBody(id: string, supplierOrgNumber: string, purpose: string) {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    id, name: `Product ${id}`, supplierOrgNumber, supplierName: `Supplier of ${id}`, purpose,
    contact: { name: 'Support', email: `support@${id}.example.se` },
    client: { clientId: `${id}-client`, redirectUris: [`https://${id}.example.se/cb`], jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] } },
    authnMethods: ['bankid'],
    requestedAccess: [{ dataset: 'bookings', actions: ['read'] }],
  };
}
const purposeOf = (productId: string) => (productId === OWN ? 'self-care' : 'health-records');
const approvalBody = (controllerId: string, productId: string) => ({ controllerId, productId, purpose: purposeOf(productId), access: [{ dataset: 'bookings', actions: ['read'] }], basis: 'own_review' });
const certificationBody = (productId: string) => ({
  productId, frameworkId: 'nordic-medtest', purpose: purposeOf(productId), certifiedBy: 'Nordic MedTest', issuedAt: new Date(Date.now() - 60_000).toISOString(),
  expiresAt: new Date(Date.now() + 86_400_000).toISOString(), evidenceRef: `R-${productId}`,
});
const cohortLimits = (cohortId: string) => ({ citizens: { mode: 'cohort', cohortId } });

/** A cohort id named by the limits of a revoked approval of the product, the cohort itself deleted: creating it again is about that product. */
async function cohortLeftBehind(productId: string, cohortId: string): Promise<void> {
  const approval = (await must(ada, { method: 'POST', path: '/approvals', body: approvalBody('sod-kommun', productId) })).body;
  await must(ada, { method: 'POST', path: '/controllers/sod-kommun/cohorts', body: { id: cohortId, name: cohortId, members: [] } });
  await must(ada, { method: 'PUT', path: `/approvals/${approval.id}/limits`, body: cohortLimits(cohortId), ifMatch: '"0"' });
  await must(ada, { method: 'POST', path: `/approvals/${approval.id}/revoke`, body: {}, ifMatch: `"${approval.version}"` });
  await must(ada, { method: 'DELETE', path: `/controllers/sod-kommun/cohorts/${cohortId}`, ifMatch: '"1"' });
}

test.before(async () => {
  cliClient = await makeTestClient('gateway-cli', 'https://cli.example.test/cb', { grant_types: ['client_credentials'], scope: 'openid' });
  const adminClient = await makeTestClient('gateway-admin', 'https://console.example.test/cb', { scope: 'openid' });
  const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
  gw = await startTestGateway({ clients: [cliClient.config, adminClient.config], logger: createLogger({ level: 'info', destination: sink }) });
  cli = await clientCredentials(gw, cliClient);
  for (const [id, orgNumber] of [['sod-kommun', '2120009991'], ['sod-stad', '2120009992']] as const) {
    await must(cli, { method: 'POST', path: '/controllers', body: { id, orgNumber, name: id, kind: 'municipality', datasets: ['bookings', 'lab-results'] } });
  }
  const roles: Array<[string, string, string | undefined]> = [
    [SAM, 'operator', undefined], [SAM, 'supplier', APPBOLAGET], [SAM, 'controller_admin', 'region-sandbox'], [SAM, 'controller_admin', 'sod-kommun'],
    [SAM, 'controller_admin', 'sod-stad'], [SAM, 'certifier', 'nordic-medtest'], [ADA, 'controller_admin', 'sod-kommun'], [ADA, 'controller_admin', 'sod-stad'],
  ];
  for (const [hsaId, role, scope] of roles) await must(cli, { method: 'POST', path: '/roles', body: { subject: { kind: 'staff', hsaId }, role, ...(scope ? { scope } : {}) } });
  await must(cli, { method: 'POST', path: '/products', body: await productBody(OWN, APPBOLAGET, 'self-care') });
  await must(cli, { method: 'POST', path: '/products', body: await productBody(OTHER, OTHER_ORG, 'health-records') });
  [sam, ada, maria] = await Promise.all([SAM, ADA, STAFF.MARIA].map((h) => staffToken(gw, h))) as [Caller, Caller, Caller];

  for (const p of [OWN, OTHER]) {
    ids[`cert-${p}`] = (await must(maria, { method: 'POST', path: '/certifications', body: certificationBody(p) })).body.id;
    // First, while no approval of the product at sod-kommun is active (one active approval per controller, product and purpose).
    await cohortLeftBehind(p, `gone-${p}`);
    const approval = (await must(ada, { method: 'POST', path: '/approvals', body: approvalBody('sod-kommun', p) })).body;
    ids[`approval-${p}`] = approval.id;
    await must(ada, { method: 'POST', path: '/controllers/sod-kommun/cohorts', body: { id: `k-${p}`, name: p, members: ['198003121236'] } });
    await must(ada, { method: 'PUT', path: `/approvals/${approval.id}/limits`, body: cohortLimits(`k-${p}`), ifMatch: '"0"' });
    const suspension = await gw.pdp!.containment.trip({ productId: p, clientId: `${p}-client`, controllerId: 'sod-kommun', reason: 'suspicious_denials' });
    ids[`suspension-${p}`] = suspension!.id;
  }
  // Only the other organisation's product is approved at sod-stad: a change of what sod-stad holds is about that product alone.
  await must(ada, { method: 'POST', path: '/approvals', body: approvalBody('sod-stad', OTHER) });
});

test.after.always(async () => {
  await gw?.close();
});

const productPut = async (id: string, supplierOrgNumber?: string): Promise<Request> => {
  const reply = await call(cli, { method: 'GET', path: `/products/${id}` });
  const { status: _s, version: _v, createdAt: _c, updatedAt: _u, ...product } = reply.body;
  return { method: 'PUT', path: `/products/${id}`, body: { ...product, name: `${product.name} (renamed)`, ...(supplierOrgNumber ? { supplierOrgNumber } : {}) }, ifMatch: reply.headers.get('etag') ?? '' };
};
const controllerPut = async (id: string, datasets: string[]): Promise<Request> => {
  const reply = await call(cli, { method: 'GET', path: `/controllers/${id}` });
  const { version: _v, createdAt: _c, updatedAt: _u, ...controller } = reply.body;
  return { method: 'PUT', path: `/controllers/${id}`, body: { ...controller, datasets }, ifMatch: reply.headers.get('etag') ?? '' };
};
const policyPut = async (purpose: string): Promise<Request> => {
  const current = await call(cli, { method: 'GET', path: '/controllers/sod-kommun/policy' });
  const accepts = current.status === 200 ? current.body.accepts : [];
  return { method: 'PUT', path: '/controllers/sod-kommun/policy', body: { accepts: [...accepts, { frameworkId: 'nordic-medtest', purpose, access: [{ dataset: 'bookings', actions: ['read'] }] }] },
    ...(current.status === 200 ? { ifMatch: current.headers.get('etag') ?? '' } : {}) };
};

const jumpPolicyPut = async (controllerId: string): Promise<Request> => {
  const path = `/controllers/${controllerId}/jump-policy`;
  const current = await call(cli, { method: 'GET', path });
  return { method: 'PUT', path, body: { acceptedUpstreams: ['bankid'], minimumAcr: LOA.loa3 }, ...(current.status === 200 ? { ifMatch: current.headers.get('etag') ?? '' } : {}) };
};

/**
 * One case per mutating route of the table. They are tried in the table's order, and an `other`
 * change may be what a later case needs (the cohort is deleted after its approval is revoked).
 */
const CASES: Record<string, Case> = {
  'post /controllers': { other: async () => ({ method: 'POST', path: '/controllers', body: { id: 'sod-new', orgNumber: '2120009993', name: 'New', kind: 'municipality', datasets: [] } }) },
  'put /controllers/{id}': {
    // Region Sandbox's policy accepts self-care, Sam's product's purpose: what it holds caps what that product gets.
    own: () => controllerPut('region-sandbox', ['bookings', 'vaccinations', 'lab-results', 'care-documentation', 'care-plans', 'listing']),
    other: () => controllerPut('sod-stad', ['bookings']),
  },
  'put /controllers/{id}/policy': { own: () => policyPut('self-care'), other: () => policyPut('health-records') },
  // sod-kommun approved both products, sod-stad only the other organisation's: a jump policy is about the products its controller approved.
  'put /controllers/{id}/jump-policy': { own: () => jumpPolicyPut('sod-kommun'), other: () => jumpPolicyPut('sod-stad') },
  'post /frameworks': { other: async () => ({ method: 'POST', path: '/frameworks', body: { id: 'sod-fw', name: 'SoD framework' } }) },
  'put /frameworks/{id}': { other: async () => ({ method: 'PUT', path: '/frameworks/sod-fw', body: { name: 'SoD framework, renamed' }, ifMatch: await etag(cli, '/frameworks/sod-fw') }) },
  'post /products': {
    own: async () => ({ method: 'POST', path: '/products', body: await productBody('sod-own-2', APPBOLAGET, 'self-care') }),
    other: async () => ({ method: 'POST', path: '/products', body: await productBody('sod-other-2', OTHER_ORG, 'health-records') }),
  },
  'put /products/{id}': { own: () => productPut(OWN), other: () => productPut(OTHER) },
  'post /certifications': {
    own: async () => ({ method: 'POST', path: '/certifications', body: certificationBody(OWN) }),
    other: async () => ({ method: 'POST', path: '/certifications', body: certificationBody(OTHER) }),
  },
  'post /certifications/{id}/withdraw': {
    own: async () => ({ method: 'POST', path: `/certifications/${ids[`cert-${OWN}`]}/withdraw`, body: {}, ifMatch: await etag(cli, `/certifications/${ids[`cert-${OWN}`]}`) }),
    other: async () => ({ method: 'POST', path: `/certifications/${ids[`cert-${OTHER}`]}/withdraw`, body: {}, ifMatch: await etag(cli, `/certifications/${ids[`cert-${OTHER}`]}`) }),
  },
  'post /approvals': {
    own: async () => ({ method: 'POST', path: '/approvals', body: approvalBody('region-sandbox', OWN) }),
    other: async () => ({ method: 'POST', path: '/approvals', body: approvalBody('region-sandbox', OTHER) }),
  },
  'post /roles': { other: async () => ({ method: 'POST', path: '/roles', body: { subject: { kind: 'staff', hsaId: 'SE5569990003-X001' }, role: 'controller_admin', scope: 'sod-stad' } }) },
  'delete /roles/{id}': {
    other: async () => {
      const role = (await call(cli, { method: 'GET', path: '/roles' })).body.items.find((r: { subject: { hsaId?: string } }) => r.subject.hsaId === 'SE5569990003-X001');
      return { method: 'DELETE', path: `/roles/${role.id}`, ifMatch: `"${role.version}"` };
    },
  },
  'put /approvals/{id}/limits': {
    own: async () => ({ method: 'PUT', path: `/approvals/${ids[`approval-${OWN}`]}/limits`, body: { ...cohortLimits(`k-${OWN}`), maxRequestsPerSecond: 50 }, ifMatch: await etag(ada, `/approvals/${ids[`approval-${OWN}`]}/limits`) }),
    other: async () => ({ method: 'PUT', path: `/approvals/${ids[`approval-${OTHER}`]}/limits`, body: { ...cohortLimits(`k-${OTHER}`), maxRequestsPerSecond: 50 }, ifMatch: await etag(sam, `/approvals/${ids[`approval-${OTHER}`]}/limits`) }),
  },
  'post /controllers/{id}/cohorts': {
    own: async () => ({ method: 'POST', path: '/controllers/sod-kommun/cohorts', body: { id: `gone-${OWN}`, name: 'again', members: [] } }),
    other: async () => ({ method: 'POST', path: '/controllers/sod-kommun/cohorts', body: { id: `gone-${OTHER}`, name: 'again', members: [] } }),
  },
  'put /controllers/{id}/cohorts/{cohortId}': {
    own: async () => ({ method: 'PUT', path: `/controllers/sod-kommun/cohorts/k-${OWN}`, body: { name: 'more', members: ['198003121236', '197208142385'] }, ifMatch: await etag(ada, `/controllers/sod-kommun/cohorts/k-${OWN}`) }),
    other: async () => ({ method: 'PUT', path: `/controllers/sod-kommun/cohorts/k-${OTHER}`, body: { name: 'more', members: ['198003121236', '197208142385'] }, ifMatch: await etag(ada, `/controllers/sod-kommun/cohorts/k-${OTHER}`) }),
  },
  'post /approvals/{id}/revoke': {
    own: async () => ({ method: 'POST', path: `/approvals/${ids[`approval-${OWN}`]}/revoke`, body: {}, ifMatch: await etag(cli, `/approvals/${ids[`approval-${OWN}`]}`) }),
    other: async () => ({ method: 'POST', path: `/approvals/${ids[`approval-${OTHER}`]}/revoke`, body: {}, ifMatch: await etag(cli, `/approvals/${ids[`approval-${OTHER}`]}`) }),
  },
  // After the revocation above: the other cohort is named only by a revoked approval's limits now.
  'delete /controllers/{id}/cohorts/{cohortId}': {
    own: async () => ({ method: 'DELETE', path: `/controllers/sod-kommun/cohorts/k-${OWN}`, ifMatch: await etag(ada, `/controllers/sod-kommun/cohorts/k-${OWN}`) }),
    other: async () => ({ method: 'DELETE', path: `/controllers/sod-kommun/cohorts/k-${OTHER}`, ifMatch: await etag(ada, `/controllers/sod-kommun/cohorts/k-${OTHER}`) }),
  },
  'post /suspensions/{id}/lift': {
    own: async () => ({ method: 'POST', path: `/suspensions/${ids[`suspension-${OWN}`]}/lift`, body: {}, ifMatch: '"1"' }),
    other: async () => ({ method: 'POST', path: `/suspensions/${ids[`suspension-${OTHER}`]}/lift`, body: {}, ifMatch: '"1"' }),
  },
  'post /products/{id}/status': {
    own: async () => ({ method: 'POST', path: `/products/${OWN}/status`, body: { status: 'active' }, ifMatch: await etag(cli, `/products/${OWN}`) }),
    other: async () => ({ method: 'POST', path: `/products/${OTHER}/status`, body: { status: 'active' }, ifMatch: await etag(cli, `/products/${OTHER}`) }),
  },
};

const key = (r: Pick<RouteSpec, 'method' | 'path'>) => `${r.method} ${r.path}`;
const mutating = routes.filter((r) => isMutating(r.method));
const aboutNoProduct = (r: RouteSpec) => typeof (r.concerns as { why?: unknown } | undefined)?.why === 'string';

test('every mutating route of the table declares what it is about, and has a case here', (t) => {
  t.true(mutating.length >= 19, 'the table\'s changes are all here (19 when this was written)');
  for (const r of routes) {
    if (isMutating(r.method)) t.is(typeof r.concerns, 'function', `${key(r)} declares the products it concerns`);
    else t.is(r.concerns, undefined, `${key(r)} is a read`);
  }
  t.deepEqual(mutating.map(key).filter((k) => !CASES[k]), [], 'a new mutating route needs its own-product case in CASES');
  t.deepEqual(Object.keys(CASES).filter((k) => !mutating.some((r) => key(r) === k)), [], 'no case for a route the table does not have');
  for (const r of mutating) {
    t.is(Boolean(CASES[key(r)]?.own), !aboutNoProduct(r), `${key(r)}: an own-product case exactly when the route is about a product`);
  }
  t.deepEqual(mutating.filter(aboutNoProduct).map(key).sort(), ['delete /roles/{id}', 'post /controllers', 'post /frameworks', 'post /roles', 'put /frameworks/{id}'],
    'the changes declared about no product, each with its reason');
  const paths = (openApiDocument() as { paths: Record<string, Record<string, { description: string }>> }).paths;
  for (const r of routes) {
    t.is(/403 own_product/.test(paths[r.path]?.[r.method]?.description ?? ''), isMutating(r.method), `${key(r)}: the OpenAPI document says whether the rule applies`);
  }
});

test('a mutating route without a declaration does not compile', (t) => {
  const route = routesOf('registry');
  // @ts-expect-error a change must say which products it concerns
  const undeclared = route({ method: 'post', path: '/x', summary: 'x', who: 'x', body: emptyAction, status: 200, handle: async () => ({}) });
  t.is(undeclared.concerns, undefined, 'and, were it forced in, it declares nothing: the router refuses it (undeclared_change)');
});

test.serial('every change about their own product is refused to a supplier who is also operator, admin and certifier; the same change about another organisation\'s product is made', async (t) => {
  for (const r of mutating) {
    const c = CASES[key(r)];
    if (!c) continue; // the test above names it
    if (c.own) {
      const request = await c.own();
      const before = await auditHead();
      const logged = logLines.length;
      const reply = await call(sam, request);
      t.deepEqual(refused(reply), [403, 'own_product'], `${key(r)} about Sam's own product: ${JSON.stringify(reply.body)}`);
      t.regex(String(reply.body?.detail), new RegExp(`${APPBOLAGET}, the supplier of product`), key(r));
      t.is(await auditHead(), before, `${key(r)}: a refused change writes nothing`);
      const line = logLines.slice(logged).map((l) => JSON.parse(l) as { msg?: string; reason?: string; route?: string }).find((l) => l.msg === 'admin api refused');
      t.like(line, { reason: 'own_product', route: `${API}${r.path.replace(/\{(\w+)\}/g, ':$1')}` }, `${key(r)}: the refusal is logged by its code`);
    }
    const reply = await call(sam, await c.other());
    t.true(reply.status >= 200 && reply.status < 300, `${key(r)} about another organisation's product: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
});

test.serial('a product moved to the actor\'s organisation is about their product too, and so is a colleague\'s change (same organisation by HSA-id, no supplier role)', async (t) => {
  t.deepEqual(refused(await call(sam, await productPut(OTHER, APPBOLAGET))), [403, 'own_product'], 'registering another\'s product as Appbolaget\'s');
  // Karl works at Appbolaget (his HSA-id says so) and administers sod-stad, without the supplier role.
  const KARL = 'SE5591234567-KA01';
  await must(cli, { method: 'POST', path: '/roles', body: { subject: { kind: 'staff', hsaId: KARL }, role: 'controller_admin', scope: 'sod-stad' } });
  const karl = await staffToken(gw, KARL);
  t.deepEqual(refused(await call(karl, { method: 'POST', path: '/approvals', body: approvalBody('sod-stad', OWN) })), [403, 'own_product']);
  t.is((await call(karl, { method: 'POST', path: '/approvals', body: approvalBody('sod-stad', 'sod-other-2') })).status, 201, 'another organisation\'s product: allowed');
});

test.serial('a refusal of separation of duties comes before the operation\'s own rule, and reads do not fall under it', async (t) => {
  // Lars is only Appbolaget's supplier: his own product's change is refused as his own, not merely as a role he lacks.
  const lars = await staffToken(gw, STAFF.LARS);
  t.deepEqual(refused(await call(lars, { method: 'POST', path: `/products/${OWN}/status`, body: { status: 'suspended' }, ifMatch: await etag(cli, `/products/${OWN}`) })), [403, 'own_product']);
  t.deepEqual(refused(await call(lars, { method: 'POST', path: `/products/${OTHER}/status`, body: { status: 'suspended' }, ifMatch: await etag(cli, `/products/${OTHER}`) })), [403, 'forbidden_role']);
  t.is((await call(sam, { method: 'GET', path: `/products/${OWN}` })).status, 200, 'reading one\'s own product is allowed');
  t.is((await call(sam, { method: 'GET', path: `/approvals/${ids[`approval-${OWN}`]}/limits` })).status, 200);
});
