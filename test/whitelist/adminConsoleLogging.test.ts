// "Personnummer, names and tokens never appear in logs", for the admin console: a staff sign-in, an
// approval, a refused form and a logout at debug level, every line captured and searched.
import test from 'ava';
import { Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import { startTestGateway } from '../helpers/gateway.ts';
import { browserThroughSaml } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';
import { createLogger } from '../../src/log.ts';

test('a console session logs no personnummer, name, token, session id or CSRF token', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const gw = await startTestGateway({ logger: createLogger({ level: 'debug', destination: sink }) });
  try {
    const ua = new UserAgent(gw.url);
    const login = await ua.request('/admin/login');
    const callback = await browserThroughSaml(gw, new URL(login.location!), 'siths-saml', 'sara', `${gw.url}/admin/callback`, { ua });
    t.is((await ua.request(callback.href)).status, 302);
    const sessionId = /gw_admin=([^;]+)/.exec(ua.cookieHeader())![1]!;
    const session = JSON.parse((await gw.store.get(`admin-session:${createHash('sha256').update(sessionId).digest('base64url')}`))!) as { accessToken: string; csrf: string; idToken: string };
    const approved = await ua.request('/admin/products/bokningsappen/approve', { form: { csrf: session.csrf, controllerId: 'region-sandbox', purpose: 'self-care', basis: 'own_review', access: 'bookings:read' } });
    t.is(approved.status, 302);
    t.is((await ua.request('/admin/products/bokningsappen/approve', { form: { csrf: 'wrong' } })).status, 403);
    t.is((await ua.request('/admin/logout', { form: { csrf: session.csrf } })).status, 302);

    const log = lines.join('');
    t.regex(log, /admin console: signed in/);
    t.regex(log, /csrf_mismatch/, 'the refusal is logged by its reason code');
    for (const secret of ['197208142385', '7208142385', 'Sara', 'Sjöström', session.accessToken, session.idToken, sessionId, session.csrf]) {
      t.false(log.includes(secret), `log contains ${secret.slice(0, 12)}…`);
    }
  } finally {
    await gw.close();
  }
});
