// The admin API through HTTP with real tokens: the CLI's client_credentials token from the token
// endpoint, staff tokens of the console's client minted with the provider's own AccessToken model (the
// staff sign-in is the console's business), all DPoP-bound and checked by src/idp/accessToken.ts.
// Every forbidden action of docs/admin-api.md is tried and refused with its code; bad input is refused
// with the problem named and leaves no row and no audit entry behind.
import test from 'ava';
import * as oidc from 'openid-client';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import type { Gateway } from '../../src/gateway.ts';
import { AccountStore } from '../../src/idp/accounts.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { STAFF, callApi, clientCredentials as issueClientCredentials, consoleToken as mintConsoleToken, refused, type Caller, type Reply } from '../helpers/adminApi.ts';


const { OLOF, SARA, TOMAS, MARIA, LARS } = STAFF;
const NOBODY = 'SE5560000099-X001'; // staff without a role
const LISA = 'SE5591234567-LV02'; // supplier 5591234567 and, in one test, also admin of Vårdbolaget

let gw: Gateway;
let cliClient: TestClient;
let adminClient: TestClient;
let otherClient: TestClient;
let accounts: AccountStore;

test.before(async () => {
  cliClient = await makeTestClient('gateway-cli', 'https://cli.example.test/cb', { grant_types: ['client_credentials'], scope: 'openid' });
  adminClient = await makeTestClient('gateway-admin', 'https://console.example.test/cb', { scope: 'openid' });
  otherClient = await makeTestClient('some-product', 'https://product.example.test/cb', { grant_types: ['client_credentials'], scope: 'openid' });
  gw = await startTestGateway({ clients: [cliClient.config, adminClient.config, otherClient.config] });
  accounts = new AccountStore(gw.store, 'test-account-key', 3600);
});
test.after.always(async () => {
  await gw?.close();
});

function clientCredentials(client: TestClient) {
  return issueClientCredentials(gw, client);
}
function consoleToken(accountId: string) {
  return mintConsoleToken(gw, accountId);
}
async function staff(hsaId: string) {
  return consoleToken(await accounts.remember({ kind: 'staff', hsaId, givenName: 'Test', surname: 'Person' }));
}
function call(caller: Caller | undefined, method: string, path: string, options: Parameters<typeof callApi>[4] = {}) {
  return callApi(gw, caller, method, path, options);
}

async function auditCount(): Promise<number> {
  return gw.registryDb!.store.revision();
}

async function productBody(id: string, extra: Record<string, unknown> = {}, client: Record<string, unknown> = {}) {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    id,
    name: `Product ${id}`,
    supplierOrgNumber: '5560001234',
    supplierName: 'Testbolaget AB',
    purpose: 'self-care',
    contact: { name: 'Support', email: 'support@testbolaget.example.se' },
    client: { clientId: `${id}-client`, redirectUris: [`https://${id}.example.se/cb`], jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] }, ...client },
    authnMethods: ['bankid'],
    requestedAccess: [{ dataset: 'bookings', actions: ['read'] }],
    ...extra,
  };
}

test.serial('the CLI\'s client_credentials token is the operator; /me names the client and its role', async (t) => {
  const cli = await clientCredentials(cliClient);
  const me = await call(cli, 'GET', '/admin/api/v1/me');
  t.is(me.status, 200);
  t.deepEqual(me.body.subject, { kind: 'client', clientId: 'gateway-cli' });
  t.deepEqual(me.body.roles.map((r: { role: string }) => r.role), ['operator']);
  const sara = await call(await staff(SARA), 'GET', '/admin/api/v1/me');
  t.is(sara.body.actor, SARA);
  t.deepEqual(sara.body.roles.map((r: { role: string; scope?: string }) => [r.role, r.scope]), [['controller_admin', 'region-sandbox']]);
});

test.serial('who is refused at the door: no token, a non-admin client, a citizen, staff without a role', async (t) => {
  const none = await call(undefined, 'GET', '/admin/api/v1/products');
  t.deepEqual(refused(none), [401, 'token_missing']);
  t.regex(none.headers.get('www-authenticate') ?? '', /^DPoP /);
  t.is(none.headers.get('content-type'), 'application/problem+json');
  t.deepEqual(refused(await call(await clientCredentials(otherClient), 'GET', '/admin/api/v1/products')), [403, 'not_admin_client']);
  const citizen = await accounts.remember({ personalNumber: '198003121236', givenName: 'Anna', surname: 'Andersson' });
  t.deepEqual(refused(await call(await consoleToken(citizen), 'GET', '/admin/api/v1/products')), [403, 'not_staff']);
  t.deepEqual(refused(await call(await staff(NOBODY), 'GET', '/admin/api/v1/products')), [403, 'no_role']);
  // A proof for another URL does not carry the token over.
  const sara = await staff(SARA);
  const jwk = await exportJWK(sara.keys.publicKey);
  const proof = await new SignJWT({ htm: 'GET', htu: `${gw.url}/admin/api/v1/roles`, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ath: createHash('sha256').update(sara.token).digest('base64url') })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(sara.keys.privateKey);
  const res = await fetch(`${gw.url}/admin/api/v1/products`, { headers: { authorization: `DPoP ${sara.token}`, dpop: proof } });
  t.is(res.status, 401);
  t.is(((await res.json()) as { type: string }).type, 'urn:gateway:problem:dpop_mismatch');
});

test.serial('every forbidden action is refused with its own code, and writes nothing', async (t) => {
  const [olof, sara, tomas, maria, lars] = await Promise.all([OLOF, SARA, TOMAS, MARIA, LARS].map(staff));
  const cli = await clientCredentials(cliClient);
  // Lisa works for the supplier and administers Vårdbolaget: the supplier rule still wins for her own product.
  t.is((await call(cli, 'POST', '/admin/api/v1/roles', { body: { subject: { kind: 'staff', hsaId: LISA }, role: 'supplier', scope: '5591234567' } })).status, 201);
  t.is((await call(cli, 'POST', '/admin/api/v1/roles', { body: { subject: { kind: 'staff', hsaId: LISA }, role: 'controller_admin', scope: 'vardbolaget' } })).status, 201);
  const lisa = await staff(LISA);
  const regionApproval = await call(sara, 'POST', '/admin/api/v1/approvals', { body: { controllerId: 'region-sandbox', productId: 'min-vardplan', purpose: 'self-care', access: [{ dataset: 'care-plans', actions: ['read'] }], basis: 'own_review' } });
  t.is(regionApproval.status, 201);
  const demoCert = (await call(olof, 'GET', '/admin/api/v1/certifications?productId=demo-rp')).body.items[0];
  const before = await auditCount();

  const approval = (controllerId: string, productId: string, dataset = 'bookings') => ({ controllerId, productId, purpose: 'self-care', access: [{ dataset, actions: ['read'] }], basis: 'own_review' });
  const certification = (productId: string, frameworkId: string) => ({ productId, frameworkId, purpose: 'self-care', certifiedBy: 'X', issuedAt: new Date(Date.now() - 1000).toISOString(), expiresAt: new Date(Date.now() + 86_400_000).toISOString(), evidenceRef: 'R-1' });
  const cases: Array<[string, Promise<Reply>, number, string]> = [
    ['controller admin registers a controller', call(sara, 'POST', '/admin/api/v1/controllers', { body: { id: 'x-region', orgNumber: '1234567890', name: 'X', kind: 'region' } }), 403, 'forbidden_role'],
    ['certifier registers a framework', call(maria, 'POST', '/admin/api/v1/frameworks', { body: { id: 'fw-x', name: 'X' } }), 403, 'forbidden_role'],
    ['supplier registers a product', call(lars, 'POST', '/admin/api/v1/products', { body: await productBody('lars-app') }), 403, 'forbidden_role'],
    ['controller admin suspends a product', call(sara, 'POST', '/admin/api/v1/products/demo-rp/status', { body: { status: 'suspended' }, ifMatch: '"2"' }), 403, 'forbidden_role'],
    ['operator sets a controller\'s policy', call(olof, 'PUT', '/admin/api/v1/controllers/region-sandbox/policy', { body: { accepts: [] }, ifMatch: '"1"' }), 403, 'forbidden_role'],
    ['municipality admin sets the region\'s policy', call(tomas, 'PUT', '/admin/api/v1/controllers/region-sandbox/policy', { body: { accepts: [] }, ifMatch: '"1"' }), 403, 'outside_controller'],
    ['municipality admin approves for the region', call(tomas, 'POST', '/admin/api/v1/approvals', { body: approval('region-sandbox', 'bokningsappen') }), 403, 'outside_controller'],
    ['municipality admin revokes the region\'s approval', call(tomas, 'POST', `/admin/api/v1/approvals/${regionApproval.body.id}/revoke`, { ifMatch: '"1"' }), 403, 'outside_controller'],
    ['operator approves', call(olof, 'POST', '/admin/api/v1/approvals', { body: approval('region-sandbox', 'bokningsappen') }), 403, 'forbidden_role'],
    ['the CLI approves', call(cli, 'POST', '/admin/api/v1/approvals', { body: approval('region-sandbox', 'bokningsappen') }), 403, 'forbidden_role'],
    ['supplier approves its own product', call(lars, 'POST', '/admin/api/v1/approvals', { body: approval('region-sandbox', 'demo-rp') }), 403, 'own_product'],
    ['supplier who is also the controller\'s admin approves its own product', call(lisa, 'POST', '/admin/api/v1/approvals', { body: approval('vardbolaget', 'demo-rp') }), 403, 'own_product'],
    ['supplier approves another supplier\'s product', call(lars, 'POST', '/admin/api/v1/approvals', { body: approval('region-sandbox', 'bokningsappen') }), 403, 'forbidden_role'],
    ['certifier certifies under another framework', call(maria, 'POST', '/admin/api/v1/certifications', { body: certification('min-vardplan', 'np') }), 403, 'outside_framework'],
    ['controller admin certifies', call(sara, 'POST', '/admin/api/v1/certifications', { body: certification('min-vardplan', 'nordic-medtest') }), 403, 'forbidden_role'],
    ['supplier certifies its own product', call(lars, 'POST', '/admin/api/v1/certifications', { body: certification('demo-rp', 'nordic-medtest') }), 403, 'own_product'],
    ['controller admin withdraws a certification', call(sara, 'POST', `/admin/api/v1/certifications/${demoCert.id}/withdraw`, { ifMatch: '"1"' }), 403, 'forbidden_role'],
    ['controller admin lists roles', call(sara, 'GET', '/admin/api/v1/roles'), 403, 'forbidden_role'],
    ['controller admin assigns a role', call(sara, 'POST', '/admin/api/v1/roles', { body: { subject: { kind: 'staff', hsaId: SARA }, role: 'operator' } }), 403, 'forbidden_role'],
    ['certifier reads the audit trail', call(maria, 'GET', '/admin/api/v1/audit'), 403, 'forbidden_role'],
    ['certifier lists approvals', call(maria, 'GET', '/admin/api/v1/approvals'), 403, 'forbidden_role'],
    ['supplier reads another supplier\'s product', call(lars, 'GET', '/admin/api/v1/products/min-vardplan'), 403, 'outside_supplier'],
  ];
  for (const [what, reply, status, code] of cases) t.deepEqual(refused(await reply), [status, code], what);
  t.is(await auditCount(), before, 'no refused action left an audit entry');
  t.is((await call(olof, 'GET', '/admin/api/v1/approvals?productId=demo-rp')).body.items.length, 1, 'no approval was written');
});

test.serial('each role sees what it may: a supplier its own products, a controller admin its own approvals and audit', async (t) => {
  const [lars, tomas, olof] = await Promise.all([LARS, TOMAS, OLOF].map(staff));
  const products = await call(lars, 'GET', '/admin/api/v1/products');
  t.deepEqual(products.body.items.map((p: { id: string }) => p.id).sort(), ['demo-rp', 'stegraknaren']);
  t.is((await call(olof, 'GET', '/admin/api/v1/products')).body.items.length >= 4, true);
  const approvals = await call(tomas, 'GET', '/admin/api/v1/approvals');
  t.true(approvals.body.items.length >= 1);
  t.true(approvals.body.items.every((a: { controllerId: string }) => a.controllerId === 'sandvik-kommun'));
  t.deepEqual(refused(await call(tomas, 'GET', '/admin/api/v1/approvals?controllerId=region-sandbox')), [403, 'outside_controller']);
  const audit = await call(tomas, 'GET', '/admin/api/v1/audit');
  t.true(audit.body.items.length >= 2);
  t.true(audit.body.items.every((e: { objectType: string; objectId: string }) =>
    (e.objectType === 'controller' && e.objectId === 'sandvik-kommun') || (e.objectType === 'policy' && e.objectId === 'sandvik-kommun')
    || (e.objectType === 'jump_policy' && e.objectId === 'sandvik-kommun') || e.objectType === 'approval'));
  const access = await call(lars, 'GET', '/admin/api/v1/products/demo-rp/access');
  t.is(access.status, 200);
  t.deepEqual(access.body.approvals.map((a: { controllerId: string; basis: string }) => [a.controllerId, a.basis]),
    [['region-sandbox', 'policy'], ['sandvik-kommun', 'own_review']]);
});

test.serial('approve and revoke with ETag and If-Match; the audit trail names who, in which role, before and after', async (t) => {
  const sara = await staff(SARA);
  const created = await call(sara, 'POST', '/admin/api/v1/approvals', { body: { controllerId: 'region-sandbox', productId: 'bokningsappen', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read', 'write'] }], basis: 'trusted_reviewer', reviewer: 'Granskningsbolaget AB' } });
  t.is(created.status, 201);
  t.is(created.headers.get('etag'), '"1"');
  const location = created.headers.get('location')!;
  t.is(location, `/admin/api/v1/approvals/${created.body.id}`);
  t.is(created.body.decidedBy, SARA);
  t.is(created.body.status, 'active');
  const read = await call(sara, 'GET', location);
  t.deepEqual(read.body, created.body);
  t.is(read.headers.get('etag'), '"1"');
  const duplicate = await call(sara, 'POST', '/admin/api/v1/approvals', { body: { controllerId: 'region-sandbox', productId: 'bokningsappen', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }], basis: 'own_review' } });
  t.deepEqual(refused(duplicate), [409, 'duplicate']);

  t.deepEqual(refused(await call(sara, 'POST', `${location}/revoke`)), [428, 'precondition_required']);
  t.deepEqual(refused(await call(sara, 'POST', `${location}/revoke`, { ifMatch: '"7"' })), [412, 'version_conflict']);
  t.deepEqual(refused(await call(sara, 'POST', `${location}/revoke`, { ifMatch: 'seven' })), [400, 'validation_failed']);
  const revoked = await call(sara, 'POST', `${location}/revoke`, { ifMatch: '"1"' });
  t.is(revoked.status, 200);
  t.is(revoked.body.status, 'revoked');
  t.truthy(revoked.body.revokedAt);
  t.is(revoked.headers.get('etag'), '"2"');
  t.deepEqual(refused(await call(sara, 'POST', `${location}/revoke`, { ifMatch: '"2"' })), [409, 'already_revoked']);

  const audit = await call(sara, 'GET', `/admin/api/v1/audit?objectType=approval&objectId=${created.body.id}`);
  t.is(audit.status, 200, JSON.stringify(audit.body));
  t.deepEqual(audit.body.items.map((e: { action: string; actor: string; role: string }) => [e.action, e.actor, e.role]),
    [['approval.revoke', SARA, 'controller_admin'], ['approval.grant', SARA, 'controller_admin']]);
  t.is(audit.body.items[0].before.status, 'active');
  t.is(audit.body.items[0].after.status, 'revoked');
  t.true((await gw.registryDb!.store.verifyAudit()).ok);
});

test.serial('bad input is a 4xx that names the problem, and leaves no row and no audit entry', async (t) => {
  const cli = await clientCredentials(cliClient);
  const [maria, sara] = await Promise.all([MARIA, SARA].map(staff));
  const before = await auditCount();
  const post = async (body: unknown) => call(cli, 'POST', '/admin/api/v1/products', { body });

  const httpRedirect = await post(await productBody('bad-a', {}, { redirectUris: ['http://app.example.se/cb'] }));
  t.deepEqual(refused(httpRedirect), [400, 'invalid_redirect_uri']);
  t.deepEqual(httpRedirect.body.errors.map((e: { path: string }) => e.path), ['client.redirectUris.0']);
  t.deepEqual(refused(await post(await productBody('bad-b', {}, { redirectUris: ['https://app.example.se/cb#frag'] }))), [400, 'invalid_redirect_uri']);
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwks = await post(await productBody('bad-c', {}, { jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'ES256' }] } }));
  t.deepEqual(refused(privateJwks), [400, 'invalid_jwks']);
  t.regex(privateJwks.body.detail, /private/);
  t.deepEqual(refused(await post(await productBody('bad-d', {}, { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'BBBB' }] } }))), [400, 'invalid_jwks']);
  t.deepEqual(refused(await post(await productBody('bad-e', {}, { jwks: undefined }))), [400, 'invalid_jwks']);
  const serverField = await post(await productBody('bad-f', { version: 3, status: 'active' }));
  t.deepEqual(refused(serverField), [400, 'validation_failed']);
  t.deepEqual(serverField.body.errors.map((e: { path: string }) => e.path).sort(), ['status', 'version']);
  t.deepEqual(refused(await post(await productBody('bad-g', { requestedAccess: [{ dataset: 'horoscopes', actions: ['read'] }] }))), [422, 'unknown_dataset']);
  t.deepEqual(refused(await post(await productBody('bad-h', { requestedAccess: [{ dataset: 'vaccinations', actions: ['write'] }] }))), [422, 'unknown_dataset']);
  t.deepEqual(refused(await post(await productBody('demo-rp'))), [409, 'duplicate']);
  t.deepEqual(refused(await post(await productBody('bad-i', {}, { clientId: 'sandbox-demo-rp' }))), [409, 'duplicate']);
  t.deepEqual(refused(await call(cli, 'POST', '/admin/api/v1/products', { raw: '{"id": ' })), [400, 'bad_request']);
  t.deepEqual(refused(await call(cli, 'POST', '/admin/api/v1/products', { raw: 'id=x', type: 'application/x-www-form-urlencoded' })), [415, 'unsupported_media_type']);
  t.deepEqual(refused(await call(cli, 'POST', '/admin/api/v1/products', { raw: JSON.stringify({ pad: 'x'.repeat(100_000) }) })), [413, 'payload_too_large']);
  t.deepEqual(refused(await call(cli, 'GET', '/admin/api/v1/products/nope')), [404, 'not_found']);
  t.deepEqual(refused(await call(cli, 'PUT', '/admin/api/v1/products/nope', { body: await productBody('nope'), ifMatch: '"1"' })), [404, 'not_found']);

  const cert = { productId: 'min-vardplan', frameworkId: 'nordic-medtest', purpose: 'self-care', certifiedBy: 'Nordic MedTest', evidenceRef: 'R-9' };
  const pastExpiry = await call(maria, 'POST', '/admin/api/v1/certifications', { body: { ...cert, issuedAt: new Date(Date.now() - 86_400_000 * 10).toISOString(), expiresAt: new Date(Date.now() - 86_400_000).toISOString() } });
  t.deepEqual(refused(pastExpiry), [422, 'invalid_date']);
  t.deepEqual(pastExpiry.body.errors.map((e: { path: string }) => e.path), ['expiresAt']);
  t.deepEqual(refused(await call(maria, 'POST', '/admin/api/v1/certifications', { body: { ...cert, issuedAt: new Date(Date.now() + 86_400_000).toISOString(), expiresAt: new Date(Date.now() + 86_400_000 * 9).toISOString() } })), [422, 'invalid_date']);
  t.deepEqual(refused(await call(maria, 'POST', '/admin/api/v1/certifications', { body: { ...cert, productId: 'ghost', issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 86_400_000).toISOString() } })), [422, 'unknown_reference']);

  const approval = { controllerId: 'region-sandbox', productId: 'min-vardplan', purpose: 'self-care', basis: 'own_review' };
  t.deepEqual(refused(await call(sara, 'POST', '/admin/api/v1/approvals', { body: { ...approval, access: [{ dataset: 'bookings', actions: ['read'] }] } })), [422, 'exceeds_request']);
  t.deepEqual(refused(await call(sara, 'POST', '/admin/api/v1/approvals', { body: { ...approval, access: [{ dataset: 'care-plans', actions: ['read'] }], expiresAt: '2001-01-01T00:00:00Z' } })), [422, 'invalid_date']);
  t.deepEqual(refused(await call(sara, 'POST', '/admin/api/v1/approvals', { body: { ...approval, productId: 'demo-rp', access: [{ dataset: 'home-care-decisions', actions: ['read'] }] } })), [422, 'dataset_not_held']);
  t.deepEqual(refused(await call(sara, 'POST', '/admin/api/v1/approvals', { body: { ...approval, access: [{ dataset: 'care-plans', actions: ['read'] }], basis: 'certification' } })), [400, 'validation_failed']);
  t.deepEqual(refused(await call(sara, 'PUT', '/admin/api/v1/controllers/region-sandbox/policy', { body: { accepts: [{ frameworkId: 'no-such-fw', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }] }] }, ifMatch: '"1"' })), [422, 'unknown_reference']);

  t.is(await auditCount(), before, 'not one refused write reached the audit trail');
  for (const id of ['bad-a', 'bad-b', 'bad-c', 'bad-d', 'bad-e', 'bad-f', 'bad-g', 'bad-h', 'bad-i']) {
    t.deepEqual(refused(await call(cli, 'GET', `/admin/api/v1/products/${id}`)), [404, 'not_found'], `${id} was not written`);
  }
  t.is((await call(cli, 'GET', '/admin/api/v1/certifications?productId=min-vardplan')).body.items.length, 0);
});

test.serial('a controller admin sets its policy: the first without If-Match, each later one a new version', async (t) => {
  const tomas = await staff(TOMAS);
  const path = '/admin/api/v1/controllers/sandvik-kommun/policy';
  t.deepEqual(refused(await call(tomas, 'GET', path)), [404, 'not_found']);
  const accepts = [{ frameworkId: 'np', purpose: 'self-care', access: [{ dataset: 'home-care-decisions', actions: ['read'] }] }];
  const first = await call(tomas, 'PUT', path, { body: { accepts } });
  t.is(first.status, 200);
  t.is(first.headers.get('etag'), '"1"');
  t.deepEqual(refused(await call(tomas, 'PUT', path, { body: { accepts: [] } })), [428, 'precondition_required']);
  const second = await call(tomas, 'PUT', path, { body: { accepts: [] }, ifMatch: '"1"' });
  t.is(second.headers.get('etag'), '"2"');
  t.deepEqual((await call(tomas, 'GET', path)).body.accepts, []);
  t.deepEqual((await gw.registryDb!.store.policyHistory('sandvik-kommun')).map((v) => [v.version, v.accepts.length, v.decidedBy]), [[1, 1, TOMAS], [2, 0, TOMAS]]);
});

test.serial('an operator registers, updates and activates a product; a stale update is refused', async (t) => {
  const cli = await clientCredentials(cliClient);
  const body = await productBody('nytt-app', {}, { redirectUris: ['http://localhost:8080/cb'] });
  const created = await call(cli, 'POST', '/admin/api/v1/products', { body });
  t.is(created.status, 201, JSON.stringify(created.body));
  t.is(created.body.status, 'registered');
  t.is(created.headers.get('location'), '/admin/api/v1/products/nytt-app');
  const { id: _id, ...rest } = body;
  const updated = await call(cli, 'PUT', '/admin/api/v1/products/nytt-app', { body: { ...rest, name: 'Nytt namn' }, ifMatch: '"1"' });
  t.is(updated.status, 200);
  t.is(updated.body.name, 'Nytt namn');
  t.deepEqual(refused(await call(cli, 'PUT', '/admin/api/v1/products/nytt-app', { body: rest, ifMatch: '"1"' })), [412, 'version_conflict']);
  t.deepEqual(refused(await call(cli, 'PUT', '/admin/api/v1/products/nytt-app', { body: rest })), [428, 'precondition_required']);
  const active = await call(cli, 'POST', '/admin/api/v1/products/nytt-app/status', { body: { status: 'active' }, ifMatch: '"2"' });
  t.is(active.body.status, 'active');
  t.is(active.headers.get('etag'), '"3"');
});

test.serial('end to end: a product registered and approved through the API gets a token with exactly that approval, and loses it on revocation', async (t) => {
  const cli = await clientCredentials(cliClient);
  const sara = await staff(SARA);
  const product = await makeTestClient('e2e-product-client', 'https://e2e.example.se/cb', { grant_types: ['client_credentials'], scope: 'openid' });
  const body = await productBody('e2e-product', { requestedAccess: [{ dataset: 'bookings', actions: ['read', 'write'] }] },
    { clientId: 'e2e-product-client', redirectUris: ['https://e2e.example.se/cb'], jwks: product.config.jwks, grantTypes: ['client_credentials'], scope: 'openid' });
  t.is((await call(cli, 'POST', '/admin/api/v1/products', { body })).status, 201);
  t.is((await call(cli, 'POST', '/admin/api/v1/products/e2e-product/status', { body: { status: 'active' }, ifMatch: '"1"' })).status, 200);
  const tokenFor = async () => {
    try {
      return await clientCredentials(product);
    } catch (err) {
      return (err as { error?: string }).error ?? (err as Error).message;
    }
  };
  t.is(await tokenFor(), 'invalid_client', 'active but approved by nobody');

  const approval = await call(sara, 'POST', '/admin/api/v1/approvals', { body: { controllerId: 'region-sandbox', productId: 'e2e-product', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }], basis: 'own_review' } });
  t.is(approval.status, 201);
  const config = await oidc.discovery(new URL(gw.url), 'e2e-product-client', {}, oidc.PrivateKeyJwt({ key: product.privateKey, kid: product.kid }), { execute: [oidc.allowInsecureRequests] });
  const tokens = await oidc.clientCredentialsGrant(config, {}, { DPoP: oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256')) });
  t.deepEqual(tokens.authorization_details, [{ type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['region-sandbox'] }]);

  t.is((await call(sara, 'POST', `/admin/api/v1/approvals/${approval.body.id}/revoke`, { ifMatch: '"1"' })).status, 200);
  t.is(await tokenFor(), 'invalid_client', 'revoked: no token any more');
  const introspection = await oidc.tokenIntrospection(config, tokens.access_token).catch((err: { error?: string }) => err.error);
  t.is(introspection, 'invalid_client', 'the product is no client any more, not even to introspect its old token');
});

test.serial('the OpenAPI document is valid JSON, OpenAPI 3.1, and lists every path of the contract', async (t) => {
  const res = await fetch(`${gw.url}/admin/api/openapi.json`);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /application\/json/);
  const doc = JSON.parse(await res.text()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown; parameters: Array<{ name: string }> }>> };
  t.is(doc.openapi, '3.1.0');
  const contract: Record<string, string[]> = {
    '/me': ['get'], '/controllers': ['get', 'post'], '/controllers/{id}': ['get', 'put'], '/controllers/{id}/policy': ['get', 'put'],
    '/frameworks': ['get', 'post'], '/frameworks/{id}': ['get', 'put'], '/products': ['get', 'post'], '/products/{id}': ['get', 'put'],
    '/products/{id}/status': ['post'], '/products/{id}/access': ['get'], '/certifications': ['get', 'post'], '/certifications/{id}': ['get'],
    '/certifications/{id}/withdraw': ['post'], '/approvals': ['get', 'post'], '/approvals/{id}': ['get'], '/approvals/{id}/revoke': ['post'],
    '/roles': ['get', 'post'], '/roles/{id}': ['delete'], '/audit': ['get'], '/controllers/{id}/jump-policy': ['get', 'put'], '/controllers/{id}/pending': ['get'],
    // The exposure resources are routes of the same table where the decision point runs (here it does).
    '/approvals/{id}/limits': ['get', 'put'], '/controllers/{id}/cohorts': ['get', 'post'], '/controllers/{id}/cohorts/{cohortId}': ['get', 'put', 'delete'],
    '/suspensions': ['get'], '/suspensions/{id}/report': ['get'], '/suspensions/{id}/lift': ['post'],
  };
  t.deepEqual(Object.keys(doc.paths).sort(), Object.keys(contract).sort(), 'no path more, none less');
  for (const [path, methods] of Object.entries(contract)) {
    t.deepEqual(Object.keys(doc.paths[path] ?? {}).sort(), methods.sort(), path);
  }
  t.truthy(doc.paths['/approvals']!.post!.requestBody);
  t.true(doc.paths['/approvals/{id}/revoke']!.post!.parameters.some((p) => p.name === 'If-Match'));
  t.true(doc.paths['/approvals']!.get!.parameters.some((p) => p.name === 'controllerId'));
});

test.serial('roles: an operator assigns and removes; the last operator cannot be removed', async (t) => {
  const cli = await clientCredentials(cliClient);
  const olof = await staff(OLOF);
  const bad = await call(cli, 'POST', '/admin/api/v1/roles', { body: { subject: { kind: 'staff', hsaId: NOBODY }, role: 'controller_admin', scope: 'no-such-controller' } });
  t.deepEqual(refused(bad), [422, 'invalid_scope']);
  t.deepEqual(refused(await call(cli, 'POST', '/admin/api/v1/roles', { body: { subject: { kind: 'staff', hsaId: NOBODY }, role: 'operator', scope: 'x' } })), [422, 'invalid_scope']);
  const created = await call(cli, 'POST', '/admin/api/v1/roles', { body: { subject: { kind: 'staff', hsaId: NOBODY }, role: 'certifier', scope: 'np' } });
  t.is(created.status, 201);
  t.deepEqual(refused(await call(cli, 'POST', '/admin/api/v1/roles', { body: { subject: { kind: 'staff', hsaId: NOBODY }, role: 'certifier', scope: 'np' } })), [409, 'duplicate']);
  t.is((await call(await staff(NOBODY), 'GET', '/admin/api/v1/me')).status, 200, 'the new role works at once');
  t.deepEqual(refused(await call(cli, 'DELETE', `/admin/api/v1/roles/${created.body.id}`, { ifMatch: '"9"' })), [412, 'version_conflict']);
  t.is((await call(cli, 'DELETE', `/admin/api/v1/roles/${created.body.id}`, { ifMatch: '"1"' })).status, 204);
  t.deepEqual(refused(await call(cli, 'DELETE', `/admin/api/v1/roles/${created.body.id}`)), [404, 'not_found']);
  t.deepEqual(refused(await call(await staff(NOBODY), 'GET', '/admin/api/v1/me')), [403, 'no_role']);

  const operators = (await call(cli, 'GET', '/admin/api/v1/roles')).body.items.filter((r: { role: string }) => r.role === 'operator');
  const olofRole = operators.find((r: { subject: { hsaId?: string } }) => r.subject.hsaId === OLOF);
  const cliRole = operators.find((r: { subject: { clientId?: string } }) => r.subject.clientId === 'gateway-cli');
  t.is((await call(cli, 'DELETE', `/admin/api/v1/roles/${olofRole.id}`)).status, 204);
  t.deepEqual(refused(await call(olof, 'GET', '/admin/api/v1/roles')), [403, 'no_role']);
  t.deepEqual(refused(await call(cli, 'DELETE', `/admin/api/v1/roles/${cliRole.id}`)), [409, 'last_operator']);
});

test.serial('path ids are checked before anything reads them: a NUL byte or an odd id is a 400 naming the parameter, never a 500', async (t) => {
  const cli = await clientCredentials(cliClient);
  const sara = await staff(SARA);
  const cases: Array<[Caller, string, string, Parameters<typeof callApi>[4]]> = [
    [cli, 'GET', '/admin/api/v1/products/demo%00rp', {}],
    [cli, 'GET', '/admin/api/v1/products/demo-rp%00/access', {}],
    [cli, 'GET', '/admin/api/v1/controllers/%00', {}],
    [cli, 'PUT', '/admin/api/v1/controllers/region%00sandbox', { body: { orgNumber: '1234567890', name: 'X', kind: 'region' }, ifMatch: '"1"' }],
    [sara, 'PUT', '/admin/api/v1/controllers/Region-Sandbox/policy', { body: { accepts: [] }, ifMatch: '"1"' }],
    [cli, 'GET', '/admin/api/v1/certifications/..%2F..', {}],
    [sara, 'POST', '/admin/api/v1/approvals/a%00b/revoke', { ifMatch: '"1"' }],
    [cli, 'DELETE', '/admin/api/v1/roles/%E2%80%AE', {}],
    [sara, 'GET', '/admin/api/v1/approvals/x%00/limits', {}],
  ];
  const before = await auditCount();
  for (const [caller, method, path, options] of cases) {
    const reply = await call(caller, method, path, options);
    t.deepEqual(refused(reply), [400, 'validation_failed'], `${method} ${path}`);
    t.true(reply.body.errors?.every((e: { path: string }) => e.path.startsWith('path.')), `${method} ${path}: the parameter is named`);
  }
  t.is(await auditCount(), before);
  t.deepEqual(refused(await call(undefined, 'GET', '/admin/api/v1/products/demo%00rp')), [401, 'token_missing'], 'no token: nothing else is looked at');
});

test('a DPoP proof is checked against the URL as the issuer names it, not as the Host header does', async (t) => {
  const caller = await staff(STAFF.SARA);
  const { request } = await import('node:http');
  const path = '/admin/api/v1/controllers';
  const send = async (htu: string, host: string) => {
    const jwk = await exportJWK(caller.keys.publicKey);
    const dpop = await new SignJWT({ htm: 'GET', htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ath: createHash('sha256').update(caller.token).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(caller.keys.privateKey);
    return new Promise<number>((resolve, reject) => {
      request(`${gw.url}${path}`, { headers: { host, authorization: `DPoP ${caller.token}`, dpop } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
    });
  };
  const own = new URL(gw.url).host;
  t.is(await send(`${gw.url}${path}`, own), 200, 'the proof for this gateway passes');
  t.is(await send(`http://other.example${path}`, 'other.example'), 401, 'a proof made for another host does not, whatever Host says');
});
