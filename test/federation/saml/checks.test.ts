// Each ACS check on its own (src/federation/saml/response.ts): the smallest state it reads, one pass
// with what it establishes, and every refusal it can give, by reason and detail. Signed messages come
// from the sandbox IdP simulator with a key made here; everything else is written out as XML, since a
// check after the signature checks reads only elements it is handed.
import test, { type ExecutionContext } from 'ava';
import { LOA } from '../../../src/idp/claims.ts';
import { ManualClock } from '../../../src/clock.ts';
import { MemoryStore } from '../../../src/store/memoryStore.ts';
import type { HotStore } from '../../../src/store/hotStore.ts';
import { Pipeline, type Check, type Verdict } from '../../../src/decision.ts';
import {
  SAML_ACS_CHECKS, SAML_REASONS, ResponseVerifier, requestKey, assertionKey, samlAcs, MAX_RESPONSE_CHARS,
  decode, parse, shape, status, assertionPlacement, issuer, responseSignature, assertionSignature, secondOpinion,
  issuerSigned, destination, audience, validity, subjectConfirmation, authnContext, idpSession, attributes, oneTimeAssertion, inResponseTo,
  type AcsContext, type SamlReason,
} from '../../../src/federation/saml/response.ts';
import { NS, parseStrict } from '../../../src/federation/saml/xml.ts';
import { verifiedContent } from '../../../src/federation/saml/signature.ts';
import { ATTR } from '../../../src/federation/saml/attributes.ts';
import { parseIdpMetadata } from '../../../src/federation/saml/metadata.ts';
import type { SpSettings, TrustedIdp } from '../../../src/federation/saml/sp.ts';
import { SimulatedIdp, type StaffPersona } from '../../../src/federation/saml/simulator/idp.ts';
import { resign, type SigningKey } from '../../../src/federation/saml/simulator/sign.ts';
import { issue, LEAF_VALIDITY_DAYS } from '../../../certs/pki.ts';

const clock = new ManualClock();
const NOW = clock.now();
const SKEW_MS = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const REQUEST_ID = '_req0123456789';

const sara: StaffPersona = {
  id: 'sara', personalNumber: '197208142385', givenName: 'Sara', surname: 'Sjöström',
  hsaId: 'SE2321000016-A1B2', orgAffiliation: '2321000016', orgName: 'Region Sandbox',
};

interface Fixture {
  sp: SpSettings;
  key: SigningKey;
  other: SigningKey;
  siths: TrustedIdp;
  portal: TrustedIdp;
  /** A real answer of the simulated SITHS IdP to REQUEST_ID, both signatures by `key`. */
  signed: string;
  ctx: (store?: HotStore) => AcsContext;
}

const fixture: Promise<Fixture> = (async () => {
  const [spKey, key, other] = await Promise.all(['sp', 'idp', 'other'].map((cn) => issue({ commonName: cn, validityDays: LEAF_VALIDITY_DAYS, extensions: [] })));
  const sp: SpSettings = { entityId: 'https://gw.example.test/saml/metadata', acsUrl: 'https://gw.example.test/saml/acs', keyPem: spKey!.keyPem, certPem: spKey!.certPem, clockSkewSeconds: SKEW_MS / 1000 };
  const sim = (id: 'siths' | 'portal', kind: 'staff' | 'citizen') => new SimulatedIdp({
    id, kind, issuer: 'https://idp.example.test', key: key!, clock, levels: [LOA.loa3],
    sp: { entityId: sp.entityId, acsUrl: sp.acsUrl, signingCertificates: [sp.certPem], authnRequestsSigned: true },
    personas: { staff: [sara], citizens: [{ id: 'anna', personalNumber: '198003121236', givenName: 'Anna', surname: 'Andersson' }] },
  });
  const sithsSim = sim('siths', 'staff');
  const siths: TrustedIdp = { id: 'siths', upstream: 'siths-saml', audience: 'staff', metadata: parseIdpMetadata(sithsSim.metadataXml()) };
  const portal: TrustedIdp = { id: 'portal', upstream: 'portal-saml', audience: 'citizen', metadata: parseIdpMetadata(sim('portal', 'citizen').metadataXml()) };
  const signed = sithsSim.respond({ id: REQUEST_ID, classRefs: [] }, { persona: sara, level: LOA.loa3 });
  return {
    sp, key: key!, other: other!, siths, portal, signed,
    ctx: (store = new MemoryStore(clock)) => ({ sp, idps: [siths, portal], store, clock, skewMs: SKEW_MS }),
  };
})();

/** Runs one check alone, the way the ACS runs it (a thrown refusal refuses, its detail kept). */
const one = async <S extends object, A extends object>(check: Check<S, SamlReason, A, AcsContext>, state: S, ctx?: AcsContext): Promise<Verdict<S & A, SamlReason>> =>
  Pipeline.of<S, SamlReason, AcsContext>().then(check).run(state, ctx ?? (await fixture).ctx());

/** Checks a verdict is a refusal with this reason (and this detail, or none when not given). */
function refused(t: ExecutionContext, verdict: Verdict<object, SamlReason>, reason: SamlReason, detail?: string): void {
  t.like(verdict, { ok: false, reason, detail }, `${reason}${detail ? ` (${detail})` : ''}`);
}

/** The state a check established, failing the test when it refused. */
function passed<S>(t: ExecutionContext, verdict: Verdict<S, SamlReason>): S {
  if (!verdict.ok) {
    t.fail(`refused: ${verdict.reason} ${verdict.detail ?? ''}`);
    throw new Error('refused');
  }
  t.pass();
  return verdict.state;
}

const xmlns = `xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}"`;
const el = (xml: string): Element => parseStrict(xml).documentElement;
const doc = (inner: string, attrs = 'Version="2.0"'): Document => parseStrict(`<samlp:Response ${xmlns} ${attrs}>${inner}</samlp:Response>`);
const assertionEl = (inner: string, attrs = `ID="_a1" IssueInstant="${iso(NOW)}"`): Element => el(`<saml:Assertion xmlns:saml="${NS.assertion}" ${attrs}>${inner}</saml:Assertion>`);
const issuerOf = (entityId: string) => `<saml:Issuer>${entityId}</saml:Issuer>`;
const tamper = (xml: string, from: string | RegExp, to: string): string => {
  const out = xml.replace(from, to);
  if (out === xml) throw new Error(`test setup: ${String(from)} not in the message`);
  return out;
};

test('the ACS runs its checks in this order', (t) => {
  t.deepEqual(SAML_ACS_CHECKS, [
    'decode', 'parse', 'shape', 'status', 'assertion_placement', 'issuer', 'response_signature', 'assertion_signature',
    'second_opinion', 'issuer_signed', 'destination', 'audience', 'validity', 'subject_confirmation', 'authn_context',
    'idp_session', 'attributes', 'one_time_assertion', 'in_response_to',
  ]);
  const exported = [decode, parse, shape, status, assertionPlacement, issuer, responseSignature, assertionSignature, secondOpinion,
    issuerSigned, destination, audience, validity, subjectConfirmation, authnContext, idpSession, attributes, oneTimeAssertion, inResponseTo];
  t.deepEqual(exported.map((c) => c.name), samlAcs.names, 'every exported check is in the pipeline, in its place');
  t.is(new Set(SAML_REASONS).size, SAML_REASONS.length, 'no reason listed twice');
});

test('decode: base64 to XML with normalised line endings; anything else is response_malformed', async (t) => {
  const state = passed(t, await one(decode, { encoded: Buffer.from('<a>\r\nb\r</a>').toString('base64') }));
  t.is(state.xml, '<a>\nb\n</a>');
  refused(t, await one(decode, { encoded: '' }), 'response_malformed');
  refused(t, await one(decode, { encoded: 'not base64 !!' }), 'response_malformed');
  refused(t, await one(decode, { encoded: 'A'.repeat(MAX_RESPONSE_CHARS + 1) }), 'response_malformed');
  passed(t, await one(decode, { encoded: 'A'.repeat(MAX_RESPONSE_CHARS) }));
});

test('parse: strict XML, and the InResponseTo the message claims', async (t) => {
  const state = passed(t, await one(parse, { xml: `<samlp:Response ${xmlns} InResponseTo="_r1"/>` }));
  t.is(state.doc.documentElement.localName, 'Response');
  t.is(state.claimedRequestId, '_r1');
  t.is(passed(t, await one(parse, { xml: '<a/>' })).claimedRequestId, undefined);
  refused(t, await one(parse, { xml: '<not-xml' }), 'xml_malformed');
  refused(t, await one(parse, { xml: '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>' }), 'xml_doctype');
  refused(t, await one(parse, { xml: '<a>SE2321000016-A1B<!---->2</a>' }), 'xml_comment');
  refused(t, await one(parse, { xml: '<a><?pi x?></a>' }), 'xml_processing_instruction');
});

test('shape: a SAML 2.0 protocol Response', async (t) => {
  passed(t, await one(shape, { doc: doc('') }));
  refused(t, await one(shape, { doc: parseStrict('<a/>') }), 'not_a_response');
  refused(t, await one(shape, { doc: parseStrict(`<samlp:AuthnRequest ${xmlns} Version="2.0"/>`) }), 'not_a_response');
  refused(t, await one(shape, { doc: parseStrict('<Response Version="2.0"/>') }), 'not_a_response');
  refused(t, await one(shape, { doc: doc('', 'Version="1.1"') }), 'version_unsupported');
  refused(t, await one(shape, { doc: doc('', '') }), 'version_unsupported');
});

test('status: Success passes; the IdP\'s "no" names its most precise status code', async (t) => {
  const code = (value: string, inner = '') => `<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${value}">${inner}</samlp:StatusCode>`;
  passed(t, await one(status, { doc: doc(`<samlp:Status>${code('Success')}</samlp:Status>`) }));
  refused(t, await one(status, { doc: doc(`<samlp:Status>${code('Responder', code('AuthnFailed'))}</samlp:Status>`) }), 'idp_refused', 'AuthnFailed');
  refused(t, await one(status, { doc: doc(`<samlp:Status>${code('Requester')}</samlp:Status>`) }), 'idp_refused', 'Requester');
  // A passive request the IdP cannot answer without a page: its own reason, which the routes treat as a fallback.
  refused(t, await one(status, { doc: doc(`<samlp:Status>${code('Responder', code('NoPassive'))}</samlp:Status>`) }), 'no_passive');
  refused(t, await one(status, { doc: doc(`<samlp:Status>${code('Requester', code('NoPassive'))}</samlp:Status>`) }), 'idp_refused', 'NoPassive');
  refused(t, await one(status, { doc: doc('') }), 'idp_refused', 'none');
  refused(t, await one(status, { doc: doc(`<samlp:Status>${code('Success')}</samlp:Status><samlp:Status>${code('Success')}</samlp:Status>`) }), 'status_malformed', 'more than one Status');
  refused(t, await one(status, { doc: doc(`<samlp:Status>${code('Success')}${code('Success')}</samlp:Status>`) }), 'status_malformed', 'more than one StatusCode');
});

test('assertion_placement: exactly one assertion, a child of the Response, not encrypted', async (t) => {
  const a = '<saml:Assertion/>';
  passed(t, await one(assertionPlacement, { doc: doc(a) }));
  refused(t, await one(assertionPlacement, { doc: doc('<saml:EncryptedAssertion/>') }), 'encrypted_assertion_unsupported');
  refused(t, await one(assertionPlacement, { doc: doc('') }), 'assertion_count', '0/0');
  refused(t, await one(assertionPlacement, { doc: doc(a + a) }), 'assertion_count', '2/2');
  refused(t, await one(assertionPlacement, { doc: doc(`<samlp:Extensions>${a}</samlp:Extensions>${a}`) }), 'assertion_count', '1/2');
  refused(t, await one(assertionPlacement, { doc: doc(`<samlp:Extensions>${a}</samlp:Extensions>`) }), 'assertion_count', '0/1');
  refused(t, await one(assertionPlacement, { doc: doc(`<saml:Assertion>${a}</saml:Assertion>`) }), 'assertion_count', '1/2');
});

test('issuer: the trusted IdP the Response names', async (t) => {
  const { siths, portal } = await fixture;
  t.is(passed(t, await one(issuer, { doc: doc(issuerOf(siths.metadata.entityId)) })).idp, siths);
  t.is(passed(t, await one(issuer, { doc: doc(issuerOf(portal.metadata.entityId)) })).idp, portal);
  refused(t, await one(issuer, { doc: doc('') }), 'unknown_issuer');
  refused(t, await one(issuer, { doc: doc(issuerOf('https://other-idp.example.test')) }), 'unknown_issuer');
  refused(t, await one(issuer, { doc: doc(issuerOf(siths.metadata.entityId) + issuerOf(siths.metadata.entityId)) }), 'issuer_mismatch', 'more than one Issuer');
  refused(t, await one(issuer, { doc: doc(`<saml:Issuer>${siths.metadata.entityId}<b/></saml:Issuer>`) }), 'mixed_content', 'Issuer');
});

test('response_signature: the Response signed by the IdP, read from the signed bytes', async (t) => {
  const { signed, siths, key, other } = await fixture;
  const run = (xml: string, idp = siths) => one(responseSignature, { xml, doc: parseStrict(xml), idp });
  const state = passed(t, await run(signed));
  t.is(state.response.localName, 'Response');
  t.is(state.response.getAttribute('ID'), parseStrict(signed).documentElement.getAttribute('ID'));
  t.false(state.responseXml.includes('<?xml'), 'canonical content, not the document as posted');

  refused(t, await run(resign(signed, key, { response: false })), 'response_unsigned');
  refused(t, await run(tamper(signed, 'SE2321000016-A1B2@', 'SE2321000016-EVIL@')), 'signature_invalid');
  refused(t, await run(signed, { ...siths, metadata: { ...siths.metadata, signingCertificates: [other.certPem] } }), 'signature_invalid');
  refused(t, await run(resign(signed, other)), 'signature_invalid');
  // The first of each in document order is the Response's own signature (it follows the Response's Issuer).
  refused(t, await run(tamper(signed, 'xmldsig-more#rsa-sha256', 'xmldsig#rsa-sha1')), 'signature_algorithm_refused', 'signature method');
  refused(t, await run(tamper(signed, /(<ds:DigestMethod Algorithm=")[^"]+/, '$1http://www.w3.org/2000/09/xmldsig#sha1')), 'signature_algorithm_refused', 'digest');
  refused(t, await run(tamper(signed, /(<ds:CanonicalizationMethod Algorithm=")[^"]+/, '$1http://www.w3.org/TR/2001/REC-xml-c14n-20010315')), 'signature_algorithm_refused', 'canonicalization');
  refused(t, await run(tamper(signed, /(<ds:Transform Algorithm=")[^"]+/, '$1http://www.w3.org/TR/1999/REC-xpath-19991116')), 'signature_algorithm_refused', 'transform');
  refused(t, await run(tamper(signed, /<ds:SignedInfo>[\s\S]*?<\/ds:SignedInfo>/, '')), 'signature_malformed');

  const responseId = parseStrict(signed).documentElement.getAttribute('ID') ?? '';
  refused(t, await run(tamper(signed, '</samlp:Status>', `</samlp:Status><samlp:Extensions><x ID="${responseId}"/></samlp:Extensions>`)), 'duplicate_id');
  const signature = /<ds:Signature[\s\S]*?<\/ds:Signature>/.exec(signed)?.[0] ?? '';
  refused(t, await run(tamper(signed, signature, signature + signature)), 'signature_reference_invalid', 'more than one signature');
  refused(t, await run(tamper(signed, ` ID="${responseId}"`, '')), 'signature_reference_invalid', 'signed element has no ID');
  refused(t, await run(tamper(signed, ` ID="${responseId}"`, ' ID="_another"')), 'signature_reference_invalid', 'reference does not name the signed element');
});

test('assertion_signature: the one Assertion in the signed Response, itself signed by the IdP', async (t) => {
  const { signed, siths, key, other } = await fixture;
  const run = (xml: string, idp = siths) => {
    const responseXml = verifiedContent(xml, parseStrict(xml).documentElement, [key.certPem], 'response_unsigned');
    return one(assertionSignature, { responseXml, response: parseStrict(responseXml).documentElement, idp });
  };
  const state = passed(t, await run(signed));
  t.is(state.assertion.localName, 'Assertion');
  t.is(state.assertion.parentNode, state.assertion.ownerDocument, 'read from its own signed bytes');

  refused(t, await run(resign(signed, key, { assertion: false })), 'assertion_unsigned');
  refused(t, await run(signed, { ...siths, metadata: { ...siths.metadata, signingCertificates: [other.certPem] } }), 'signature_invalid');
  const noAssertion = el(`<samlp:Response ${xmlns} ID="_r"/>`);
  refused(t, await one(assertionSignature, { responseXml: '', response: noAssertion, idp: siths }), 'assertion_count');
  const two = el(`<samlp:Response ${xmlns} ID="_r"><saml:Assertion/><saml:Assertion/></samlp:Response>`);
  refused(t, await one(assertionSignature, { responseXml: '', response: two, idp: siths }), 'assertion_count');
  // The assertion changed after it was signed (the Response check is not part of this one).
  const changed = tamper(signed, 'SE2321000016-A1B2@', 'SE2321000016-EVIL@');
  refused(t, await one(assertionSignature, { responseXml: changed, response: parseStrict(changed).documentElement, idp: siths }), 'signature_invalid');
});

test('second_opinion: node-saml must accept the same message', async (t) => {
  const { signed, siths } = await fixture;
  passed(t, await one(secondOpinion, { encoded: Buffer.from(signed).toString('base64'), idp: siths }));
  const changed = tamper(signed, 'SE2321000016-A1B2@', 'SE2321000016-EVIL@');
  refused(t, await one(secondOpinion, { encoded: Buffer.from(changed).toString('base64'), idp: siths }), 'signature_invalid', 'node-saml');
});

test('issuer_signed: the signed Response and Assertion both name the IdP whose key signed them', async (t) => {
  const { siths } = await fixture;
  const me = issuerOf(siths.metadata.entityId);
  const someoneElse = issuerOf('https://other-idp.example.test');
  const run = (response: string, assertion: string) => one(issuerSigned, { idp: siths, response: doc(response).documentElement, assertion: assertionEl(assertion) });
  passed(t, await run(me, me));
  refused(t, await run(someoneElse, me), 'issuer_mismatch', 'response');
  refused(t, await run('', me), 'issuer_mismatch', 'response');
  refused(t, await run(me, someoneElse), 'issuer_mismatch', 'assertion');
  refused(t, await run(me, ''), 'issuer_mismatch', 'assertion');
  refused(t, await run(me, me + me), 'issuer_mismatch', 'more than one Issuer');
});

test('destination: the Response is addressed to this ACS', async (t) => {
  const { sp } = await fixture;
  passed(t, await one(destination, { response: doc('', `Destination="${sp.acsUrl}"`).documentElement }));
  refused(t, await one(destination, { response: doc('', 'Destination="https://other-sp.example.test/acs"').documentElement }), 'destination_mismatch');
  refused(t, await one(destination, { response: doc('').documentElement }), 'destination_mismatch');
});

test('audience: one Conditions, every AudienceRestriction naming this SP', async (t) => {
  const { sp } = await fixture;
  const restriction = (...audiences: string[]) => `<saml:AudienceRestriction>${audiences.map((a) => `<saml:Audience>${a}</saml:Audience>`).join('')}</saml:AudienceRestriction>`;
  const run = (inner: string) => one(audience, { assertion: assertionEl(inner) });
  const state = passed(t, await run(`<saml:Conditions NotOnOrAfter="x">${restriction('https://other.example.test', sp.entityId)}</saml:Conditions>`));
  t.is(state.conditions.getAttribute('NotOnOrAfter'), 'x', 'the Conditions, for the validity check');
  refused(t, await run(''), 'conditions_missing');
  refused(t, await run(`<saml:Conditions>${restriction(sp.entityId)}</saml:Conditions><saml:Conditions>${restriction(sp.entityId)}</saml:Conditions>`), 'conditions_missing');
  refused(t, await run('<saml:Conditions/>'), 'audience_mismatch');
  refused(t, await run(`<saml:Conditions>${restriction('https://other-sp.example.test/saml')}</saml:Conditions>`), 'audience_mismatch');
  refused(t, await run(`<saml:Conditions>${restriction(sp.entityId)}${restriction('https://other-sp.example.test/saml')}</saml:Conditions>`), 'audience_mismatch');
});

test('validity: IssueInstant, NotBefore and NotOnOrAfter against the gateway\'s clock, with the skew', async (t) => {
  const run = (o: { issued?: string; notBefore?: string | null; notOnOrAfter?: string | null }) => {
    const conditions = el(`<saml:Conditions xmlns:saml="${NS.assertion}"${o.notBefore === null ? '' : ` NotBefore="${o.notBefore ?? iso(NOW)}"`}${o.notOnOrAfter === null ? '' : ` NotOnOrAfter="${o.notOnOrAfter ?? iso(NOW + 300_000)}"`}/>`);
    return one(validity, { assertion: assertionEl('', `ID="_a1" IssueInstant="${o.issued ?? iso(NOW)}"`), conditions });
  };
  t.like(passed(t, await run({})), { nowMs: NOW, notOnOrAfterMs: NOW + 300_000 });
  passed(t, await run({ issued: iso(NOW + SKEW_MS), notBefore: iso(NOW + SKEW_MS), notOnOrAfter: iso(NOW - SKEW_MS + 1) }));
  passed(t, await run({ notBefore: null }));
  refused(t, await run({ issued: iso(NOW + SKEW_MS + 1) }), 'assertion_not_yet_valid', 'IssueInstant');
  refused(t, await run({ notBefore: iso(NOW + SKEW_MS + 1) }), 'assertion_not_yet_valid', 'NotBefore');
  refused(t, await run({ notOnOrAfter: iso(NOW - SKEW_MS) }), 'assertion_expired');
  refused(t, await run({ issued: '2026-01-15T11:00:00+01:00' }), 'time_malformed', 'IssueInstant');
  refused(t, await run({ notBefore: 'yesterday' }), 'time_malformed', 'NotBefore');
  refused(t, await run({ notOnOrAfter: null }), 'time_malformed', 'NotOnOrAfter');
});

test('subject_confirmation: one bearer confirmation for this ACS and this request, still valid', async (t) => {
  const { sp } = await fixture;
  const bearer = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
  const data = (o: { recipient?: string; inResponseTo?: string; until?: string } = {}) =>
    `<saml:SubjectConfirmationData Recipient="${o.recipient ?? sp.acsUrl}" InResponseTo="${o.inResponseTo ?? REQUEST_ID}" NotOnOrAfter="${o.until ?? iso(NOW + 120_000)}"/>`;
  const confirmation = (inner = data(), method = bearer) => `<saml:SubjectConfirmation Method="${method}">${inner}</saml:SubjectConfirmation>`;
  const subject = (inner = confirmation()) => `<saml:Subject><saml:NameID>x</saml:NameID>${inner}</saml:Subject>`;
  const run = (inner: string) => one(subjectConfirmation, {
    assertion: assertionEl(inner), response: doc('', `InResponseTo="${REQUEST_ID}"`).documentElement, nowMs: NOW, notOnOrAfterMs: NOW + 300_000,
  });
  t.is(passed(t, await run(subject())).notOnOrAfterMs, NOW + 120_000, 'the earlier end of validity');
  t.is(passed(t, await run(subject(confirmation(data({ until: iso(NOW + 900_000) }))))).notOnOrAfterMs, NOW + 300_000);
  passed(t, await run(subject(confirmation() + confirmation(data(), 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key'))));
  refused(t, await run(''), 'subject_malformed');
  refused(t, await run(subject() + subject()), 'subject_malformed', 'more than one Subject');
  refused(t, await run(subject('')), 'subject_confirmation_missing');
  refused(t, await run(subject(confirmation(data(), 'urn:oasis:names:tc:SAML:2.0:cm:sender-vouches'))), 'subject_confirmation_missing');
  refused(t, await run(subject(confirmation() + confirmation())), 'subject_confirmation_missing');
  refused(t, await run(subject(confirmation(''))), 'subject_confirmation_missing');
  refused(t, await run(subject(confirmation(data() + data()))), 'subject_malformed', 'more than one SubjectConfirmationData');
  refused(t, await run(subject(confirmation(data({ recipient: 'https://other-sp.example.test/acs' })))), 'recipient_mismatch');
  refused(t, await run(subject(confirmation(data({ inResponseTo: '_another' })))), 'in_response_to_mismatch');
  refused(t, await run(subject(confirmation(data({ until: iso(NOW - SKEW_MS) })))), 'assertion_expired', 'SubjectConfirmationData');
  refused(t, await run(subject(confirmation(data({ until: 'soon' })))), 'time_malformed', 'SubjectConfirmationData NotOnOrAfter');
});

test('authn_context: the one AuthnContextClassRef, the IdP\'s statement of the level', async (t) => {
  const classRef = (...refs: string[]) => refs.map((r) => `<saml:AuthnContextClassRef>${r}</saml:AuthnContextClassRef>`).join('');
  const statement = (inner: string) => `<saml:AuthnStatement><saml:AuthnContext>${inner}</saml:AuthnContext></saml:AuthnStatement>`;
  const run = (inner: string) => one(authnContext, { assertion: assertionEl(inner) });
  t.is(passed(t, await run(statement(classRef(LOA.loa3)))).classRef, LOA.loa3);
  refused(t, await run(''), 'authn_context_missing');
  refused(t, await run(statement(classRef(LOA.loa3)) + statement(classRef(LOA.loa3))), 'authn_context_missing');
  refused(t, await run('<saml:AuthnStatement/>'), 'authn_context_missing');
  refused(t, await run(statement('')), 'authn_context_missing');
  refused(t, await run(statement(classRef(LOA.loa3, LOA.loa4))), 'authn_context_missing', 'more than one AuthnContextClassRef');
  refused(t, await run(`<saml:AuthnStatement><saml:AuthnContext>${classRef(LOA.loa3)}</saml:AuthnContext><saml:AuthnContext/></saml:AuthnStatement>`), 'authn_context_missing', 'more than one AuthnContext');
});

test('attributes: a staff or a citizen identity, by the IdP\'s audience', async (t) => {
  const { siths, portal } = await fixture;
  const attribute = (name: string, ...values: string[]) => `<saml:Attribute Name="${name}">${values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join('')}</saml:Attribute>`;
  const statement = (...attrs: string[]) => `<saml:AttributeStatement>${attrs.join('')}</saml:AttributeStatement>`;
  const names = [attribute(ATTR.givenName, 'Sara'), attribute(ATTR.sn, 'Sjöström')];
  const staff = [attribute(ATTR.employeeHsaId, sara.hsaId), ...names, attribute(ATTR.orgAffiliation, `${sara.hsaId}@${sara.orgAffiliation}`)];
  const run = (inner: string, idp = siths) => one(attributes, { assertion: assertionEl(inner), idp });
  t.like(passed(t, await run(statement(...staff))).identity, { kind: 'staff', hsaId: sara.hsaId, orgNumber: sara.orgAffiliation });
  t.like(passed(t, await run(statement(attribute(ATTR.personalIdentityNumber, '198003121236'), ...names), portal)).identity, { kind: 'citizen', personalNumber: '198003121236' });
  refused(t, await run(statement(...staff), portal), 'attribute_missing', 'personalIdentityNumber');
  refused(t, await run(statement(...names)), 'attribute_missing', 'employeeHsaId');
  refused(t, await run(statement(...staff, attribute(ATTR.sn, 'Other'))), 'attribute_repeated', 'sn');
  refused(t, await run(statement(...staff, '<saml:Attribute/>')), 'attribute_malformed');
  refused(t, await run(statement(attribute(ATTR.employeeHsaId, sara.hsaId, 'SE2321000016-X'), ...names)), 'attribute_multivalued', 'employeeHsaId');
  refused(t, await run(statement(attribute(ATTR.employeeHsaId, sara.hsaId), ...names, attribute(ATTR.orgAffiliation, 'SE2321000016-X@2321000016'))), 'org_affiliation_mismatch');
  refused(t, await run(statement(attribute(ATTR.employeeHsaId, `${sara.hsaId}<b/>`), ...names)), 'mixed_content', 'AttributeValue');
});

test('one_time_assertion: an assertion is taken once per IdP, remembered until it could no longer be accepted', async (t) => {
  const { ctx, siths, portal } = await fixture;
  const store = new MemoryStore(clock);
  const run = (assertion: Element, idp = siths) => one(oneTimeAssertion, { assertion, idp, nowMs: NOW, notOnOrAfterMs: NOW + 300_000 }, ctx(store));
  t.is(passed(t, await run(assertionEl(''))).assertionId, '_a1');
  t.is(await store.ttl(assertionKey(siths, '_a1')), (300_000 + SKEW_MS) / 1000);
  refused(t, await run(assertionEl('')), 'assertion_replayed');
  passed(t, await run(assertionEl(''), portal));
  refused(t, await run(assertionEl('', 'IssueInstant="x"')), 'assertion_malformed', 'ID');
});

test('in_response_to: a request this gateway made, to this IdP, used up by its answer', async (t) => {
  const { ctx, siths, portal } = await fixture;
  const store = new MemoryStore(clock);
  const pending = { uid: 'interaction-1', idp: 'siths', upstream: 'siths-saml' };
  await store.set(requestKey(REQUEST_ID), JSON.stringify(pending), 600);
  const run = (attrs: string, idp = siths) => one(inResponseTo, { response: doc('', attrs).documentElement, idp }, ctx(store));
  t.deepEqual(passed(t, await run(`InResponseTo="${REQUEST_ID}"`)).request, pending);
  refused(t, await run(`InResponseTo="${REQUEST_ID}"`), 'unknown_in_response_to');
  refused(t, await run(''), 'in_response_to_missing');
  refused(t, await run('InResponseTo="_never-made"'), 'unknown_in_response_to');
  const long = `_${'a'.repeat(256)}`;
  await store.set(requestKey(long), JSON.stringify(pending), 600);
  refused(t, await run(`InResponseTo="${long}"`), 'unknown_in_response_to');
  await store.set(requestKey(REQUEST_ID), JSON.stringify(pending), 600);
  refused(t, await run(`InResponseTo="${REQUEST_ID}"`, portal), 'in_response_to_other_idp');
});

test('ResponseVerifier: the whole ACS, with the verdict routes.ts reads', async (t) => {
  const { sp, siths, portal, signed } = await fixture;
  const store = new MemoryStore(clock);
  const verifier = new ResponseVerifier({ sp, idps: [siths, portal], store, clock });
  const pending = { uid: 'interaction-1', idp: 'siths', upstream: 'siths-saml' };
  await store.set(requestKey(REQUEST_ID), JSON.stringify(pending), 600);
  const accepted = await verifier.verify(Buffer.from(signed).toString('base64'));
  t.like(accepted, { ok: true, idp: siths, request: pending, classRef: LOA.loa3, identity: { kind: 'staff', hsaId: sara.hsaId } });

  t.deepEqual(await verifier.verify(42), { ok: false, check: 'decode', reason: 'response_malformed' });
  const changed = tamper(signed, 'SE2321000016-A1B2@', 'SE2321000016-EVIL@');
  t.deepEqual(await verifier.verify(Buffer.from(changed).toString('base64')), {
    ok: false, check: 'response_signature', reason: 'signature_invalid', idp: 'siths', claimedRequestId: REQUEST_ID,
  });
});

test('ResponseVerifier: an error a check did not expect refuses as response_malformed, naming the check', async (t) => {
  const { sp, siths, signed } = await fixture;
  class Down extends MemoryStore {
    override setIfAbsent(): Promise<boolean> {
      return Promise.reject(new Error('store down: 10.0.0.1'));
    }
  }
  const down = new Down(clock);
  const verdict = await new ResponseVerifier({ sp, idps: [siths], store: down, clock }).verify(Buffer.from(signed).toString('base64'));
  t.deepEqual(verdict, { ok: false, check: 'one_time_assertion', reason: 'response_malformed', detail: 'one_time_assertion failed', idp: 'siths', claimedRequestId: REQUEST_ID });
});

test('idp_session: the NameID and SessionIndex a LogoutRequest must name', async (t) => {
  const subject = (nameId: string) => `<saml:Subject>${nameId}</saml:Subject>`;
  const state = passed(t, await one(idpSession, { assertion: assertionEl(`${subject('<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">abc</saml:NameID>')}<saml:AuthnStatement SessionIndex="_s1"/>`) }));
  t.deepEqual(state.session, { nameId: 'abc', nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient', sessionIndex: '_s1' });
  const bare = passed(t, await one(idpSession, { assertion: assertionEl(`${subject('<saml:NameID>abc</saml:NameID>')}<saml:AuthnStatement/>`) }));
  t.deepEqual(bare.session, { nameId: 'abc' });
  refused(t, await one(idpSession, { assertion: assertionEl(subject('')) }), 'subject_malformed', 'NameID');
  refused(t, await one(idpSession, { assertion: assertionEl(subject('<saml:NameID></saml:NameID>')) }), 'subject_malformed', 'NameID');
  refused(t, await one(idpSession, { assertion: assertionEl('') }), 'subject_malformed', 'NameID');
});
