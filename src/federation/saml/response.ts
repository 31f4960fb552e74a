// The ACS's decision on a SAML Response, as a pipeline of named checks on the decision primitive
// (src/decision.ts), each refusing with a reason from SamlReason. Only the signature checks look at
// the document as received; every later check reads the signed bytes (the canonical content the
// IdP's signature covers), so nothing an attacker adds around or inside a signed message (wrapping,
// comments) is ever read.
//
// Both the Response and the Assertion must be signed by a certificate from the IdP's metadata.
// node-saml then verifies the same message independently, as a second opinion that must agree.
import { createHash } from 'node:crypto';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { checksFor, Pipeline, refuse } from '../../decision.ts';
import type { Clock } from '../../clock.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { UpstreamIdentity } from '../../idp/accounts.ts';
import { NS, XmlRefused, children, normalizeNewlines, onlyChild, parseStrict, textOf } from './xml.ts';
import { verifiedContent } from './signature.ts';
import { citizenIdentity, readAttributes, staffIdentity } from './attributes.ts';
import { nodeSamlOptions, type SpSettings, type TrustedIdp } from './sp.ts';
import type { SamlReason } from './reasons.ts';

export { SAML_REASONS, type SamlReason } from './reasons.ts';

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const RESPONDER = 'urn:oasis:names:tc:SAML:2.0:status:Responder';
/** The second-level status of an IdP that cannot answer a passive request without a page (SAML core 3.2.2.2). */
export const NO_PASSIVE = 'urn:oasis:names:tc:SAML:2.0:status:NoPassive';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** A base64 SAMLResponse larger than this is refused before decoding. */
export const MAX_RESPONSE_CHARS = 200_000;

/** What the store keeps for an AuthnRequest the gateway sent, under saml:request:<ID>. */
export interface PendingRequest {
  uid: string;
  idp: string;
  upstream: string;
  /** Sent with IsPassive="true": NoPassive falls back to the method choice. */
  passive?: boolean;
}

/** The IdP's own session, as the assertion names it: what a LogoutRequest to it must name. */
export interface IdpSessionFacts {
  nameId: string;
  nameIdFormat?: string | undefined;
  sessionIndex?: string | undefined;
}

export const requestKey = (id: string): string => `saml:request:${id}`;

export interface Accepted {
  ok: true;
  idp: TrustedIdp;
  request: PendingRequest;
  identity: UpstreamIdentity;
  /** The AuthnContextClassRef: the IdP's own statement of the level. */
  classRef: string;
  /** The IdP's session (NameID, SessionIndex), for Single Logout. */
  session: IdpSessionFacts;
}

export interface Refused {
  ok: false;
  reason: SamlReason;
  /** The ACS check that refused (one of SAML_ACS_CHECKS). */
  check: string;
  /** Safe to log: which check part, which attribute, which status code; never a value. */
  detail?: string;
  idp?: string;
  /** The InResponseTo the message claims (unverified), so a refusal can reach the right login page. */
  claimedRequestId?: string;
}

export type Verdict = Accepted | Refused;

/** What every ACS check is given besides the state: the SP, whom it trusts, the store and the time. */
export interface AcsContext {
  sp: SpSettings;
  idps: readonly TrustedIdp[];
  store: HotStore;
  clock: Clock;
  /** The clock skew allowed against the IdP's times, in milliseconds. */
  skewMs: number;
}

/** What the ACS starts from: the SAMLResponse form field as posted. */
export interface AcsInput {
  encoded: string;
}

const { check, asyncCheck } = checksFor<SamlReason, AcsContext>();

const instant = (value: string | null, what: string): number => {
  const ms = value ? Date.parse(value) : Number.NaN;
  // SAML times are xs:dateTime in UTC; anything else is refused rather than guessed.
  if (!value || !/Z$/.test(value) || Number.isNaN(ms)) throw new XmlRefused('time_malformed', what);
  return ms;
};

export const decode = check('decode', (s: AcsInput) => {
  if (!s.encoded || s.encoded.length > MAX_RESPONSE_CHARS || !/^[A-Za-z0-9+/=\r\n]+$/.test(s.encoded)) return 'response_malformed';
  return { xml: normalizeNewlines(Buffer.from(s.encoded, 'base64').toString('utf8')) };
});

export const parse = check('parse', (s: { xml: string }) => {
  const doc = parseStrict(s.xml);
  // Unverified: only to send a refusal back to the sign-in it claims to answer.
  const claimedRequestId: string | undefined = doc.documentElement.getAttribute('InResponseTo') ?? undefined;
  return { doc, claimedRequestId };
});

export const shape = check('shape', (s: { doc: Document }) => {
  const root = s.doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'Response') return 'not_a_response';
  if (root.getAttribute('Version') !== '2.0') return 'version_unsupported';
  return undefined;
});

export const status = check('status', (s: { doc: Document }) => {
  // An IdP's "no" is honoured even unsigned: it can only end the sign-in, never start one.
  const status = onlyChild(s.doc.documentElement, NS.protocol, 'Status', 'status_malformed');
  const code = status && onlyChild(status, NS.protocol, 'StatusCode', 'status_malformed');
  const value = code?.getAttribute('Value');
  if (value === SUCCESS) return undefined;
  const sub = code && children(code, NS.protocol, 'StatusCode')[0]?.getAttribute('Value');
  if (value === RESPONDER && sub === NO_PASSIVE) return 'no_passive';
  return refuse('idp_refused', (sub ?? value ?? 'none').split(':').pop());
});

export const assertionPlacement = check('assertion_placement', (s: { doc: Document }) => {
  if (s.doc.getElementsByTagNameNS(NS.assertion, 'EncryptedAssertion').length) return 'encrypted_assertion_unsupported';
  // One assertion, where SAML puts it. An assertion anywhere else (Extensions, a ds:Object,
  // inside another assertion) is how signature wrapping hides the signed original.
  const everywhere = s.doc.getElementsByTagNameNS(NS.assertion, 'Assertion').length;
  const inPlace = children(s.doc.documentElement, NS.assertion, 'Assertion').length;
  if (everywhere !== 1 || inPlace !== 1) return refuse('assertion_count', `${inPlace}/${everywhere}`);
  return undefined;
});

export const issuer = check('issuer', (s: { doc: Document }, ctx) => {
  // Which IdP's certificates to verify with; re-checked against the signed content below.
  const issuer = onlyChild(s.doc.documentElement, NS.assertion, 'Issuer', 'issuer_mismatch');
  const entityId = issuer ? textOf(issuer) : undefined;
  const idp = ctx.idps.find((i) => i.metadata.entityId === entityId);
  return idp ? { idp } : 'unknown_issuer';
});

export const responseSignature = check('response_signature', (s: { xml: string; doc: Document; idp: TrustedIdp }) => {
  const responseXml = verifiedContent(s.xml, s.doc.documentElement, s.idp.metadata.signingCertificates, 'response_unsigned');
  return { responseXml, response: parseStrict(responseXml).documentElement };
});

export const assertionSignature = check('assertion_signature', (s: { responseXml: string; response: Element; idp: TrustedIdp }) => {
  const [signed, ...more] = children(s.response, NS.assertion, 'Assertion');
  if (!signed || more.length) return 'assertion_count';
  const assertionXml = verifiedContent(s.responseXml, signed, s.idp.metadata.signingCertificates, 'assertion_unsigned');
  return { assertion: parseStrict(assertionXml).documentElement };
});

export const secondOpinion = asyncCheck('second_opinion', async (s: { encoded: string; idp: TrustedIdp }, ctx) => {
  const saml = new SAML({
    ...nodeSamlOptions(ctx.sp, s.idp),
    audience: false, // checked below, with its own reason
    acceptedClockSkewMs: -1, // times are checked below against the gateway's clock
    validateInResponseTo: ValidateInResponseTo.never, // checked below against the store
  });
  try {
    await saml.validatePostResponseAsync({ SAMLResponse: s.encoded });
    return undefined;
  } catch {
    return refuse('signature_invalid', 'node-saml');
  }
});

export const issuerSigned = check('issuer_signed', (s: { idp: TrustedIdp; response: Element; assertion: Element }) => {
  const entityId = s.idp.metadata.entityId;
  const responseIssuer = onlyChild(s.response, NS.assertion, 'Issuer', 'issuer_mismatch');
  const assertionIssuer = onlyChild(s.assertion, NS.assertion, 'Issuer', 'issuer_mismatch');
  if (!responseIssuer || textOf(responseIssuer) !== entityId) return refuse('issuer_mismatch', 'response');
  if (!assertionIssuer || textOf(assertionIssuer) !== entityId) return refuse('issuer_mismatch', 'assertion');
  return undefined;
});

export const destination = check('destination', (s: { response: Element }, ctx) =>
  (s.response.getAttribute('Destination') === ctx.sp.acsUrl ? undefined : 'destination_mismatch'));

export const audience = check('audience', (s: { assertion: Element }, ctx) => {
  const [conditions, ...more] = children(s.assertion, NS.assertion, 'Conditions');
  if (!conditions || more.length) return 'conditions_missing';
  const restrictions = children(conditions, NS.assertion, 'AudienceRestriction');
  // Every AudienceRestriction must name this SP (SAML core 2.5.1.4).
  const forUs = (r: Element) => children(r, NS.assertion, 'Audience').some((a) => textOf(a) === ctx.sp.entityId);
  if (!restrictions.length || !restrictions.every(forUs)) return 'audience_mismatch';
  return { conditions };
});

export const validity = check('validity', (s: { assertion: Element; conditions: Element }, ctx) => {
  const now = ctx.clock.now();
  const issued = instant(s.assertion.getAttribute('IssueInstant'), 'IssueInstant');
  if (issued > now + ctx.skewMs) return refuse('assertion_not_yet_valid', 'IssueInstant');
  const notBefore = s.conditions.getAttribute('NotBefore');
  if (notBefore && instant(notBefore, 'NotBefore') > now + ctx.skewMs) return refuse('assertion_not_yet_valid', 'NotBefore');
  const notOnOrAfter = instant(s.conditions.getAttribute('NotOnOrAfter'), 'NotOnOrAfter');
  if (now - ctx.skewMs >= notOnOrAfter) return 'assertion_expired';
  return { nowMs: now, notOnOrAfterMs: notOnOrAfter };
});

export const subjectConfirmation = check('subject_confirmation', (s: { assertion: Element; response: Element; nowMs: number; notOnOrAfterMs: number }, ctx) => {
  const subject = onlyChild(s.assertion, NS.assertion, 'Subject', 'subject_malformed');
  if (!subject) return 'subject_malformed';
  const [bearer, ...more] = children(subject, NS.assertion, 'SubjectConfirmation').filter((c) => c.getAttribute('Method') === BEARER);
  if (!bearer || more.length) return 'subject_confirmation_missing';
  const data = onlyChild(bearer, NS.assertion, 'SubjectConfirmationData', 'subject_malformed');
  if (!data) return 'subject_confirmation_missing';
  if (data.getAttribute('Recipient') !== ctx.sp.acsUrl) return 'recipient_mismatch';
  if (data.getAttribute('InResponseTo') !== s.response.getAttribute('InResponseTo')) return 'in_response_to_mismatch';
  const until = instant(data.getAttribute('NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
  if (s.nowMs - ctx.skewMs >= until) return refuse('assertion_expired', 'SubjectConfirmationData');
  // The assertion is good until the earlier of its Conditions and its confirmation.
  return { notOnOrAfterMs: Math.min(s.notOnOrAfterMs, until) };
});

export const authnContext = check('authn_context', (s: { assertion: Element }) => {
  const [statement, ...more] = children(s.assertion, NS.assertion, 'AuthnStatement');
  if (!statement || more.length) return 'authn_context_missing';
  const context = onlyChild(statement, NS.assertion, 'AuthnContext', 'authn_context_missing');
  const classRef = context && onlyChild(context, NS.assertion, 'AuthnContextClassRef', 'authn_context_missing');
  return classRef ? { classRef: textOf(classRef) } : 'authn_context_missing';
});

/** The IdP's session: NameID (and its format) and the AuthnStatement's SessionIndex, for Single Logout. */
export const idpSession = check('idp_session', (s: { assertion: Element }) => {
  const subject = onlyChild(s.assertion, NS.assertion, 'Subject', 'subject_malformed');
  const nameIdEl = subject && onlyChild(subject, NS.assertion, 'NameID', 'subject_malformed');
  const nameId = nameIdEl ? textOf(nameIdEl) : '';
  if (!nameIdEl || !nameId || nameId.length > 1024) return refuse('subject_malformed', 'NameID');
  const statement = children(s.assertion, NS.assertion, 'AuthnStatement')[0];
  const sessionIndex = statement?.getAttribute('SessionIndex') ?? undefined;
  const nameIdFormat = nameIdEl.getAttribute('Format') ?? undefined;
  return { session: { nameId, ...(nameIdFormat ? { nameIdFormat } : {}), ...(sessionIndex ? { sessionIndex } : {}) } as IdpSessionFacts };
});

export const attributes = check('attributes', (s: { assertion: Element; idp: TrustedIdp }) => {
  const attributes = readAttributes(s.assertion);
  const identity: UpstreamIdentity = s.idp.audience === 'staff' ? staffIdentity(attributes) : citizenIdentity(attributes);
  return { identity };
});

/** The replay cache key of an assertion: its IdP and ID, hashed (IDs are the IdP's, of any length). */
export const assertionKey = (idp: TrustedIdp, assertionId: string): string =>
  `saml:assertion:${createHash('sha256').update(`${idp.metadata.entityId}\n${assertionId}`).digest('base64url')}`;

export const oneTimeAssertion = asyncCheck('one_time_assertion', async (s: { assertion: Element; idp: TrustedIdp; nowMs: number; notOnOrAfterMs: number }, ctx) => {
  const assertionId = s.assertion.getAttribute('ID');
  if (!assertionId) return refuse('assertion_malformed', 'ID');
  // Remembered until it could no longer be accepted anyway: its end of validity plus the skew.
  const ttl = Math.max(1, Math.ceil((s.notOnOrAfterMs + ctx.skewMs - s.nowMs) / 1000));
  if (!(await ctx.store.setIfAbsent(assertionKey(s.idp, assertionId), '1', ttl))) return 'assertion_replayed';
  return { assertionId };
});

export const inResponseTo = asyncCheck('in_response_to', async (s: { response: Element; idp: TrustedIdp }, ctx) => {
  const id = s.response.getAttribute('InResponseTo');
  if (!id) return 'in_response_to_missing'; // unsolicited (IdP-initiated) responses are not accepted
  if (id.length > 256) return 'unknown_in_response_to';
  const raw = await ctx.store.getDel(requestKey(id));
  if (!raw) return 'unknown_in_response_to';
  const request = JSON.parse(raw) as PendingRequest;
  if (request.idp !== s.idp.id) return 'in_response_to_other_idp';
  return { request };
});

/** The ACS, in order: the compiler refuses an order in which a check reads what is not yet established. */
export const samlAcs = Pipeline.of<AcsInput, SamlReason, AcsContext>()
  .then(decode)
  .then(parse)
  .then(shape)
  .then(status)
  .then(assertionPlacement)
  .then(issuer)
  .then(responseSignature)
  .then(assertionSignature)
  .then(secondOpinion)
  .then(issuerSigned)
  .then(destination)
  .then(audience)
  .then(validity)
  .then(subjectConfirmation)
  .then(authnContext)
  .then(idpSession)
  .then(attributes)
  .then(oneTimeAssertion)
  .then(inResponseTo);

/** Names of the ACS checks, in the order they run (for documentation and tests). */
export const SAML_ACS_CHECKS = samlAcs.names;

export interface ResponseVerifierDeps {
  sp: SpSettings;
  idps: TrustedIdp[];
  store: HotStore;
  clock: Clock;
}

export class ResponseVerifier {
  readonly #deps: ResponseVerifierDeps;
  readonly #ctx: AcsContext;

  constructor(deps: ResponseVerifierDeps) {
    this.#deps = deps;
    this.#ctx = { ...deps, skewMs: deps.sp.clockSkewSeconds * 1000 };
  }

  /** Runs every check in order; the first refusal ends it. Never throws for bad input. */
  async verify(encoded: unknown): Promise<Verdict> {
    const verdict = await samlAcs.run({ encoded: typeof encoded === 'string' ? encoded : '' }, this.#ctx, {
      // Fail closed: whatever a check did not expect (a library's error, a store that is down)
      // refuses the response, naming the check, never the error's text (it may quote the message).
      unexpected: (_err, name) => refuse('response_malformed', `${name} failed`),
    });
    if (verdict.ok) {
      const { idp, request, identity, classRef, session } = verdict.state;
      return { ok: true, idp, request, identity, classRef, session };
    }
    const { idp, claimedRequestId } = verdict.state;
    return {
      ok: false,
      reason: verdict.reason,
      check: verdict.check,
      ...(verdict.detail ? { detail: verdict.detail } : {}),
      ...(idp ? { idp: idp.id } : {}),
      ...(claimedRequestId ? { claimedRequestId } : {}),
    };
  }

  get idps(): TrustedIdp[] {
    return this.#deps.idps;
  }
}
