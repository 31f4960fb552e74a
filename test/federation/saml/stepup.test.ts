// Step-up: a relying party asks for loa4 while the browser holds a loa3 BankID session. The login page
// says why the person signs in again and offers only what reaches loa4 (the portal IdP); the portal's
// loa4 answer yields acr loa4. An IdP answering below what was asked for is refused.
import test from 'ava';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import type { Gateway } from '../../../src/gateway.ts';
import { LOA } from '../../../src/idp/claims.ts';
import { ensureSandboxCerts } from '../../../certs/make-sandbox-certs.ts';
import { resign } from '../../../src/federation/saml/simulator/sign.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId, idpAnswer, postToAcs, finishAfterAcs } from '../../helpers/signIn.ts';
import { UserAgent } from '../../helpers/userAgent.ts';

const REDIRECT = 'https://stepup.example.test/cb';
let gw: Gateway;
let client: TestClient;

test.before(async () => {
  client = await makeTestClient('saml-stepup-rp', REDIRECT, { authn_methods: ['bankid', 'portal-saml'] });
  gw = await startTestGateway({ clients: [client.config] });
});

test.after.always(async () => {
  await gw?.close();
});

async function loa3Session(): Promise<UserAgent> {
  const ua = new UserAgent(gw.url);
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp);
  const callback = await browserThroughBankId(gw, auth.url, '198003121236', REDIRECT, ua);
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  if (tokens.claims()!.acr !== LOA.loa3) throw new Error('setup: BankID should give loa3');
  return ua;
}

test.serial('loa4 asked with a loa3 BankID session: step-up notice, only the portal offered, loa4 from the portal', async (t) => {
  const ua = await loa3Session();
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp, { acr_values: LOA.loa4 });
  const login = await ua.follow(auth.url.href, {}, (u) => u.startsWith(REDIRECT));
  t.is(login.status, 200);
  t.regex(login.text, /starkare inloggning|stronger sign-in/, 'the step-up notice');
  t.regex(login.text, /id="method-portal-saml"/);
  t.notRegex(login.text, /id="method-bankid"/, 'BankID (loa3) does not reach loa4');
  const uid = login.url.split('/').pop()!;
  const start = await ua.request(`/interaction/${uid}/portal-saml/start`, { form: {} });
  t.is(start.status, 303);
  const answer = await idpAnswer(gw, 'portal-saml', start.location!, 'anna', 'loa4');
  const acs = await postToAcs(answer.acsUrl, answer.SAMLResponse);
  const callback = await finishAfterAcs(ua, acs, REDIRECT);
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  t.is(tokens.claims()!.acr, LOA.loa4);
  t.is(tokens.claims()!['https://id.oidc.se/claim/authnProvider'], 'https://portal.example.se/idp');
});

test.serial('loa4 asked, the portal IdP answers loa3: refused as too low, nobody signed in', async (t) => {
  const ua = new UserAgent(gw.url);
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp, { acr_values: LOA.loa4 });
  const login = await ua.follow(auth.url.href, {}, (u) => u.startsWith(REDIRECT));
  const uid = login.url.split('/').pop()!;
  const start = await ua.request(`/interaction/${uid}/portal-saml/start`, { form: {} });
  const answer = await idpAnswer(gw, 'portal-saml', start.location!, 'anna', 'loa4');
  // The IdP itself says loa3 (really signed by its key): what an IdP that ignored the request would send.
  const certs = await ensureSandboxCerts(join(gw.config.sandboxDir, 'certs'));
  const key = { keyPem: readFileSync(certs.saml.portalIdpKey, 'utf8'), certPem: readFileSync(certs.saml.portalIdpCert, 'utf8') };
  const xml = Buffer.from(answer.SAMLResponse, 'base64').toString('utf8').replace(`>${LOA.loa4}<`, `>${LOA.loa3}<`);
  const acs = await postToAcs(answer.acsUrl, Buffer.from(resign(xml, key)).toString('base64'));
  t.is(acs.status, 303, 'the response itself is sound');
  const page = await ua.request(acs.location!);
  t.is(page.status, 403);
  t.regex(page.text, /räcker inte för den säkerhetsnivå/);
});
