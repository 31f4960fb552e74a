// The admin console's session rules over plain HTTP (no Chromium): pages need a session, a citizen
// who signs in gets none, the return path stays inside the console, and the cookie is what it should be.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { browserThroughBankId } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';

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
