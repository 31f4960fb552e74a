// The same sign-in on a real Redis, across two gateway instances sharing it: instances are
// stateless, so a token issued by one is valid at the other and revoked everywhere at once.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { startTestGateway, makeTestClient } from '../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId } from '../helpers/signIn.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { SE } from '../../src/idp/claims.ts';

test('sign-in on Redis; a second instance sharing Redis serves and revokes the same tokens', async (t) => {
  const redis = await redisForTests();
  const client = await makeTestClient('redis-rp', 'https://redis.example.test/cb');
  const store = { redisUrl: redis.url, keyPrefix: `e2e${randomUUID()}:` };
  const a = await startTestGateway({ clients: [client.config], overrides: { store } });
  // Instance B shares the keys directory with A (same signing keys and secrets), as a deployment would.
  const b = await startTestGateway({ clients: [client.config], overrides: { store } });
  try {
    t.is(a.store.kind, 'redis');
    const rpA = await discoverRp(a, client);
    const auth = await pushAuthorization(rpA);
    const callback = await browserThroughBankId(a, auth.url, '197501012343', 'https://redis.example.test/cb');
    const tokens = await oidc.authorizationCodeGrant(rpA.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rpA.dpop });
    t.is(tokens.claims()![SE.personalIdentityNumber], '197501012343');

    // Instance B: different issuer URL (its own port), so talk to its userinfo directly with the same token.
    const rpB = await discoverRp(b, client);
    const me = await fetch(`${b.url}/me`, { headers: { authorization: `DPoP ${tokens.access_token}` } });
    t.true([400, 401].includes(me.status), 'no proof, refused at B too');
    const introspectB = await oidc.tokenIntrospection(rpB.config, tokens.access_token);
    t.true(introspectB.active, 'B sees the token A issued');
    await oidc.tokenRevocation(rpB.config, tokens.access_token);
    t.false((await oidc.tokenIntrospection(rpA.config, tokens.access_token)).active, 'revoked at B, gone at A');
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});
