// The shared session on every instance (issue 11 item 1): two gateway instances on one Redis. A
// citizen signed in at one instance is signed in at the other (the session is oidc-provider's Session
// in Redis, the cookie signed with the keys both share), the other knows who it is and which service
// shares it, and logout at either ends it on both.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestGateway, makeTestClient } from '../../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId } from '../../helpers/signIn.ts';
import { redisForTests } from '../../helpers/redisServer.ts';
import { UserAgent } from '../../helpers/userAgent.ts';

test('a session made at one instance signs in at another sharing Redis, and logout at the other ends it at both', async (t) => {
  const redis = await redisForTests();
  const first = await makeTestClient('redis-first', 'https://first.example.test/cb', { client_name: 'Första appen', authn_methods: ['bankid'] });
  const second = await makeTestClient('redis-second', 'https://second.example.test/cb', { client_name: 'Andra appen', authn_methods: ['bankid'] });
  const store = { redisUrl: redis.url, keyPrefix: `sso${randomUUID()}:` };
  const clients = [first.config, second.config];
  const a = await startTestGateway({ clients, overrides: { store } });
  const b = await startTestGateway({ clients, overrides: { store } });
  try {
    t.is(a.store.kind, 'redis');
    const ua = new UserAgent(a.url);
    await browserThroughBankId(a, (await pushAuthorization(await discoverRp(a, first))).url, '197501012343', 'https://first.example.test/cb', ua);

    // Instance B, the same browser: no sign-in, only B's consent for the second app, naming the person.
    const rpB = await discoverRp(b, second);
    const atB = await ua.follow((await pushAuthorization(rpB)).url.href, {}, (u) => u.startsWith('https://second.example.test/'));
    t.is(atB.status, 200);
    t.regex(atB.url, new RegExp(`^${b.url}/interaction/`));
    t.regex(atB.text, /action="\/interaction\/[^/]+\/consent"/, 'consent, not the method choice');
    t.regex(atB.text, /Inloggad som <strong>Bertil [^<]+<\/strong> med BankID/);
    const consented = await ua.follow(`${b.url}/interaction/${atB.url.split('/').pop()!}/consent`, { form: {} }, (u) => u.startsWith('https://second.example.test/'));
    t.truthy(consented.location && new URL(consented.location).searchParams.get('code'));

    // Logout at B (its prompt names both services), then A's prompt=none needs a sign-in.
    const prompt = await ua.request(`${b.url}/session/end`);
    t.regex(prompt.text, /<li>Första appen<\/li><li>Andra appen<\/li>/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(prompt.text)?.[1] ?? '';
    const confirmed = await ua.request(`${b.url}/session/end/confirm`, { form: { xsrf, logout: 'yes' } });
    t.is(confirmed.status, 303);
    const none = await ua.follow((await pushAuthorization(await discoverRp(a, first), { prompt: 'none' })).url.href, {}, (u) => u.startsWith('https://first.example.test/'));
    t.is(new URL(none.location!).searchParams.get('error'), 'login_required', 'the session is gone at A too');
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});
