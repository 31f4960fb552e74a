// "Personnummer, names and tokens never appear in logs": a whole sign-in at debug level, every line
// captured and searched.
import test from 'ava';
import { Writable } from 'node:stream';
import * as oidc from 'openid-client';
import { startTestGateway, makeTestClient } from '../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId } from '../helpers/signIn.ts';
import { createLogger } from '../../src/log.ts';

test('a full sign-in logs no personnummer, name or token', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const logger = createLogger({ level: 'debug', destination: sink });
  const client = await makeTestClient('log-rp', 'https://log.example.test/cb');
  const gw = await startTestGateway({ clients: [client.config], logger });
  try {
    const rp = await discoverRp(gw, client);
    const auth = await pushAuthorization(rp);
    const callback = await browserThroughBankId(gw, auth.url, '199006153457', 'https://log.example.test/cb');
    const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
    await oidc.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub, { DPoP: rp.dpop });
    // And a failing call, whose error paths log too.
    await fetch(`${gw.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });

    const log = lines.join('');
    t.true(lines.length > 0, 'something was logged');
    t.regex(log, /sign-in completed/, 'the sign-in itself was logged');
    for (const secret of ['199006153457', '9006153457', 'Cecilia', 'Carlsson', tokens.access_token, tokens.id_token!, callback.searchParams.get('code')!]) {
      t.false(log.includes(secret), `log contains ${secret.slice(0, 12)}…`);
    }
  } finally {
    await gw.close();
  }
});
