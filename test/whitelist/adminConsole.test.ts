// The admin console's session rules over plain HTTP (no Chromium): pages need a session, a citizen
// who signs in gets none, the return path stays inside the console, and the cookie is what it should be.
import test from 'ava';
import { createHash } from 'node:crypto';
import type { Gateway } from '../../src/gateway.ts';
import { ManualClock } from '../../src/clock.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { browserThroughBankId, browserThroughSaml } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';
import { STAFF, callApi, staffToken } from '../helpers/adminApi.ts';

const ANNA = '198003121236';

let gw: Gateway;

test.before(async () => {
  // BankID is allowed for the console here only so that a citizen can try: the console must refuse them.
  gw = await startTestGateway({ overrides: { admin: { console: { authnMethods: ['bankid', 'siths-saml', 'siths-card'] } } } });
});

test.after.always(async () => {
  await gw?.close();
});

test('console pages without a session send the browser to sign in, remembering the page', async (t) => {
  const ua = new UserAgent(gw.url);
  const res = await ua.request('/admin/products/demo-rp?lang=en');
  t.is(res.status, 302);
  t.is(res.location, `${gw.url}/admin/login?returnTo=${encodeURIComponent('/admin/products/demo-rp?lang=en')}`);
  const login = await ua.request(res.location!);
  t.is(login.status, 302);
  const auth = new URL(login.location!);
  t.is(auth.origin + auth.pathname, `${gw.url}/auth`);
  t.is(auth.searchParams.get('client_id'), 'gateway-admin');
  t.truthy(auth.searchParams.get('request_uri'), 'the console pushes its authorization request (PAR)');
  const pending = /gw_admin_login=[^;]+;.*/i.exec(login.headers.getSetCookie().join('\n'))?.[0] ?? '';
  t.regex(pending, /httponly/i);
  t.regex(pending, /samesite=lax/i);
  t.regex(pending, /path=\/admin/i);
});

test('a form post without a session is refused, and changes nothing', async (t) => {
  const ua = new UserAgent(gw.url);
  const res = await ua.request('/admin/approvals/a1/revoke', { form: { version: '1', productId: 'demo-rp', csrf: 'guess' } });
  t.is(res.status, 401);
  t.regex(res.text, /data-code="session_expired"/);
  t.notRegex(res.text, /at .*\.ts:\d+/);
});

test('a citizen who signs in to the console is refused and gets no session', async (t) => {
  const ua = new UserAgent(gw.url);
  const login = await ua.request('/admin/login');
  const callback = await browserThroughBankId(gw, new URL(login.location!), ANNA, `${gw.url}/admin/callback`, ua);
  const res = await ua.request(callback.href);
  t.is(res.status, 403);
  t.regex(res.text, /data-code="not_staff"/);
  t.regex(res.text, /Bara för medarbetare/);
  t.false(res.headers.getSetCookie().some((c) => /^gw_admin=[^;]+/.test(c)), 'no session cookie was set');
  const after = await ua.request('/admin/');
  t.is(after.status, 302, 'still not signed in');
  t.regex(after.location ?? '', /\/admin\/login/);
});

test('a callback without a pending sign-in (or replayed) is refused with a page, not a 500', async (t) => {
  const ua = new UserAgent(gw.url);
  const res = await ua.request('/admin/callback?code=x&state=y&iss=z');
  t.is(res.status, 400);
  t.regex(res.text, /data-code="sign_in_failed"/);
  t.regex(res.headers.get('content-security-policy') ?? '', /script-src 'nonce-/);
});

// --- Staff sessions (SITHS SAML simulator personas, roles from the seeded registry) ---

async function staffSession(persona: string): Promise<UserAgent> {
  const ua = new UserAgent(gw.url);
  const login = await ua.request('/admin/login?returnTo=%2Fadmin%2F%3Flang%3Den');
  const callback = await browserThroughSaml(gw, new URL(login.location!), 'siths-saml', persona, `${gw.url}/admin/callback`, { ua });
  const res = await ua.request(callback.href);
  if (res.status !== 302) throw new Error(`sign-in to the console failed: ${res.status} ${res.text.slice(0, 500)}`);
  return ua;
}

const csrfOf = (text: string): string => /name="csrf" value="([^"]+)"/.exec(text)?.[1] ?? '';

const approveForm = (csrf?: string): Record<string, string> => ({
  controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review', access: 'bookings:read', ...(csrf !== undefined ? { csrf } : {}),
});

async function regionSandboxApprovals(ua: UserAgent, productId: string): Promise<Array<{ id: string; status: string }>> {
  const page = await ua.request(`/admin/products/${productId}?lang=en`);
  return [...page.text.matchAll(/<tr id="approval-([^"]+)" data-status="([a-z]+)">\s*<td>Region Sandbox<\/td>/g)].map((m) => ({ id: m[1]!, status: m[2]! }));
}

test.serial('a controller administrator signs in: an httpOnly SameSite=Lax session cookie, and the page names her role', async (t) => {
  const ua = new UserAgent(gw.url);
  const login = await ua.request('/admin/login');
  const callback = await browserThroughSaml(gw, new URL(login.location!), 'siths-saml', 'sara', `${gw.url}/admin/callback`, { ua });
  const res = await ua.request(callback.href);
  t.is(res.status, 302);
  t.is(res.location, `${gw.url}/admin/`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('gw_admin='))!;
  t.truthy(cookie);
  t.regex(cookie, /httponly/i);
  t.regex(cookie, /samesite=lax/i);
  t.regex(cookie, /path=\/admin/i);
  t.notRegex(cookie, /secure/i, 'not Secure over plain http on loopback');
  const list = await ua.request('/admin/?lang=en');
  t.is(list.status, 200);
  t.regex(list.text, /SE2321000016-A1B2/);
  t.regex(list.text, /Data controller administrator \(region-sandbox\)/);
  t.regex(list.text, /id="product-bokningsappen"[\s\S]*?Certification expired/);
});

test.serial('form posts without the CSRF token, with a wrong one, or from another origin are refused and change nothing', async (t) => {
  const ua = await staffSession('sara');
  const csrf = csrfOf((await ua.request('/admin/')).text);
  t.truthy(csrf);
  const none = await ua.request('/admin/products/bokningsappen/approve', { form: approveForm() });
  t.is(none.status, 403);
  t.regex(none.text, /data-code="csrf"/);
  const wrong = await ua.request('/admin/products/bokningsappen/approve', { form: approveForm(`${csrf.slice(0, -2)}xx`) });
  t.is(wrong.status, 403);
  const crossSite = await ua.request('/admin/products/bokningsappen/approve', { form: approveForm(csrf), headers: { origin: 'https://evil.example' } });
  t.is(crossSite.status, 403);
  t.deepEqual(await regionSandboxApprovals(ua, 'bokningsappen'), [], 'no approval was made');

  const ok = await ua.request('/admin/products/bokningsappen/approve', { form: approveForm(csrf), headers: { origin: new URL(gw.url).origin } });
  t.is(ok.status, 302, ok.text.slice(0, 500));
  t.is(ok.location, `${gw.url}/admin/products/bokningsappen?done=approved`);
  const made = await regionSandboxApprovals(ua, 'bokningsappen');
  t.is(made.length, 1);

  // Clean up through the confirmation page's own form.
  const confirm = await ua.request(`/admin/products/bokningsappen/approvals/${made[0]!.id}/revoke?lang=en`);
  t.regex(confirm.text, /Region Sandbox will stop sharing Bookings \(read\) with Bokningsappen|Region Sandbox will stop sharing bookings \(read\) with Bokningsappen/);
  const version = /name="version" value="(\d+)"/.exec(confirm.text)![1]!;
  const noToken = await ua.request(`/admin/approvals/${made[0]!.id}/revoke`, { form: { version, productId: 'bokningsappen' } });
  t.is(noToken.status, 403, 'revoking needs the token too');
  const revoked = await ua.request(`/admin/approvals/${made[0]!.id}/revoke`, { form: { version, productId: 'bokningsappen', csrf: csrfOf(confirm.text), reason: 'Testet städar' } });
  t.is(revoked.status, 302);
  t.deepEqual((await regionSandboxApprovals(ua, 'bokningsappen')).map((a) => a.status), ['revoked']);
});

test.serial('a stale version is refused with "someone else changed this", and another controller\'s admin gets the 403 explained', async (t) => {
  const sara = await staffSession('sara');
  const other = await staffSession('sara');
  const approved = await sara.request('/admin/products/min-vardplan/approve', { form: { ...approveForm(csrfOf((await sara.request('/admin/')).text)), access: 'care-plans:read' } });
  t.is(approved.status, 302, approved.text.slice(0, 400));
  const [approval] = await regionSandboxApprovals(sara, 'min-vardplan');
  const confirmA = await sara.request(`/admin/products/min-vardplan/approvals/${approval!.id}/revoke?lang=en`);
  const versionA = /name="version" value="(\d+)"/.exec(confirmA.text)![1]!;

  const tomas = await staffSession('tomas');
  const refused = await tomas.request(`/admin/approvals/${approval!.id}/revoke?lang=en`, { form: { version: versionA, productId: 'min-vardplan', csrf: csrfOf((await tomas.request('/admin/?lang=en')).text), reason: 'Fel kommun' } });
  t.is(refused.status, 403);
  t.regex(refused.text, /data-code="outside_controller"/);
  t.regex(refused.text, /You administer another data controller/);

  const confirmB = await other.request(`/admin/products/min-vardplan/approvals/${approval!.id}/revoke`);
  const byOther = await other.request(`/admin/approvals/${approval!.id}/revoke`, { form: { version: /name="version" value="(\d+)"/.exec(confirmB.text)![1]!, productId: 'min-vardplan', csrf: csrfOf(confirmB.text), reason: 'Ersatt' } });
  t.is(byOther.status, 302);
  const stale = await sara.request(`/admin/approvals/${approval!.id}/revoke`, { form: { version: versionA, productId: 'min-vardplan', csrf: csrfOf(confirmA.text), reason: 'Gammal sida' } });
  t.is(stale.status, 412);
  t.regex(stale.text, /data-code="version_conflict"/);
  t.regex(stale.text, /Någon annan har ändrat det här|Someone else changed this/);
  t.regex(stale.text, /Ladda om|Reload/);
});

test.serial('logout ends the console session: the old cookie no longer opens a page', async (t) => {
  const ua = await staffSession('sara');
  const page = await ua.request('/admin/');
  t.is(page.status, 200);
  const oldCookie = ua.cookieHeader();
  const noToken = await ua.request('/admin/logout', { form: {} });
  t.is(noToken.status, 403, 'logout needs the CSRF token as well');
  const out = await ua.request('/admin/logout', { form: { csrf: csrfOf(page.text) } });
  t.is(out.status, 302);
  t.regex(out.location ?? '', /\/session\/end\?/, 'the gateway session is ended too (RP-initiated logout)');
  t.regex(out.headers.getSetCookie().join('\n'), /gw_admin=;/);
  const replay = await fetch(`${gw.url}/admin/`, { headers: { cookie: oldCookie }, redirect: 'manual' });
  t.is(replay.status, 302);
  t.regex(replay.headers.get('location') ?? '', /\/admin\/login/);
});

test.serial('when the access token runs out, the console signs in again through the SSO session without a prompt', async (t) => {
  // Real time on both sides (the console's DPoP proofs carry real timestamps): a 30-second token,
  // renewed once less than 15 seconds of it are left.
  const own = await startTestGateway({ overrides: { ttl: { accessToken: 30 } } });
  try {
    const ua = new UserAgent(own.url);
    const login = await ua.request('/admin/login');
    const callback = await browserThroughSaml(own, new URL(login.location!), 'siths-saml', 'sara', `${own.url}/admin/callback`, { ua });
    t.is((await ua.request(callback.href)).status, 302);
    t.is((await ua.request('/admin/products/demo-rp')).status, 200, 'a fresh token is used as it is');

    await new Promise((resolve) => setTimeout(resolve, 16_000));
    const visited: string[] = [];
    let res = await ua.request('/admin/products/demo-rp');
    for (let i = 0; i < 10 && res.location; i += 1) {
      visited.push(new URL(res.location).pathname);
      res = await ua.request(res.location);
    }
    t.is(res.status, 200, visited.join(' -> '));
    t.is(new URL(res.url).pathname, '/admin/products/demo-rp', 'back where the person was');
    t.true(visited.includes('/admin/login') && visited.includes('/auth') && visited.includes('/admin/callback'), visited.join(' -> '));
    t.false(visited.some((p) => p.startsWith('/interaction/')), 'no login or consent page on the way');
  } finally {
    await own.close();
  }
});

test.serial('what a page shows is what the API lets this role see: a supplier sees its own products, a certifier no approvals', async (t) => {
  const lars = await staffSession('lars');
  const list = await lars.request('/admin/?lang=en');
  t.is(list.status, 200);
  const ids = [...list.text.matchAll(/<tr id="product-([^"]+)"/g)].map((m) => m[1]).sort();
  t.deepEqual(ids, ['demo-rp', 'stegraknaren'], 'Appbolaget\'s products only');
  const foreign = await lars.request('/admin/products/bokningsappen?lang=en');
  t.true(foreign.status === 403 || foreign.status === 404, `another supplier's product is not shown (${foreign.status})`);
  t.regex(foreign.text, /id="problem"/);
  const own = await lars.request('/admin/products/demo-rp?lang=en');
  t.is(own.status, 200);
  t.notRegex(own.text, /id="approve"/, 'no approve button for a supplier');

  const maria = await staffSession('maria');
  const page = await maria.request('/admin/products/demo-rp?lang=en');
  t.is(page.status, 200, 'the page still works when one of its parts is not the role\'s to see');
  t.notRegex(page.text, /id="approvals"/);
  t.regex(page.text, /id="certifications"/);
});

test.serial('a console session ends at its TTL, by the injectable clock', async (t) => {
  const clock = new ManualClock();
  // A one-hour access token, so that only the session's own TTL can end it here.
  const own = await startTestGateway({ clock, overrides: { ttl: { accessToken: 3600 }, admin: { console: { sessionTtl: 600 } } } });
  try {
    const ua = new UserAgent(own.url);
    const login = await ua.request('/admin/login');
    const callback = await browserThroughSaml(own, new URL(login.location!), 'siths-saml', 'sara', `${own.url}/admin/callback`, { ua });
    const signedIn = await ua.request(callback.href);
    t.regex(signedIn.headers.getSetCookie().find((c) => c.startsWith('gw_admin='))!, /max-age=600|expires=/i);
    t.is((await ua.request('/admin/')).status, 200);
    clock.advance(590_000);
    t.is((await ua.request('/admin/')).status, 200, 'still inside the session TTL');
    clock.advance(11_000);
    const after = await ua.request('/admin/');
    t.is(after.status, 302);
    t.regex(after.location ?? '', /\/admin\/login/);
  } finally {
    await own.close();
  }
});

test.serial('a controller stops the automatic sharing its policy gives one product, through a confirmation page', async (t) => {
  const sara = await staffSession('sara');
  const before = await sara.request('/admin/products/demo-rp?lang=sv');
  t.regex(before.text, /<li data-controller="region-sandbox">[\s\S]*?automatiskt, enligt den personuppgiftsansvariges policy/);
  t.regex(before.text, /id="stop-region-sandbox"/);
  t.notRegex(before.text, /id="stop-sandvik-kommun"/, 'only for controllers this person administers');

  const confirm = await sara.request('/admin/products/demo-rp/automatic/region-sandbox/stop?lang=sv');
  t.is(confirm.status, 200);
  t.regex(confirm.text, /Region Sandbox slutar dela bokningar \(läsa, skriva\), provsvar \(läsa\) och vaccinationer \(läsa\) med Demoappen \(sandlåda\)\./);
  t.regex(confirm.text, /policyn gäller som förut för andra produkter/);
  const noToken = await sara.request('/admin/products/demo-rp/automatic/region-sandbox/stop', { form: {} });
  t.is(noToken.status, 403);
  t.regex((await sara.request('/admin/products/demo-rp')).text, /id="stop-region-sandbox"/, 'nothing changed without the token');

  const stopped = await sara.request('/admin/products/demo-rp/automatic/region-sandbox/stop', { form: { csrf: csrfOf(confirm.text) } });
  t.is(stopped.status, 302, stopped.text.slice(0, 400));
  t.is(stopped.location, `${gw.url}/admin/products/demo-rp?done=stopped`);
  const after = await sara.request('/admin/products/demo-rp?lang=en');
  t.notRegex(after.text, /<li data-controller="region-sandbox">/, 'Region Sandbox no longer shares with the product');
  t.regex(after.text, /<li data-controller="sandvik-kommun">/, 'the other controller\'s approval is untouched');
  t.deepEqual((await regionSandboxApprovals(sara, 'demo-rp')).map((a) => a.status), ['revoked'], 'the "no" is recorded as a revoked certification-based approval');
  const again = await sara.request('/admin/products/demo-rp/automatic/region-sandbox/stop');
  t.is(again.status, 404, 'nothing automatic left to stop');
});

test.serial('bad input to console pages is a 4xx page that names the problem, never a 500', async (t) => {
  const sara = await staffSession('sara');
  const csrf = csrfOf((await sara.request('/admin/')).text);
  const cases: Array<[string, Parameters<UserAgent['request']>[1], number, RegExp]> = [
    ['/admin/products/no-such-product?lang=en', {}, 404, /data-code="not_found"/],
    ['/admin/products/..%2Fcontrollers', {}, 404, /data-code="not_found"/],
    ['/admin/audit/spaceship/x', {}, 404, /data-code="not_found"/],
    ['/admin/products/demo-rp/approvals/nope/revoke', {}, 404, /data-code="not_found"/],
    ['/admin/products/bokningsappen/approve/review?lang=en', { form: { csrf, controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review' } }, 400, /Choose at least one data set/],
    ['/admin/products/bokningsappen/approve', { form: { csrf, controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review', access: 'bookings:teleport' } }, 400, /Unknown choice/],
    ['/admin/products/bokningsappen/approve', { form: { csrf, controllerId: 'region-sandbox', purpose: 'something-else', basis: 'own_review', access: 'bookings:read' } }, 422, /data-code="purpose_mismatch"/],
    ['/admin/approvals/x/revoke', { form: { csrf, productId: 'bokningsappen', version: 'seven' } }, 428, /data-code="precondition_required"/],
    ['/admin/approvals/x/revoke', { json: { csrf, productId: 'bokningsappen', version: '1' } }, 403, /data-code="csrf"/],
  ];
  for (const [path, init, status, body] of cases) {
    const res = await sara.request(path, init);
    t.is(res.status, status, `${path}: ${res.text.slice(0, 200)}`);
    t.regex(res.text, body, path);
  }
  const huge = await sara.request('/admin/approvals/x/revoke', { form: { csrf, productId: 'x'.repeat(20_000) } });
  t.true(huge.status >= 400 && huge.status < 500, `an oversized form is a 4xx (${huge.status})`);
});

test.serial('a token the API no longer accepts ends the console session with a "sign in again" page', async (t) => {
  const ua = await staffSession('sara');
  const key = `admin-session:${createHash('sha256').update(/gw_admin=([^;]+)/.exec(ua.cookieHeader())![1]!).digest('base64url')}`;
  const session = JSON.parse((await gw.store.get(key))!) as { accessToken: string };
  // As if the token had been revoked at the gateway: the API finds no such token.
  await gw.store.set(key, JSON.stringify({ ...session, accessToken: 'revoked-or-unknown-token' }), 600);
  const res = await ua.request('/admin/?lang=en');
  t.is(res.status, 401);
  t.regex(res.text, /Sign in again/);
  t.is(await gw.store.get(key), undefined, 'the session is gone');
  const next = await ua.request('/admin/');
  t.is(next.status, 302);
  t.regex(next.location ?? '', /\/admin\/login/);
});

// --- The role screens (issue 15): what each role may not do, CSRF on every new form, reasons ---

test.serial('a controller admin cannot approve for another controller, a certifier cannot approve, and neither changes anything', async (t) => {
  const head = () => gw.registryDb!.store.revision();
  const before = await head();
  const tomas = await staffSession('tomas');
  const tomasCsrf = csrfOf((await tomas.request('/admin/?lang=en')).text);
  const forRegion = await tomas.request('/admin/products/bokningsappen/approve?lang=en', { form: approveForm(tomasCsrf) });
  t.is(forRegion.status, 403);
  t.regex(forRegion.text, /data-code="outside_controller"/);
  t.regex(forRegion.text, /You administer another data controller/);
  t.regex(forRegion.text, /<small class="code">[^<]*outside_controller/, 'the code is kept small');

  const maria = await staffSession('maria');
  const form = await maria.request('/admin/products/bokningsappen/approve?lang=en');
  t.is(form.status, 403, 'no approve form for a certifier');
  t.regex(form.text, /data-code="forbidden_role"/);
  const posted = await maria.request('/admin/products/bokningsappen/approve?lang=en', { form: approveForm(csrfOf((await maria.request('/admin/?lang=en')).text)) });
  t.is(posted.status, 403);
  t.regex(posted.text, /data-code="forbidden_role"/);
  t.notRegex((await maria.request('/admin/products/bokningsappen?lang=en')).text, /id="approve"/);
  const pending = await maria.request('/admin/pending?lang=en');
  t.is(pending.status, 403, 'no pending list for a certifier');
  t.is(await head(), before, 'nothing was written');
});

test.serial('every form of the role screens needs the CSRF token; a status change, a revocation and a withdrawal need a reason', async (t) => {
  const head = () => gw.registryDb!.store.revision();
  const olof = await staffSession('olof');
  const product = await olof.request('/admin/products/min-vardplan?lang=en');
  t.regex(product.text, /id="status-active"/);
  const before = await head();
  const posts: Array<[string, Record<string, string>]> = [
    ['/admin/products', { id: 'csrf-app', name: 'X' }],
    ['/admin/products/min-vardplan/status', { to: 'active', version: '1', reason: 'x', confirmed: 'yes' }],
    ['/admin/frameworks', { id: 'csrf-fw', name: 'X' }],
    ['/admin/roles', { hsaId: 'SE5560000001-CB02', role: 'operator' }],
  ];
  for (const [path, fields] of posts) {
    const none = await olof.request(`${path}?lang=en`, { form: fields });
    t.is(none.status, 403, path);
    t.regex(none.text, /data-code="csrf"/, path);
    const wrong = await olof.request(`${path}?lang=en`, { form: { ...fields, csrf: 'forged' } });
    t.is(wrong.status, 403, path);
  }
  t.is(await head(), before, 'no form without the token changed anything');

  // The status change: a GET confirmation, then a POST that needs a reason.
  const confirm = await olof.request('/admin/products/min-vardplan/status?to=active&lang=en');
  t.is(confirm.status, 200);
  t.regex(confirm.text, /Min vårdplan is activated/);
  const version = /name="version" value="(\d+)"/.exec(confirm.text)![1]!;
  const noReason = await olof.request('/admin/products/min-vardplan/status?lang=en', { form: { csrf: csrfOf(confirm.text), to: 'active', version, confirmed: 'yes' } });
  t.is(noReason.status, 400);
  t.regex(noReason.text, /Write a reason/);
  t.is(await head(), before, 'no reason, no change');
  const retire = await olof.request('/admin/products/min-vardplan/status?to=retired&lang=en');
  t.regex(retire.text, /cannot be undone/);
  t.regex(retire.text, /id="confirm" class="danger"/, 'retiring looks destructive');
  const done = await olof.request('/admin/products/min-vardplan/status', { form: { csrf: csrfOf(confirm.text), to: 'active', version, confirmed: 'yes', reason: 'Granskad' } });
  t.is(done.status, 302, done.text.slice(0, 300));
  t.is(done.location, `${gw.url}/admin/products/min-vardplan?done=status`);

  // The reason is in the audit entry, and the API finds it by action, actor and product.
  const api = await staffToken(gw, STAFF.OLOF);
  const found = await callApi(gw, api, 'GET', `/admin/api/v1/audit?action=product.status&actor=${STAFF.OLOF}&productId=min-vardplan`);
  t.is(found.status, 200);
  t.deepEqual(found.body.items.map((e: { action: string; after: { reason?: string } }) => [e.action, e.after.reason]), [['product.status.active', 'Granskad']]);
  const later = await callApi(gw, api, 'GET', `/admin/api/v1/audit?productId=min-vardplan&from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
  t.deepEqual(later.body.items, [], 'nothing after the time given');

  // A revocation without a reason is refused by the console.
  const sara = await staffSession('sara');
  const approved = await sara.request('/admin/products/min-vardplan/approve', { form: { ...approveForm(csrfOf((await sara.request('/admin/')).text)), access: 'care-plans:read' } });
  t.is(approved.status, 302, approved.text.slice(0, 300));
  const [approval] = (await regionSandboxApprovals(sara, 'min-vardplan')).filter((a) => a.status === 'active');
  const revokePage = await sara.request(`/admin/products/min-vardplan/approvals/${approval!.id}/revoke?lang=en`);
  t.regex(revokePage.text, /<textarea id="reason" name="reason" required/);
  const noRevokeReason = await sara.request(`/admin/approvals/${approval!.id}/revoke?lang=en`, { form: { csrf: csrfOf(revokePage.text), version: /name="version" value="(\d+)"/.exec(revokePage.text)![1]!, productId: 'min-vardplan' } });
  t.is(noRevokeReason.status, 400);
  t.regex(noRevokeReason.text, /Write a reason/);
  t.deepEqual((await regionSandboxApprovals(sara, 'min-vardplan')).filter((a) => a.id === approval!.id).map((a) => a.status), ['active']);
});

test.serial('the pending list shows a controller admin only their own controller, and the API refuses another controller\'s', async (t) => {
  const tomas = await staffSession('tomas');
  const page = await tomas.request('/admin/pending?lang=en');
  t.is(page.status, 200);
  t.regex(page.text, /id="pending-sandvik-kommun"/);
  t.notRegex(page.text, /id="pending-region-sandbox"/);
  const api = await staffToken(gw, STAFF.TOMAS);
  const other = await callApi(gw, api, 'GET', '/admin/api/v1/controllers/region-sandbox/pending');
  t.is(other.status, 403);
  t.regex(other.body.type, /outside_controller/);
  const sara = await callApi(gw, await staffToken(gw, STAFF.SARA), 'GET', '/admin/api/v1/controllers/region-sandbox/pending');
  t.is(sara.status, 200);
  const ids = sara.body.items.map((p: { productId: string }) => p.productId);
  t.false(ids.includes('demo-rp'), 'shared automatically by the policy: decided');
  t.true(ids.includes('stegraknaren'), 'a suspended product that asks for our data still waits for a decision');
});

test.serial('the operator registers a framework and assigns and removes a role; the certifier withdraws with a reason; the admin saves a policy; each is in the history', async (t) => {
  const olof = await staffSession('olof');
  const frameworks = await olof.request('/admin/frameworks?lang=en');
  const fw = await olof.request('/admin/frameworks', { form: { csrf: csrfOf(frameworks.text), id: 'vardtrygg', name: 'Vårdtrygg', description: 'Ett testramverk' } });
  t.is(fw.status, 302, fw.text.slice(0, 300));
  t.regex((await olof.request('/admin/frameworks?lang=en')).text, /id="framework-vardtrygg"/);
  const again = await olof.request('/admin/frameworks?lang=en', { form: { csrf: csrfOf(frameworks.text), id: 'vardtrygg', name: 'Vårdtrygg' } });
  t.is(again.status, 400);
  t.regex(again.text, /There is already an entry with the same identity/);

  const roles = await olof.request('/admin/roles?lang=en');
  const assigned = await olof.request('/admin/roles', { form: { csrf: csrfOf(roles.text), hsaId: 'SE5560000001-CB02', role: 'certifier', scope: 'vardtrygg' } });
  t.is(assigned.status, 302, assigned.text.slice(0, 300));
  const after = await olof.request('/admin/roles?lang=en');
  const rid = /<tr id="role-([^"]+)"><td>SE5560000001-CB02<\/td>/.exec(after.text)?.[1];
  t.truthy(rid);
  const badScope = await olof.request('/admin/roles?lang=en', { form: { csrf: csrfOf(roles.text), hsaId: 'SE5560000001-CB03', role: 'certifier', scope: 'no-such-framework' } });
  t.is(badScope.status, 400);
  t.regex(badScope.text, /a certification body has a framework[^<]*\(invalid_scope\)/);
  const confirm = await olof.request(`/admin/roles/${rid}/remove?lang=en`);
  t.regex(confirm.text, /SE5560000001-CB02 loses the role Certification body \(vardtrygg\)/);
  const first = await olof.request(`/admin/roles/${rid}/remove?lang=en`, { form: { csrf: csrfOf(confirm.text), version: '1' } });
  t.is(first.status, 200, 'without confirmed=yes the post only shows the confirmation');
  t.regex((await olof.request('/admin/roles?lang=en')).text, new RegExp(`id="role-${rid}"`));
  const removed = await olof.request(`/admin/roles/${rid}/remove`, { form: { csrf: csrfOf(confirm.text), version: '1', confirmed: 'yes' } });
  t.is(removed.status, 302, removed.text.slice(0, 300));
  t.notRegex((await olof.request('/admin/roles?lang=en')).text, new RegExp(`id="role-${rid}"`));

  const maria = await staffSession('maria');
  const demo = await maria.request('/admin/products/demo-rp?lang=en');
  const withdrawHref = /href="(\/admin\/products\/demo-rp\/certifications\/[^"]+\/withdraw)"/.exec(demo.text)?.[1];
  t.truthy(withdrawHref);
  const withdrawPage = await maria.request(`${withdrawHref}?lang=en`);
  t.regex(withdrawPage.text, /Automatic sharing that rests on it ends within a second/);
  const action = /<form method="post" action="([^"]+)"/.exec(withdrawPage.text.replace(/<form method="post" action="\/admin\/logout">/, ''))?.[1] ?? '';
  const fields = { csrf: csrfOf(withdrawPage.text), version: /name="version" value="(\d+)"/.exec(withdrawPage.text)![1]!, productId: 'demo-rp', confirmed: 'yes' };
  const noReason = await maria.request(`${action}?lang=en`, { form: fields });
  t.is(noReason.status, 400);
  t.regex(noReason.text, /Write a reason/);
  const withdrawn = await maria.request(action, { form: { ...fields, reason: 'Testbädden stängd' } });
  t.is(withdrawn.status, 302, withdrawn.text.slice(0, 300));
  t.regex((await maria.request('/admin/products/demo-rp?lang=en')).text, /data-state="withdrawn"/);

  // Region Sandbox's policy: drop its only line (danger), confirm, and the product loses the automatic sharing.
  const sara = await staffSession('sara');
  const edit = await sara.request('/admin/controllers/region-sandbox/policy?lang=en');
  const review = await sara.request('/admin/controllers/region-sandbox/policy?lang=en', { form: { csrf: csrfOf(edit.text) } });
  t.is(review.status, 200);
  t.regex(review.text, /policy is replaced by one that accepts no trust framework/);
  t.regex(review.text, /id="confirm" class="danger"/);
  const accepts = /name="accepts" value="([^"]*)"/.exec(review.text)![1]!;
  const version = /name="version" value="(\d+)"/.exec(review.text)![1]!;
  const saved = await sara.request('/admin/controllers/region-sandbox/policy', { form: { csrf: csrfOf(review.text), accepts: accepts.replace(/&quot;/g, '"'), version, confirmed: 'yes' } });
  t.is(saved.status, 302, saved.text.slice(0, 300));
  t.regex((await sara.request('/admin/controllers/region-sandbox?lang=en')).text, /The policy accepts no trust framework/);

  const history = await olof.request('/admin/audit?action=role&lang=en');
  t.regex(history.text, /Olof Olsson \(SE5565594230-OP01\) \(Federation operator\) removed a role/);
  const certHistory = await olof.request('/admin/audit?productId=demo-rp&action=certification&lang=en');
  t.regex(certHistory.text, /withdrew a certification[\s\S]*Reason: Testbädden stängd/);
});
