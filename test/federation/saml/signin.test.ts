// SAML sign-in end to end: openid-client as the relying party, the test as the browser, the sandbox's
// simulated SITHS and portal IdPs answering with really signed responses.
import test from 'ava';
import * as oidc from 'openid-client';
import type { Gateway } from '../../../src/gateway.ts';
import { SE, LOA } from '../../../src/idp/claims.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughSaml, startSaml, idpAnswer, postToAcs } from '../../helpers/signIn.ts';
import { UserAgent } from '../../helpers/userAgent.ts';

const STAFF_REDIRECT = 'https://staff.example.test/cb';
const CITIZEN_REDIRECT = 'https://citizen.example.test/cb';
let gw: Gateway;
let staffClient: TestClient;
let citizenClient: TestClient;

test.before(async () => {
  staffClient = await makeTestClient('saml-staff-rp', STAFF_REDIRECT, {
    authn_methods: ['siths-saml'],
    scope: `openid profile ${SE.naturalPersonOrgIdScope} ${SE.naturalPersonNumberScope}`,
  });
  citizenClient = await makeTestClient('saml-citizen-rp', CITIZEN_REDIRECT, { authn_methods: ['bankid', 'portal-saml'] });
  gw = await startTestGateway({ clients: [staffClient.config, citizenClient.config] });
});

test.after.always(async () => {
  await gw?.close();
});

test('SP metadata: entityID, signing certificate, POST ACS, signed requests', async (t) => {
  const res = await fetch(`${gw.url}/saml/metadata`);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /samlmetadata\+xml/);
  const xml = await res.text();
  t.true(xml.includes(`entityID="${gw.url}/saml/metadata"`));
  t.regex(xml, /AuthnRequestsSigned="true"/);
  t.regex(xml, /WantAssertionsSigned="true"/);
  t.true(xml.includes(`Location="${gw.url}/saml/acs"`));
  t.regex(xml, /<ds:X509Certificate>[A-Za-z0-9+/=\s]{200,}<\/ds:X509Certificate>/);
});

test('a staff member signs in through the SITHS IdP: orgAffiliation, acr loa3, authnProvider of the SITHS IdP', async (t) => {
  const rp = await discoverRp(gw, staffClient);
  const auth = await pushAuthorization(rp, { scope: `openid profile ${SE.naturalPersonOrgIdScope}` });
  const callback = await browserThroughSaml(gw, auth.url, 'siths-saml', 'sara', STAFF_REDIRECT);
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  const claims = tokens.claims()!;
  t.is(claims[SE.orgAffiliation], 'SE2321000016-A1B2@2321000016');
  t.is(claims[SE.orgNumber], '2321000016');
  t.is(claims[SE.orgName], 'Region Sandbox');
  t.is(claims.acr, LOA.loa3);
  t.is(claims[SE.authnProvider], 'https://idp.inera.se/siths');
  t.is(claims.family_name, 'Sjöström');
  t.is(claims[SE.personalIdentityNumber], undefined, 'no personnummer without its scope');
});

test('a citizen signs in through the national portal IdP at loa4', async (t) => {
  const rp = await discoverRp(gw, citizenClient);
  const auth = await pushAuthorization(rp, { acr_values: LOA.loa4 });
  const callback = await browserThroughSaml(gw, auth.url, 'portal-saml', 'anna', CITIZEN_REDIRECT, { level: 'loa4' });
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  const claims = tokens.claims()!;
  t.is(claims.acr, LOA.loa4);
  t.is(claims[SE.personalIdentityNumber], '198003121236');
  t.is(claims[SE.authnProvider], 'https://portal.example.se/idp');
});

test('the AuthnRequest is signed and asks for the levels that reach the requested LoA', async (t) => {
  const rp = await discoverRp(gw, citizenClient);
  const auth = await pushAuthorization(rp, { acr_values: LOA.loa4 });
  const ua = new UserAgent(gw.url);
  const { authnRequestUrl } = await startSaml(gw, auth.url, 'portal-saml', CITIZEN_REDIRECT, ua);
  const url = new URL(authnRequestUrl);
  t.is(url.origin + url.pathname, `${gw.url}/sandbox/saml/idp/portal/sso`);
  t.is(url.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  t.truthy(url.searchParams.get('Signature'));
  const { inflateRawSync } = await import('node:zlib');
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  t.true(xml.includes(LOA.loa4));
  t.false(xml.includes(LOA.loa3), 'loa3 does not reach loa4, so it is not asked for');
  t.true(xml.includes(`AssertionConsumerServiceURL="${gw.url}/saml/acs"`));
  // A tampered request (another level asked for, same signature) is refused by the IdP.
  const forged = new URL(authnRequestUrl);
  const { deflateRawSync } = await import('node:zlib');
  forged.searchParams.set('SAMLRequest', deflateRawSync(Buffer.from(xml.replace(LOA.loa4, LOA.loa3))).toString('base64'));
  const refused = await fetch(forged);
  t.is(refused.status, 400);
  t.regex(await refused.text(), /request_signature_invalid/);
  // An unsigned request is refused too: the IdP's metadata says WantAuthnRequestsSigned.
  const bare = new URL(authnRequestUrl);
  bare.searchParams.delete('Signature');
  bare.searchParams.delete('SigAlg');
  const unsigned = await fetch(bare);
  t.is(unsigned.status, 400);
  t.regex(await unsigned.text(), /request_unsigned/);
});

test('the IdP reports a cancelled sign-in: the login page says so, and the request is used up', async (t) => {
  const rp = await discoverRp(gw, staffClient);
  const auth = await pushAuthorization(rp, { scope: `openid ${SE.naturalPersonOrgIdScope}` });
  const ua = new UserAgent(gw.url);
  const started = await startSaml(gw, auth.url, 'siths-saml', STAFF_REDIRECT, ua);
  const answer = await idpAnswer(gw, 'siths-saml', started.authnRequestUrl, 'sara', undefined, 'cancel');
  const acs = await postToAcs(answer.acsUrl, answer.SAMLResponse);
  t.is(acs.status, 303);
  const page = await ua.request(acs.location!);
  t.is(page.status, 400);
  t.regex(page.text, /avbröts eller misslyckades/);
  t.regex(page.text, /Logga in via Ineras inloggningstjänst/, 'the method choice is shown again');
  const again = await postToAcs(answer.acsUrl, answer.SAMLResponse);
  t.is(again.status, 400, 'the request was used up: the same answer reaches no sign-in again');
});
