// Attacks on the ACS. Each starts from a REAL response: a sign-in is started at the gateway, the
// simulated IdP signs its answer, and the test tampers with it before posting it to the ACS. Where an
// attack needs content the IdP really signed (another audience, another recipient), the test re-signs
// with the IdP's own sandbox key: that is the IdP issuing a response meant for someone else. Every
// refusal is checked by its reason code in the log, and by no sign-in happening.
import test, { type ExecutionContext } from 'ava';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { DOMParser } from '@xmldom/xmldom';
import type { Gateway } from '../../../src/gateway.ts';
import { ManualClock } from '../../../src/clock.ts';
import { createLogger } from '../../../src/log.ts';
import { SE } from '../../../src/idp/claims.ts';
import { ensureSandboxCerts } from '../../../certs/make-sandbox-certs.ts';
import { issue, LEAF_VALIDITY_DAYS } from '../../../certs/pki.ts';
import { resign, type SigningKey } from '../../../src/federation/saml/simulator/sign.ts';
import { verifiedContent } from '../../../src/federation/saml/signature.ts';
import { parseIdpMetadata } from '../../../src/federation/saml/metadata.ts';
import { authnRequestUrl } from '../../../src/federation/saml/sp.ts';
import { NS } from '../../../src/federation/saml/xml.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../../helpers/gateway.ts';
import { discoverRp, pushAuthorization, startSaml, idpAnswer, postToAcs, finishAfterAcs, type SamlUpstream } from '../../helpers/signIn.ts';
import { UserAgent, type UaResponse } from '../../helpers/userAgent.ts';

const STAFF_REDIRECT = 'https://staff.example.test/cb';
const CITIZEN_REDIRECT = 'https://citizen.example.test/cb';
const clock = new ManualClock();
const lines: string[] = [];
let gw: Gateway;
let staffClient: TestClient;
let citizenClient: TestClient;
let sithsKey: SigningKey;
let spKey: SigningKey;

test.before(async () => {
  staffClient = await makeTestClient('saml-attack-staff', STAFF_REDIRECT, { authn_methods: ['siths-saml'], scope: `openid profile ${SE.naturalPersonOrgIdScope}` });
  citizenClient = await makeTestClient('saml-attack-citizen', CITIZEN_REDIRECT, { authn_methods: ['bankid', 'portal-saml'] });
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  gw = await startTestGateway({ clients: [staffClient.config, citizenClient.config], clock, logger: createLogger({ level: 'info', destination: sink }) });
  const certs = await ensureSandboxCerts(join(gw.config.sandboxDir, 'certs'));
  sithsKey = { keyPem: readFileSync(certs.saml.sithsIdpKey, 'utf8'), certPem: readFileSync(certs.saml.sithsIdpCert, 'utf8') };
  spKey = { keyPem: readFileSync(certs.saml.spKey, 'utf8'), certPem: readFileSync(certs.saml.spCert, 'utf8') };
});

test.after.always(async () => {
  await gw?.close();
});

interface Real {
  ua: UserAgent;
  uid: string;
  xml: string;
  acsUrl: string;
}

/** A real, signed answer from the simulated IdP to a sign-in this test started. */
async function realResponse(upstream: SamlUpstream = 'siths-saml', persona = 'sara'): Promise<Real> {
  const client = upstream === 'siths-saml' ? staffClient : citizenClient;
  const redirect = upstream === 'siths-saml' ? STAFF_REDIRECT : CITIZEN_REDIRECT;
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp, upstream === 'siths-saml' ? { scope: `openid profile ${SE.naturalPersonOrgIdScope}` } : {});
  const ua = new UserAgent(gw.url);
  const started = await startSaml(gw, auth.url, upstream, redirect, ua);
  const answer = await idpAnswer(gw, upstream, started.authnRequestUrl, persona);
  return { ua, uid: started.uid, xml: Buffer.from(answer.SAMLResponse, 'base64').toString('utf8'), acsUrl: answer.acsUrl };
}

const b64 = (xml: string): string => Buffer.from(xml).toString('base64');

/** The reason code of the last refusal logged after `from`. */
function reasonSince(from: number): string | undefined {
  const refusals = lines.slice(from).map((l) => JSON.parse(l) as { msg: string; reason?: string }).filter((l) => l.msg === 'saml response refused' || l.msg === 'sign-in refused');
  return refusals.at(-1)?.reason;
}

/** Posts `xml` to the ACS and checks it is refused with `reason` and that no sign-in follows. */
async function expectRefused(t: ExecutionContext, real: Real, xml: string, reason: string): Promise<UaResponse> {
  const from = lines.length;
  const acs = await postToAcs(real.acsUrl, b64(xml));
  t.is(reasonSince(from), reason, 'reason code in the log');
  t.true(acs.status === 303 || acs.status === 400, `ACS answers ${acs.status}`);
  if (acs.status === 303) {
    // The refusal goes back to the sign-in it was for: the login page, with a message, no login.
    t.regex(acs.location!, new RegExp(`/interaction/${real.uid}/`));
    const page = await real.ua.request(acs.location!);
    t.is(page.status, 400);
    t.regex(page.text, /class="message error" role="alert"/);
    t.notRegex(page.text, /\/consent"/);
    return page;
  }
  t.regex(acs.text, new RegExp(`<code id="error-code">${reason}</code>`));
  return acs;
}

const tamper = (xml: string, from: string, to: string): string => {
  if (!xml.includes(from)) throw new Error(`test setup: ${from} not in the response`);
  return xml.replace(from, to);
};

/** Drops the signatures of an XML fragment (a fragment alone does not parse: its prefixes are declared outside). */
const unsigned = (fragment: string): string => fragment.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '');

const assertionOf = (xml: string): string => /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];

test.serial('the untampered response is accepted (the baseline every attack below starts from)', async (t) => {
  const real = await realResponse();
  const acs = await postToAcs(real.acsUrl, b64(real.xml));
  const callback = await finishAfterAcs(real.ua, acs, STAFF_REDIRECT);
  t.truthy(callback.searchParams.get('code'));
});

test.serial('signature wrapping: a forged assertion beside the signed one', async (t) => {
  const real = await realResponse();
  const signed = assertionOf(real.xml);
  const forged = unsigned(signed.replace(/ID="_[0-9a-f]+"/, 'ID="_forged"')).replace('SE2321000016-A1B2', 'SE2321000016-EVIL');
  await expectRefused(t, real, real.xml.replace(signed, forged + signed), 'assertion_count');
});

test.serial('signature wrapping: the signed assertion moved into Extensions, a forged one in its place', async (t) => {
  const real = await realResponse();
  const signed = assertionOf(real.xml);
  const forged = unsigned(signed).replace('SE2321000016-A1B2', 'SE2321000016-EVIL');
  const wrapped = real.xml.replace(signed, `<samlp:Extensions>${signed}</samlp:Extensions>${forged}`);
  await expectRefused(t, real, wrapped, 'assertion_count');
});

test.serial('signature wrapping: the signed assertion moved into the signature\'s ds:Object', async (t) => {
  const real = await realResponse();
  const signed = assertionOf(real.xml);
  const forged = unsigned(signed).replace('SE2321000016-A1B2', 'SE2321000016-EVIL');
  const withoutAssertion = real.xml.replace(signed, forged);
  const wrapped = withoutAssertion.replace(/<\/ds:Signature>(?![\s\S]*<\/ds:Signature>)/, `<ds:Object>${signed}</ds:Object></ds:Signature>`);
  await expectRefused(t, real, wrapped, 'assertion_count');
});

test.serial('signature wrapping: a new Response root around the signed one (the signature then names another element)', async (t) => {
  const real = await realResponse();
  const signed = assertionOf(real.xml);
  const responseId = /<samlp:Response[^>]* ID="([^"]+)"/.exec(real.xml)![1]!;
  // The outer message gets a fresh ID and the forged content; the original, still verifying, hides in
  // Extensions without its assertion, so the assertion count alone does not give it away.
  const original = real.xml.replace(signed, '');
  const forged = unsigned(signed).replace('SE2321000016-A1B2', 'SE2321000016-EVIL');
  const responseSignature = /<ds:Signature[\s\S]*?<\/ds:Signature>/.exec(original)![0];
  const outer = real.xml
    .replace(`ID="${responseId}"`, 'ID="_outer"')
    .replace(signed, `<samlp:Extensions>${original.replace(/^<\?xml[^>]*>/, '')}</samlp:Extensions>${forged}`);
  const wrapped = outer.replace(/(<\/saml:Issuer>)/, `$1${responseSignature}`).replace(/(<samlp:Extensions>[\s\S]*?)<ds:Signature[\s\S]*?<\/ds:Signature>/, '$1');
  const reason = await (async () => {
    const from = lines.length;
    await postToAcs(real.acsUrl, b64(wrapped));
    return reasonSince(from);
  })();
  t.is(reason, 'signature_reference_invalid', 'the signature does not name the element it sits in');
  t.notRegex(lines.slice(-3).join(''), /saml response accepted/);
});

test.serial('comment injection in NameID: the signature still verifies, the gateway still refuses', async (t) => {
  const real = await realResponse();
  const nameId = /(<saml:NameID[^>]*>)([0-9a-f]+)(<\/saml:NameID>)/.exec(real.xml)!;
  const injected = real.xml.replace(nameId[0], `${nameId[1]}${nameId[2]!.slice(0, 8)}<!---->${nameId[2]!.slice(8)}${nameId[3]}`);
  // A comment is invisible to exclusive canonicalisation: the IdP's signature holds over the tampered message.
  const doc = new DOMParser().parseFromString(injected, 'text/xml') as unknown as Document;
  t.truthy(verifiedContent(injected, doc.documentElement, [sithsKey.certPem], 'response_unsigned'), 'the tampered message still verifies');
  await expectRefused(t, real, injected, 'xml_comment');
});

test.serial('comment injection in the HSA-id: neither a truncated nor a different id gets through', async (t) => {
  const truncating = await realResponse();
  await expectRefused(t, truncating, tamper(truncating.xml, '>SE2321000016-A1B2<', '>SE2321000016-A1B<!---->2<'), 'xml_comment');
  const extending = await realResponse();
  await expectRefused(t, extending, tamper(extending.xml, '>SE2321000016-A1B2<', '>SE2321000016-A1B2<!---->X<'), 'xml_comment');
  t.false(lines.some((l) => l.includes('SE2321000016-A1B')), 'the HSA-id never reaches the log');
});

test.serial('a signed response with an unsigned assertion is refused', async (t) => {
  const real = await realResponse();
  await expectRefused(t, real, resign(real.xml, sithsKey, { assertion: false }), 'assertion_unsigned');
});

test.serial('a signed assertion in an unsigned response is refused', async (t) => {
  const real = await realResponse();
  await expectRefused(t, real, resign(real.xml, sithsKey, { response: false }), 'response_unsigned');
});

test.serial('a changed value without a new signature is refused', async (t) => {
  const real = await realResponse();
  await expectRefused(t, real, tamper(real.xml, 'SE2321000016-A1B2@', 'SE2321000016-EVIL@'), 'signature_invalid');
});

test.serial('wrong audience: a response the IdP issued for another SP', async (t) => {
  const real = await realResponse();
  const audience = /<saml:Audience>([^<]+)<\/saml:Audience>/.exec(real.xml)![1]!;
  await expectRefused(t, real, resign(tamper(real.xml, `<saml:Audience>${audience}<`, '<saml:Audience>https://other-sp.example.test/saml<'), sithsKey), 'audience_mismatch');
});

test.serial('wrong Destination, and wrong Recipient', async (t) => {
  const dest = await realResponse();
  await expectRefused(t, dest, resign(tamper(dest.xml, `Destination="${dest.acsUrl}"`, 'Destination="https://other-sp.example.test/acs"'), sithsKey), 'destination_mismatch');
  const recipient = await realResponse();
  await expectRefused(t, recipient, resign(tamper(recipient.xml, `Recipient="${recipient.acsUrl}"`, 'Recipient="https://other-sp.example.test/acs"'), sithsKey), 'recipient_mismatch');
});

test.serial('an expired response (the clock moved past NotOnOrAfter and the skew)', async (t) => {
  const real = await realResponse();
  clock.advance(5 * 60_000 + (gw.config.saml.clockSkewSeconds + 1) * 1000);
  try {
    await expectRefused(t, real, real.xml, 'assertion_expired');
  } finally {
    clock.advance(-(5 * 60_000 + (gw.config.saml.clockSkewSeconds + 1) * 1000));
  }
});

test.serial('a response that is not yet valid (the gateway\'s clock behind the IdP\'s by more than the skew)', async (t) => {
  const real = await realResponse();
  clock.advance(-(gw.config.saml.clockSkewSeconds + 60) * 1000);
  try {
    await expectRefused(t, real, real.xml, 'assertion_not_yet_valid');
  } finally {
    clock.advance((gw.config.saml.clockSkewSeconds + 60) * 1000);
  }
});

test.serial('a replayed response: the same response posted twice signs in once', async (t) => {
  const real = await realResponse();
  const first = await postToAcs(real.acsUrl, b64(real.xml));
  t.is(first.status, 303);
  await expectRefused(t, real, real.xml, 'assertion_replayed');
  // The first one still completes in its own browser.
  const callback = await finishAfterAcs(real.ua, first, STAFF_REDIRECT);
  t.truthy(callback.searchParams.get('code'));
});

test.serial('an unknown InResponseTo: a real answer to a request this gateway never made', async (t) => {
  const real = await realResponse(); // only for the ACS URL and the log position
  const metadata = parseIdpMetadata(await (await fetch(`${gw.url}/sandbox/saml/idp/siths/metadata`)).text());
  const sp = { entityId: `${gw.url}/saml/metadata`, acsUrl: real.acsUrl, ...spKey, clockSkewSeconds: 60 };
  const url = await authnRequestUrl(sp, { id: 'siths', upstream: 'siths-saml', audience: 'staff', metadata }, '_never-made-by-the-gateway', ['http://id.elegnamnden.se/loa/1.0/loa3']);
  const answer = await idpAnswer(gw, 'siths-saml', url, 'sara');
  await expectRefused(t, real, Buffer.from(answer.SAMLResponse, 'base64').toString('utf8'), 'unknown_in_response_to');
});

test.serial('a response signed by another key (not in the IdP metadata) is refused', async (t) => {
  const real = await realResponse();
  const other = await issue({ commonName: 'Not the SITHS IdP', validityDays: LEAF_VALIDITY_DAYS, extensions: [] });
  await expectRefused(t, real, resign(real.xml, { keyPem: other.keyPem, certPem: other.certPem }), 'signature_invalid');
});

test.serial('a staff assertion presented to a citizen-only client is refused', async (t) => {
  // 1. The citizen-only client's sign-in cannot even start SITHS.
  const rp = await discoverRp(gw, citizenClient);
  const auth = await pushAuthorization(rp);
  const ua = new UserAgent(gw.url);
  const login = await ua.follow(auth.url.href, {}, (u) => u.startsWith(CITIZEN_REDIRECT));
  const uid = login.url.split('/').pop()!;
  t.notRegex(login.text, /siths-saml/, 'SITHS is not offered');
  const start = await ua.request(`/interaction/${uid}/siths-saml/start`, { form: {} });
  t.is(start.status, 403);

  // 2. A SITHS answer carrying the citizen sign-in's portal request ID: the portal's request, the SITHS IdP's signature.
  const portal = await ua.request(`/interaction/${uid}/portal-saml/start`, { form: {} });
  const portalRequestId = /^[^?]+\?/.test(portal.location!) ? (await import('node:zlib')).inflateRawSync(Buffer.from(new URL(portal.location!).searchParams.get('SAMLRequest')!, 'base64')).toString('utf8').match(/ID="([^"]+)"/)![1]! : '';
  const metadata = parseIdpMetadata(await (await fetch(`${gw.url}/sandbox/saml/idp/siths/metadata`)).text());
  const sp = { entityId: `${gw.url}/saml/metadata`, acsUrl: `${gw.url}/saml/acs`, ...spKey, clockSkewSeconds: 60 };
  const sithsUrl = await authnRequestUrl(sp, { id: 'siths', upstream: 'siths-saml', audience: 'staff', metadata }, portalRequestId, ['http://id.elegnamnden.se/loa/1.0/loa3']);
  const answer = await idpAnswer(gw, 'siths-saml', sithsUrl, 'sara');
  await expectRefused(t, { ua, uid, xml: '', acsUrl: `${gw.url}/saml/acs` }, Buffer.from(answer.SAMLResponse, 'base64').toString('utf8'), 'in_response_to_other_idp');

  // 3. A staff sign-in's ticket taken to the citizen sign-in's resume route.
  const staff = await realResponse();
  const acs = await postToAcs(staff.acsUrl, b64(staff.xml));
  const ticket = new URL(acs.location!).searchParams.get('ticket')!;
  const rp2 = await discoverRp(gw, citizenClient);
  const auth2 = await pushAuthorization(rp2);
  const ua2 = new UserAgent(gw.url);
  const login2 = await ua2.follow(auth2.url.href, {}, (u) => u.startsWith(CITIZEN_REDIRECT));
  const uid2 = login2.url.split('/').pop()!;
  const viaSiths = await ua2.request(`/interaction/${uid2}/siths-saml/resume?ticket=${ticket}`);
  t.is(viaSiths.status, 403, 'the citizen-only client may not use the SITHS route');
  const from = lines.length;
  const viaPortal = await ua2.request(`/interaction/${uid2}/portal-saml/resume?ticket=${ticket}`);
  t.is(viaPortal.status, 400);
  t.is(reasonSince(from), 'ticket_mismatch');
  t.notRegex(viaPortal.text, /\/consent"/);
});

test.serial('the resume link in another browser (without the interaction cookie) signs nobody in', async (t) => {
  const real = await realResponse();
  const acs = await postToAcs(real.acsUrl, b64(real.xml));
  const stranger = await new UserAgent(gw.url).request(acs.location!);
  t.is(stranger.status, 400);
  t.regex(stranger.text, /hör till en annan webbläsare|belongs to another browser/);
});

test.serial('garbage at the ACS is a 400 with a reason, never a 500', async (t) => {
  const acsUrl = `${gw.url}/saml/acs`;
  for (const [body, reason] of [
    ['', 'response_malformed'],
    ['not base64 !!', 'response_malformed'],
    [b64('<not-xml'), 'xml_malformed'],
    [b64('<!DOCTYPE x [<!ENTITY e "boom">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&e;</samlp:Response>'), 'xml_doctype'],
    [b64('<a/>'), 'not_a_response'],
  ] as const) {
    const res = await postToAcs(acsUrl, body);
    t.is(res.status, 400, `${reason}: ${res.status}`);
    t.regex(res.text, new RegExp(`<code id="error-code">${reason}</code>`));
  }
  const json = await fetch(acsUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"SAMLResponse":1}' });
  t.is(json.status, 400);
  const huge = await fetch(acsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `SAMLResponse=${'A'.repeat(300_000)}` });
  t.is(huge.status, 413);
  t.is(NS.protocol, 'urn:oasis:names:tc:SAML:2.0:protocol');
});

test.serial('nothing logged in this file names a person: no personnummer, name or HSA-id', (t) => {
  const log = lines.join('');
  t.true(lines.length > 20);
  t.regex(log, /saml response accepted/);
  for (const secret of ['197208142385', '7208142385', 'Sara', 'Sjöström', 'SE2321000016-A1B2', 'SE2321000016-EVIL']) {
    t.false(log.includes(secret), `log contains ${secret.slice(0, 6)}…`);
  }
});
