// Separation of duties through the admin console (issue 13, item 2): the console decides nothing
// itself, so its form posts meet the admin API's one rule — a person whose organisation supplies the
// product changes nothing about it, whatever other roles they hold. Every POST the console's router
// serves is listed from the router itself: each one that changes something is tried by Sara, who
// administers Region Sandbox and (here) also speaks for Appbolaget, the supplier of demo-rp; each is
// refused for demo-rp with the "your own product" page and made for another organisation's product.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { adminConsoleRouter } from '../../src/whitelist/console/router.ts';
import { routes } from '../../src/whitelist/api/routes.ts';
import { startTestGateway, makeTestClient } from '../helpers/gateway.ts';
import { STAFF, callApi, clientCredentials, staffToken, type Caller } from '../helpers/adminApi.ts';
import { browserThroughSaml } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';

const ADA = 'SE5569990002-AD01'; // a second administrator of Region Sandbox, with no supplier of her own
const API = '/admin/api/v1';

let gw: Gateway;
let cli: Caller;
let ada: Caller;

test.before(async () => {
  const cliClient = await makeTestClient('gateway-cli', 'https://cli.example.test/cb', { grant_types: ['client_credentials'], scope: 'openid' });
  gw = await startTestGateway({ clients: [cliClient.config] });
  cli = await clientCredentials(gw, cliClient);
  for (const [hsaId, role, scope] of [['SE2321000016-A1B2', 'supplier', '5591234567'], [ADA, 'controller_admin', 'region-sandbox']] as const) {
    const r = await callApi(gw, cli, 'POST', `${API}/roles`, { body: { subject: { kind: 'staff', hsaId }, role, scope } });
    if (r.status !== 201) throw new Error(`role: ${r.status} ${JSON.stringify(r.body)}`);
  }
  ada = await staffToken(gw, ADA);
  // Bokningsappen (Tidbokarna AB) certified again, so Region Sandbox's policy shares with it automatically, as with demo-rp.
  const maria = await staffToken(gw, STAFF.MARIA);
  const cert = await callApi(gw, maria, 'POST', `${API}/certifications`, { body: { productId: 'bokningsappen', frameworkId: 'nordic-medtest', purpose: 'self-care', certifiedBy: 'Nordic MedTest',
    issuedAt: new Date(Date.now() - 60_000).toISOString(), expiresAt: new Date(Date.now() + 86_400_000).toISOString(), evidenceRef: 'NMT-SOD-1' } });
  if (cert.status !== 201) throw new Error(`certification: ${cert.status} ${JSON.stringify(cert.body)}`);
});

test.after.always(async () => {
  await gw?.close();
});

async function saraSession(): Promise<UserAgent> {
  const ua = new UserAgent(gw.url);
  const login = await ua.request('/admin/login?returnTo=%2Fadmin%2F%3Flang%3Den');
  const callback = await browserThroughSaml(gw, new URL(login.location!), 'siths-saml', 'sara', `${gw.url}/admin/callback`, { ua });
  const res = await ua.request(callback.href);
  if (res.status !== 302) throw new Error(`sign-in to the console failed: ${res.status}`);
  return ua;
}

const csrfOf = (text: string): string => /name="csrf" value="([^"]+)"/.exec(text)?.[1] ?? '';
const auditHead = (): Promise<number> => gw.registryDb!.store.revision();

async function regionApproval(productId: string): Promise<{ id: string; version: number } | undefined> {
  const list = await callApi(gw, cli, 'GET', `${API}/approvals?productId=${productId}&controllerId=region-sandbox`);
  return (list.body.items as Array<{ id: string; status: string; version: number }>).find((a) => a.status === 'active');
}

/** A console form post, as the person's browser sends it after the page that carries the form. */
type Post = (ua: UserAgent, productId: string) => Promise<{ status: number; text: string }>;

const approve: Post = async (ua, productId) => {
  const csrf = csrfOf((await ua.request(`/admin/products/${productId}/approve?lang=en`)).text);
  return ua.request(`/admin/products/${productId}/approve?lang=en`, { form: { csrf, controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review', access: 'bookings:read' } });
};
const revoke: Post = async (ua, productId) => {
  const approval = await regionApproval(productId);
  if (!approval) throw new Error(`no active approval of ${productId} at region-sandbox`);
  const confirm = await ua.request(`/admin/products/${productId}/approvals/${approval.id}/revoke?lang=en`);
  return ua.request(`/admin/approvals/${approval.id}/revoke?lang=en`, { form: { csrf: csrfOf(confirm.text), version: String(approval.version), productId, reason: 'Separation of duties test' } });
};
const stopAutomatic: Post = async (ua, productId) => {
  const confirm = await ua.request(`/admin/products/${productId}/automatic/region-sandbox/stop?lang=en`);
  if (confirm.status !== 200) throw new Error(`no automatic sharing of ${productId} to stop: ${confirm.status}`);
  return ua.request(`/admin/products/${productId}/automatic/region-sandbox/stop?lang=en`, { form: { csrf: csrfOf(confirm.text) } });
};

/**
 * Every POST of the console: what it changes through the API (tried below), or why it changes nothing
 * in the registry. A new form post fails the first test until it is placed here.
 */
const POSTS: Record<string, { changes: Post } | { changesNothing: string } | { viaApi: string }> = {
  '/admin/logout': { changesNothing: 'ends the console session and the gateway\'s SSO session' },
  '/admin/products/:id/approve/review': { changesNothing: 'renders the confirmation page of an approval, which posts to /approve' },
  '/admin/products/:id/automatic/:controllerId/stop': { changes: stopAutomatic },
  '/admin/products/:id/approve': { changes: approve },
  '/admin/approvals/:aid/revoke': { changes: revoke },
  // The role screens: each is one call of the admin API route named, whose separation-of-duties case
  // (own product refused, another organisation's made) is in test/whitelist/separationOfDuties.test.ts.
  '/admin/products': { viaApi: 'post /products' },
  '/admin/products/:id/status': { viaApi: 'post /products/{id}/status' },
  '/admin/products/:id/certify': { viaApi: 'post /certifications' },
  '/admin/certifications/:cid/withdraw': { viaApi: 'post /certifications/{id}/withdraw' },
  '/admin/frameworks': { viaApi: 'post /frameworks' },
  '/admin/roles': { viaApi: 'post /roles' },
  '/admin/roles/:rid/remove': { viaApi: 'delete /roles/{id}' },
  '/admin/controllers/:id/policy': { viaApi: 'put /controllers/{id}/policy' },
  '/admin/controllers/:id/jump-policy': { viaApi: 'put /controllers/{id}/jump-policy' },
  '/admin/suspensions/:sid/lift': { viaApi: 'post /suspensions/{id}/lift' },
};

test('every form post of the console is either tried here or said to change nothing', (t) => {
  const unused = new Proxy({}, { get: (_t, key) => { throw new Error(`not used: ${String(key)}`); } });
  const router = adminConsoleRouter({ issuer: 'http://127.0.0.1:1', key: unused as never, store: unused as never, clock: { now: () => Date.now() }, logger: unused as never, sessionTtlSeconds: 60 });
  const posts = router.stack.filter((layer) => layer.methods.includes('POST')).map((layer) => String(layer.path)).sort();
  t.deepEqual(posts, Object.keys(POSTS).sort());
  // A console post that goes through an API route: that route exists and declares what it concerns.
  for (const entry of Object.values(POSTS)) {
    if (!('viaApi' in entry)) continue;
    const row = routes.find((r) => `${r.method} ${r.path}` === entry.viaApi);
    t.truthy(row, entry.viaApi);
    t.is(typeof row?.concerns, 'function', `${entry.viaApi} declares its concerns`);
  }
});

test.serial('each console form post that changes something is refused for the person\'s own product and made for another organisation\'s', async (t) => {
  const sara = await saraSession();
  // In the order a person could do them: stop the automatic sharing, approve by hand, then revoke.
  for (const path of ['/admin/products/:id/automatic/:controllerId/stop', '/admin/products/:id/approve', '/admin/approvals/:aid/revoke']) {
    const entry = POSTS[path];
    if (!entry || !('changes' in entry)) throw new Error(`${path} is not a change`);
    // Ada, not Sara, approves demo-rp at Region Sandbox: there must be one for Sara to try to revoke.
    if (path === '/admin/approvals/:aid/revoke') {
      const made = await callApi(gw, ada, 'POST', `${API}/approvals`, { body: { controllerId: 'region-sandbox', productId: 'demo-rp', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }], basis: 'own_review' } });
      t.is(made.status, 201, JSON.stringify(made.body));
    }
    const before = await auditHead();
    const own = await entry.changes(sara, 'demo-rp');
    t.is(own.status, 403, `${path} for demo-rp`);
    t.regex(own.text, /data-code="own_product"/, path);
    t.regex(own.text, /Your organisation supplies this product/, path);
    t.is(await auditHead(), before, `${path}: nothing written`);
    const other = await entry.changes(sara, 'bokningsappen');
    t.is(other.status, 302, `${path} for bokningsappen: ${other.text.slice(0, 300)}`);
    t.true(await auditHead() > before, `${path}: the change about another organisation's product is made`);
  }
  t.truthy(await regionApproval('demo-rp'), 'Ada\'s approval of demo-rp still stands');
  t.falsy(await regionApproval('bokningsappen'), 'Sara revoked her own approval of Bokningsappen');
});
