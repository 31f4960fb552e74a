// The console's and the CLI's small decisions, each on its own: reading the approve form, the
// certification expiry warning, the return path after sign-in, reading problems, the CLI's data-set
// syntax and exit codes, and the plain-words sentence of a confirmation page.
import test from 'ava';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { ManualClock } from '../../src/clock.ts';
import { createHotStore } from '../../src/store/index.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { parseConfig, productionProblems } from '../../src/config.ts';
import { adminClients } from '../../src/whitelist/adminClients.ts';
import { readApproveForm } from '../../src/whitelist/console/router.ts';
import { certificationWarning, approveConfirmPage, revokeConfirmPage, problemPage, liveAccessOf, approveOffer, certificationState, confirmPage, localTime } from '../../src/whitelist/console/views.ts';
import { problemWords } from '../../src/whitelist/console/words.ts';
import { stockholmMidnight } from '../../src/whitelist/console/screens.ts';
import { RULE_REASONS } from '../../src/whitelist/authorization.ts';
import { readFileSync } from 'node:fs';
import { ConsoleSessions, safeReturnTo, sameSecret } from '../../src/whitelist/console/session.ts';
import { AdminApiProblem, problemFromBody, listOf } from '../../src/whitelist/adminApiClient.ts';
import { parseDataset, exitCodeFor, EXIT } from '../../src/whitelist/cli.ts';
import type { Approval, Certification, Controller, Product } from '../../src/whitelist/model.ts';

const NOW = Date.parse('2026-11-25T08:00:00Z');
const DAY = 24 * 3600 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

const cert = (expiresAt: number, status: Certification['status'] = 'valid'): Certification => ({
  id: `c-${expiresAt}`, productId: 'p', frameworkId: 'nordic-medtest', purpose: 'self-care', certifiedBy: 'Nordic MedTest',
  issuedAt: iso(NOW - 100 * DAY), expiresAt: iso(expiresAt), evidenceRef: 'r', status, version: 1, createdAt: iso(NOW), updatedAt: iso(NOW),
});

const product = { id: 'demo-rp', name: 'Demoappen', purpose: 'self-care' } as Product;
const region = { id: 'region-sandbox', name: 'Region Sandbox' } as Controller;

test('the approve form: data sets and actions are grouped per data set, and the basis is required', (t) => {
  const { input, errors } = readApproveForm({
    controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review', csrf: 'x',
    access: ['bookings:write', 'bookings:read', 'vaccinations:read'],
  }, 'en');
  t.deepEqual(errors, []);
  t.deepEqual(input, {
    controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review',
    access: [{ dataset: 'bookings', actions: ['read', 'write'] }, { dataset: 'vaccinations', actions: ['read'] }],
  });
});

test('the approve form refuses missing data, unknown actions, a certification basis and a trusted review without a reviewer', (t) => {
  t.true(readApproveForm({ controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review' }, 'en').errors.some((e) => /at least one data set/.test(e)));
  t.true(readApproveForm({ controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review', access: 'bookings:delete' }, 'en').errors.some((e) => /Unknown choice/.test(e)));
  t.true(readApproveForm({ controllerId: 'region-sandbox', purpose: 'self-care', basis: 'certification', access: 'bookings:read' }, 'en').errors.some((e) => /basis/.test(e)));
  t.true(readApproveForm({ controllerId: 'region-sandbox', purpose: 'self-care', basis: 'trusted_reviewer', access: 'bookings:read' }, 'sv').errors.some((e) => /granskade/.test(e)));
  t.true(readApproveForm({ controllerId: '../etc', purpose: 'self-care', basis: 'own_review', access: 'bookings:read' }, 'en').errors.some((e) => /data controller/.test(e)));
  t.true(readApproveForm({ controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review', access: 'bookings:read', expiresAt: 'tomorrow' }, 'en').errors.some((e) => /YYYY-MM-DD/.test(e)));
});

test('certification warnings: expired, expiring within 30 days, fine, withdrawn or none', (t) => {
  t.is(certificationWarning([cert(NOW - DAY)], NOW, 'en').level, 'bad');
  t.regex(certificationWarning([cert(NOW - DAY)], NOW, 'sv').text, /har gått ut/);
  const soon = certificationWarning([cert(NOW + 10 * DAY)], NOW, 'en');
  t.is(soon.level, 'warn');
  t.regex(soon.text, /expires in 10 days/);
  t.is(certificationWarning([cert(NOW + 30 * DAY)], NOW, 'en').level, 'warn', 'the 30th day still warns');
  t.is(certificationWarning([cert(NOW + 31 * DAY)], NOW, 'en').level, 'ok');
  t.is(certificationWarning([cert(NOW + 300 * DAY, 'withdrawn')], NOW, 'en').level, 'none', 'a withdrawn certification does not count');
  t.is(certificationWarning([], NOW, 'en').level, 'none');
  t.is(certificationWarning([cert(NOW + 300 * DAY), cert(NOW - DAY)], NOW, 'en').level, 'bad', 'an expired one is shown even beside a valid one');
});

test('after sign-in the console returns only to its own pages', (t) => {
  t.is(safeReturnTo('/admin/products/demo-rp?x=1'), '/admin/products/demo-rp?x=1');
  t.is(safeReturnTo('https://evil.example/admin/'), '/admin/');
  t.is(safeReturnTo('//evil.example/admin/'), '/admin/');
  t.is(safeReturnTo('/admin//evil.example'), '/admin/');
  t.is(safeReturnTo('/sandbox/rp'), '/admin/');
  t.is(safeReturnTo(['/admin/x']), '/admin/');
  t.is(safeReturnTo('/admin/"><script>'), '/admin/');
});

test('CSRF tokens are compared in full', (t) => {
  t.true(sameSecret('abc', 'abc'));
  t.false(sameSecret('abd', 'abc'));
  t.false(sameSecret('ab', 'abc'));
  t.false(sameSecret(undefined, 'abc'));
});

test('problem+json bodies become problems with the contract code; anything else keeps the status', (t) => {
  const p = problemFromBody(403, { type: 'urn:gateway:problem:outside_controller', title: 'Forbidden', detail: 'not yours', errors: [{ path: 'controllerId', message: 'x' }] });
  t.is(p.code, 'outside_controller');
  t.is(p.detail, 'not yours');
  t.deepEqual(p.errors, [{ path: 'controllerId', message: 'x' }]);
  t.is(problemFromBody(500, 'oops').code, 'http_500');
  t.deepEqual(listOf({ items: [1, 2] }), [1, 2]);
  t.deepEqual(listOf([3]), [3]);
  t.deepEqual(listOf({ nothing: true }), []);
});

test('the CLI reads data sets as <dataset>:<actions> and refuses anything else', (t) => {
  t.deepEqual(parseDataset('bookings:write,read'), { dataset: 'bookings', actions: ['read', 'write'] });
  t.throws(() => parseDataset('bookings'));
  t.throws(() => parseDataset('bookings:delete'));
  t.throws(() => parseDataset(':read'));
});

test('the CLI exit code names the kind of problem', (t) => {
  const code = (status: number) => exitCodeFor(new AdminApiProblem(status, 'x', 'x'));
  t.is(code(401), EXIT.unauthenticated);
  t.is(code(403), EXIT.forbidden);
  t.is(code(404), EXIT.notFound);
  t.is(code(409), EXIT.conflict);
  t.is(code(412), EXIT.conflict);
  t.is(code(428), EXIT.conflict);
  t.is(code(400), EXIT.invalid);
  t.is(code(502), EXIT.unavailable);
  t.not(EXIT.ok, code(418));
});

test('confirmation pages say in plain words what changes, and carry the CSRF token and the version', (t) => {
  const view = { locale: 'en' as const, path: '/admin/x', csrf: 'tok' };
  const approve = approveConfirmPage(view, product, region, {
    controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review',
    access: [{ dataset: 'bookings', actions: ['read'] }, { dataset: 'vaccinations', actions: ['read'] }],
  });
  t.regex(approve, /Region Sandbox will start sharing bookings \(read\) and vaccinations \(read\) with Demoappen/);
  t.regex(approve, /name="csrf" value="tok"/);
  const sv = approveConfirmPage({ ...view, locale: 'sv' }, product, region, { controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review', access: [{ dataset: 'bookings', actions: ['read', 'write'] }] });
  t.regex(sv, /Region Sandbox börjar dela bokningar \(läsa, skriva\) med Demoappen/);
  const approval = { id: 'a1', controllerId: 'region-sandbox', productId: 'demo-rp', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }], basis: 'own_review', status: 'active', version: 7 } as Approval;
  const revoke = revokeConfirmPage(view, product, region, approval);
  t.regex(revoke, /Region Sandbox will stop sharing bookings \(read\) with Demoappen/);
  t.regex(revoke, /name="version" value="7"/);
  t.notRegex(revoke, /<script/);
});

test('problem pages explain 403 codes and a stale version, and never show a stack', (t) => {
  const view = { locale: 'en' as const, path: '/admin/x' };
  const page = problemPage(view, new AdminApiProblem(403, 'outside_controller', 'Forbidden', 'controller sandvik-kommun is not yours'));
  t.regex(page, /You administer another data controller/);
  t.regex(page, /outside_controller/);
  const stale = problemPage(view, new AdminApiProblem(412, 'version_conflict', 'Precondition failed'), '/admin/products/p/approvals/a/revoke');
  t.regex(stale, /Someone else changed this/);
  t.regex(stale, /href="\/admin\/products\/p\/approvals\/a\/revoke">Reload/);
  t.notRegex(problemPage(view, new AdminApiProblem(500, 'internal', 'Internal error')), /at .*\.ts:\d+/);
});

test('live access is read from the API answer whether bare or wrapped', (t) => {
  const row = { controllerId: 'region-sandbox', access: [{ dataset: 'bookings', actions: ['read'] }], basis: 'policy' };
  t.deepEqual(liveAccessOf([row]).map((r) => r.controllerId), ['region-sandbox']);
  t.deepEqual(liveAccessOf({ approvals: [row], lapses: [] }).map((r) => r.basis), ['policy']);
  t.deepEqual(liveAccessOf({ approvals: [{ nope: 1 }] }), []);
});

// --- Registration of the two admin clients ---

test('sandbox: the console and the CLI are registered with generated keys; the console takes staff sign-ins only', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'admin-clients-'));
  const config = parseConfig({ sandboxDir: dir });
  const { consoleKey, clients } = await adminClients(config);
  t.truthy(consoleKey);
  t.true(consoleKey!.generated);
  const byId = new Map(clients.map((c) => [c.client_id, c]));
  t.deepEqual(byId.get('gateway-admin')?.authn_methods, ['siths-saml', 'siths-card']);
  t.deepEqual(byId.get('gateway-admin')?.redirect_uris, [`${config.issuer}/admin/callback`]);
  t.deepEqual(byId.get('gateway-cli')?.grant_types, ['client_credentials']);
  t.false(JSON.stringify(byId.get('gateway-cli')?.jwks).includes('"d"'), 'only the public key is registered');
  t.true(existsSync(join(dir, 'keys', 'gateway-cli.json')));
  const again = await adminClients(config);
  t.deepEqual(again.consoleKey?.publicJwk, consoleKey!.publicJwk, 'the key is generated once');
  t.deepEqual((await adminClients(parseConfig({ sandboxDir: dir, admin: { console: { enabled: false }, cli: { enabled: false } } }))).clients, []);
  const overridden = await adminClients(config, new Set(['gateway-cli', 'gateway-admin']));
  t.deepEqual(overridden.clients, [], 'clients registered elsewhere (configuration, tests) win');
  t.is(overridden.consoleKey, undefined, 'and without its own client the console does not run');
});

test('production: no admin clients unless configured; sandbox keys and private JWKS are refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'admin-clients-'));
  const production = (admin: Record<string, unknown>) => parseConfig({ mode: 'production', sandboxDir: dir, issuer: 'https://gw.example.se', admin });
  t.deepEqual((await adminClients(production({}))).clients, []);
  t.true(productionProblems(production({ console: { enabled: true } }), { generatedKeys: false, generatedSecrets: false }).some((p) => p.startsWith('admin.console.keyFile')));
  t.true(productionProblems(production({ cli: { enabled: true } }), { generatedKeys: false, generatedSecrets: false }).some((p) => p.startsWith('admin.cli.jwksFile')));

  await adminClients(parseConfig({ sandboxDir: dir }));
  await t.throwsAsync(adminClients(production({ console: { keyFile: join(dir, 'keys', 'gateway-admin.json') } })), { message: /refuses a key the sandbox generated/ });

  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  const keyFile = join(dir, 'console-key.json');
  writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid }));
  const jwksFile = join(dir, 'cli-jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid }] }));
  const configured = await adminClients(production({ console: { keyFile }, cli: { jwksFile } }));
  t.deepEqual(configured.clients.map((c) => c.client_id), ['gateway-admin', 'gateway-cli']);
  t.false(configured.consoleKey!.generated);
  t.is(configured.consoleKey!.publicJwk.kid, kid);

  const leaky = join(dir, 'cli-private.json');
  writeFileSync(leaky, JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid }] }));
  await t.throwsAsync(adminClients(production({ cli: { jwksFile: leaky } })), { message: /public JWKS/ });
});

test('under an https issuer the session cookie is Secure (also behind a proxy that Koa does not see as TLS)', async (t) => {
  const clock = new ManualClock();
  const store = await createHotStore({ keyPrefix: 't:' }, clock);
  const sessions = new ConsoleSessions({ store, clock, ttlSeconds: 600, secure: true });
  const app = new Koa();
  app.use(async (ctx) => {
    await sessions.create(ctx, {
      accessToken: 't', accessTokenExpiresAt: clock.now() + 300_000, idToken: undefined,
      dpop: { privateJwk: {}, publicJwk: {} }, staff: { name: 'x', hsaId: undefined, orgName: undefined, roles: [] },
    });
    ctx.body = 'ok';
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('gw_admin='))!;
    t.regex(cookie, /; secure/i);
    t.regex(cookie, /httponly/i);
    const id = /^gw_admin=([^;]+)/.exec(cookie)![1]!;
    t.true(id.length >= 43, 'at least 256 bits of randomness');
    t.is(await store.get(`admin-session:${id}`), undefined, 'the store keys sessions by a hash of the id, not the id');
  } finally {
    server.close();
    await store.close();
  }
});

// --- Issue 15: the console's words, times and truthful states ---

test('every reason code the registry, its API or the console can answer has a sentence in Swedish and English', (t) => {
  const sources = ['src/whitelist/service.ts', 'src/whitelist/store.ts', 'src/whitelist/errors.ts', 'src/whitelist/api/router.ts', 'src/whitelist/api/principal.ts',
    'src/whitelist/api/concerns.ts', 'src/scopes/exposureAdmin.ts', 'src/whitelist/console/router.ts', 'src/whitelist/console/screens.ts'];
  const codes = new Set<string>(RULE_REASONS);
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:RegistryError\(\d+, |invalid\(|#fieldErrors\(|AdminApiProblem\(\d+, |code: )'([a-z_]+)'/g)) codes.add(m[1]!);
    for (const m of text.matchAll(/'(payload_too_large|bad_request|invalid_redirect_uri|invalid_jwks|invalid_client_metadata)'/g)) codes.add(m[1]!);
  }
  t.true(codes.size > 30, `found ${codes.size} codes`);
  for (const code of codes) {
    for (const locale of ['sv', 'en'] as const) {
      const words = problemWords(locale, code);
      t.truthy(words, `${code} has no ${locale} sentence`);
      t.notRegex(words?.text ?? '', /\{\w+\}/, `${code}: a placeholder is left`);
    }
  }
  // The code is kept, small, beside the sentence.
  const page = problemPage({ locale: 'sv', path: '/admin/x' }, new AdminApiProblem(403, 'own_product', 'Forbidden', 'SE5591234567-LV01 is the supplier of product demo-rp'));
  t.regex(page, /Din organisation är leverantör av produkten/);
  t.regex(page, /<small class="code">Felkod: own_product \(HTTP 403\)<\/small>/);
  t.regex(page, /<details><summary>/, 'the machine text is behind a click, for support');
});

test('times are shown in Swedish time, and a calendar day starts at Stockholm midnight', (t) => {
  t.is(stockholmMidnight('2026-07-01'), '2026-06-30T22:00:00.000Z', 'summer time: UTC+2');
  t.is(stockholmMidnight('2026-12-01'), '2026-11-30T23:00:00.000Z', 'winter time: UTC+1');
  t.regex(localTime('2026-07-01T10:30:00Z', 'sv'), /12:30/);
  t.regex(localTime('2026-12-01T10:30:00Z', 'en'), /11:30/);
  t.is(localTime(undefined, 'sv'), '–');
});

test('truthful states: approve is not offered for a retired product and says "once active" otherwise; an expired certification reads Utgången', (t) => {
  t.is(approveOffer({ status: 'active' } as Product), 'now');
  t.is(approveOffer({ status: 'registered' } as Product), 'later');
  t.is(approveOffer({ status: 'suspended' } as Product), 'later');
  t.is(approveOffer({ status: 'retired' } as Product), 'never');
  t.is(certificationState(cert(NOW - DAY), NOW, 'sv'), 'Utgången');
  t.is(certificationState(cert(NOW - DAY), NOW, 'en'), 'Expired');
  t.is(certificationState(cert(NOW + DAY), NOW, 'sv'), 'Giltig');
  t.is(certificationState(cert(NOW + DAY, 'withdrawn'), NOW, 'en'), 'Withdrawn');
  const view = { locale: 'en' as const, path: '/admin/x', csrf: 'tok' };
  const later = approveConfirmPage(view, { ...product, status: 'suspended' }, region, { controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review', access: [{ dataset: 'bookings', actions: ['read'] }] });
  t.regex(later, /takes effect only once the product is active/);
  const now = approveConfirmPage(view, { ...product, status: 'active' }, region, { controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review', access: [{ dataset: 'bookings', actions: ['read'] }] });
  t.regex(now, /as soon as you confirm/);
});

test('a confirmation works without JavaScript: a plain form that posts the same fields again with confirmed=yes, the danger style when it removes something', (t) => {
  const view = { locale: 'sv' as const, path: '/admin/x', csrf: 'tok' };
  const page = confirmPage(view, { title: 'T', sentences: ['Rollen tas bort.'], action: '/admin/roles/r1/remove', fields: { version: '3', many: ['a', 'b'] }, button: 'Ta bort', danger: true, reason: true, back: '/admin/roles' });
  t.regex(page, /<form method="post" action="\/admin\/roles\/r1\/remove">/);
  t.regex(page, /name="csrf" value="tok"/);
  t.regex(page, /name="confirmed" value="yes"/);
  t.regex(page, /name="version" value="3"/);
  t.is([...page.matchAll(/name="many"/g)].length, 2);
  t.regex(page, /<button type="submit" id="confirm" class="danger">Ta bort<\/button>/);
  t.regex(page, /<textarea id="reason" name="reason" required/);
  t.notRegex(page, /<script/);
});
