// Each LogoutResponse check of SAML Single Logout on its own (src/federation/saml/slo.ts): the order,
// and the refusals a check can give. The signature check is exercised end to end in
// test/federation/sso/logout.test.ts with the simulated portal IdP's really signed answer.
import test from 'ava';
import { Pipeline, type Check } from '../../../src/decision.ts';
import { MemoryStore } from '../../../src/store/memoryStore.ts';
import { systemClock } from '../../../src/clock.ts';
import { NS, parseStrict } from '../../../src/federation/saml/xml.ts';
import type { SamlReason } from '../../../src/federation/saml/reasons.ts';
import type { TrustedIdp } from '../../../src/federation/saml/sp.ts';
import {
  SAML_SLO_CHECKS, samlSlo, sloDecode, sloShape, sloIssuer, sloSignature, sloDestination, sloInResponseTo, sloStatus, type SloContext,
} from '../../../src/federation/saml/slo.ts';

const idp = (id: string, entityId: string): TrustedIdp => ({ id, upstream: `${id}-saml`, audience: 'citizen', metadata: { entityId, ssoRedirectUrl: 'https://idp/sso', signingCertificates: [] } });
const portal = idp('portal', 'https://portal.example/idp');
const other = idp('other', 'https://other.example/idp');
const store = new MemoryStore(systemClock);
const ctx: SloContext = { sp: { entityId: 'sp', acsUrl: 'https://gw/saml/acs', sloUrl: 'https://gw/saml/slo', keyPem: '', certPem: '', clockSkewSeconds: 60 }, idps: [portal, other], store };
const one = <S extends object, A extends object>(check: Check<S, SamlReason, A, SloContext>, state: S) =>
  Pipeline.of<S, SamlReason, SloContext>().then(check).run(state, ctx);
const response = (attrs: string, inner = '') => parseStrict(`<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" Version="2.0" ${attrs}>${inner}</samlp:LogoutResponse>`).documentElement;

test('the LogoutResponse checks run in this order', (t) => {
  t.deepEqual(SAML_SLO_CHECKS, ['decode', 'shape', 'issuer', 'signature', 'destination', 'in_response_to', 'status']);
  t.deepEqual([sloDecode, sloShape, sloIssuer, sloSignature, sloDestination, sloInResponseTo, sloStatus].map((c) => c.name), samlSlo.names);
});

test('decode and shape: base64 of a SAML 2.0 LogoutResponse only', async (t) => {
  t.like(await one(sloDecode, { encoded: '' }), { ok: false, reason: 'response_malformed' });
  t.like(await one(sloDecode, { encoded: 'not base64!' }), { ok: false, reason: 'response_malformed' });
  const doc = (xml: string) => parseStrict(xml);
  t.like(await one(sloShape, { doc: doc(`<samlp:Response xmlns:samlp="${NS.protocol}" Version="2.0"/>`) }), { ok: false, reason: 'not_a_logout_response' });
  t.like(await one(sloShape, { doc: doc(`<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" Version="1.1"/>`) }), { ok: false, reason: 'version_unsupported' });
  t.true((await one(sloShape, { doc: doc(`<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" Version="2.0"/>`) })).ok);
});

test('issuer: one of the trusted IdPs', async (t) => {
  const doc = (issuer: string) => parseStrict(`<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" Version="2.0"><saml:Issuer>${issuer}</saml:Issuer></samlp:LogoutResponse>`);
  t.like(await one(sloIssuer, { doc: doc('https://evil.example') }), { ok: false, reason: 'unknown_issuer' });
  t.like(await one(sloIssuer, { doc: doc(portal.metadata.entityId) }), { ok: true, state: { idp: portal } });
});

test('signature: an unsigned LogoutResponse is refused', async (t) => {
  const xml = `<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" Version="2.0" ID="_x"/>`;
  t.like(await one(sloSignature, { xml, doc: parseStrict(xml), idp: portal }), { ok: false, reason: 'response_unsigned' });
});

test('destination: our SingleLogoutService', async (t) => {
  t.like(await one(sloDestination, { response: response('Destination="https://elsewhere/slo"') }), { ok: false, reason: 'destination_mismatch' });
  t.true((await one(sloDestination, { response: response('Destination="https://gw/saml/slo"') })).ok);
});

test('in_response_to: a LogoutRequest this gateway sent to this IdP, once', async (t) => {
  t.like(await one(sloInResponseTo, { response: response(''), idp: portal }), { ok: false, reason: 'in_response_to_missing' });
  t.like(await one(sloInResponseTo, { response: response('InResponseTo="_nope"'), idp: portal }), { ok: false, reason: 'unknown_logout_request' });
  await store.set('saml:logout:_r1', JSON.stringify({ idp: 'portal', signedOut: 'page' }), 60);
  t.like(await one(sloInResponseTo, { response: response('InResponseTo="_r1"'), idp: other }), { ok: false, reason: 'logout_request_other_idp' });
  await store.set('saml:logout:_r2', JSON.stringify({ idp: 'portal', signedOut: 'page' }), 60);
  t.like(await one(sloInResponseTo, { response: response('InResponseTo="_r2"'), idp: portal }), { ok: true, state: { pending: { signedOut: 'page' } } });
  t.like(await one(sloInResponseTo, { response: response('InResponseTo="_r2"'), idp: portal }), { ok: false, reason: 'unknown_logout_request' }, 'once');
});

test('status: whether the IdP confirmed, as a fact; no status is malformed', async (t) => {
  const status = (value: string) => `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${value}"/></samlp:Status>`;
  t.like(await one(sloStatus, { response: response('', status('Success')) }), { ok: true, state: { confirmed: true } });
  t.like(await one(sloStatus, { response: response('', status('Responder')) }), { ok: true, state: { confirmed: false } });
  t.like(await one(sloStatus, { response: response('') }), { ok: false, reason: 'status_malformed' });
});
