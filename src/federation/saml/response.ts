// The ACS's decision on a SAML Response, as an ordered pipeline of named checks, each refusing with
// its own reason code. Only the signature checks look at the document as received; every later
// check reads the signed bytes (the canonical content the IdP's signature covers), so nothing an
// attacker adds around or inside a signed message (wrapping, comments) is ever read.
//
// Both the Response and the Assertion must be signed by a certificate from the IdP's metadata.
// node-saml then verifies the same message independently, as a second opinion that must agree.
import { createHash } from 'node:crypto';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { Clock } from '../../clock.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { UpstreamIdentity } from '../../idp/accounts.ts';
import { NS, XmlRefused, children, normalizeNewlines, onlyChild, parseStrict, textOf } from './xml.ts';
import { verifiedContent } from './signature.ts';
import { citizenIdentity, readAttributes, staffIdentity } from './attributes.ts';
import { nodeSamlOptions, type SpSettings, type TrustedIdp } from './sp.ts';

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** A base64 SAMLResponse larger than this is refused before decoding. */
export const MAX_RESPONSE_CHARS = 200_000;

/** What the store keeps for an AuthnRequest the gateway sent, under saml:request:<ID>. */
export interface PendingRequest {
  uid: string;
  idp: string;
  upstream: string;
}

export const requestKey = (id: string): string => `saml:request:${id}`;

export interface Accepted {
  ok: true;
  idp: TrustedIdp;
  request: PendingRequest;
  identity: UpstreamIdentity;
  /** The AuthnContextClassRef: the IdP's own statement of the level. */
  classRef: string;
}

export interface Refused {
  ok: false;
  reason: string;
  /** Safe to log: which check part, which attribute, which status code; never a value. */
  detail?: string;
  idp?: string;
  /** The InResponseTo the message claims (unverified), so a refusal can reach the right login page. */
  claimedRequestId?: string;
}

export type Verdict = Accepted | Refused;

interface State {
  encoded: string;
  xml: string;
  doc: Document;
  claimedRequestId?: string;
  idp: TrustedIdp;
  /** Canonical signed content of the Response, and its parse. */
  responseXml: string;
  response: Element;
  assertion: Element;
  nowMs: number;
  notOnOrAfterMs: number;
  assertionId: string;
  classRef: string;
  identity: UpstreamIdentity;
  request: PendingRequest;
}

type Check = { name: string; run(state: Partial<State>): void | Promise<void> };

const refuse = (reason: string, detail?: string): never => {
  throw new XmlRefused(reason, detail);
};

const instant = (value: string | null, what: string): number => {
  const ms = value ? Date.parse(value) : Number.NaN;
  // SAML times are xs:dateTime in UTC; anything else is refused rather than guessed.
  if (!value || !/Z$/.test(value) || Number.isNaN(ms)) refuse('time_malformed', what);
  return ms;
};

export interface ResponseVerifierDeps {
  sp: SpSettings;
  idps: TrustedIdp[];
  store: HotStore;
  clock: Clock;
}

export class ResponseVerifier {
  readonly #deps: ResponseVerifierDeps;
  readonly #checks: Check[];

  constructor(deps: ResponseVerifierDeps) {
    this.#deps = deps;
    const { sp, idps, store, clock } = deps;
    const skewMs = sp.clockSkewSeconds * 1000;

    this.#checks = [
      { name: 'decode', run(s) {
        if (!s.encoded || s.encoded.length > MAX_RESPONSE_CHARS || !/^[A-Za-z0-9+/=\r\n]+$/.test(s.encoded)) refuse('response_malformed');
        s.xml = normalizeNewlines(Buffer.from(s.encoded!, 'base64').toString('utf8'));
      } },
      { name: 'parse', run(s) {
        s.doc = parseStrict(s.xml!);
        s.claimedRequestId = s.doc.documentElement.getAttribute('InResponseTo') ?? undefined;
      } },
      { name: 'shape', run(s) {
        const root = s.doc!.documentElement;
        if (root.namespaceURI !== NS.protocol || root.localName !== 'Response') refuse('not_a_response');
        if (root.getAttribute('Version') !== '2.0') refuse('version_unsupported');
      } },
      { name: 'status', run(s) {
        // An IdP's "no" is honoured even unsigned: it can only end the sign-in, never start one.
        const status = onlyChild(s.doc!.documentElement, NS.protocol, 'Status', 'status_malformed');
        const code = status && onlyChild(status, NS.protocol, 'StatusCode', 'status_malformed');
        const value = code?.getAttribute('Value');
        if (value !== SUCCESS) {
          const sub = code && children(code, NS.protocol, 'StatusCode')[0]?.getAttribute('Value');
          refuse('idp_refused', (sub ?? value ?? 'none').split(':').pop());
        }
      } },
      { name: 'assertion_placement', run(s) {
        const root = s.doc!.documentElement;
        if (s.doc!.getElementsByTagNameNS(NS.assertion, 'EncryptedAssertion').length) refuse('encrypted_assertion_unsupported');
        // One assertion, where SAML puts it. An assertion anywhere else (Extensions, a ds:Object,
        // inside another assertion) is how signature wrapping hides the signed original.
        const everywhere = s.doc!.getElementsByTagNameNS(NS.assertion, 'Assertion').length;
        const inPlace = children(root, NS.assertion, 'Assertion').length;
        if (everywhere !== 1 || inPlace !== 1) refuse('assertion_count', `${inPlace}/${everywhere}`);
      } },
      { name: 'issuer', run(s) {
        // Which IdP's certificates to verify with; re-checked against the signed content below.
        const issuer = onlyChild(s.doc!.documentElement, NS.assertion, 'Issuer', 'issuer_mismatch');
        const entityId = issuer ? textOf(issuer) : undefined;
        const idp = idps.find((i) => i.metadata.entityId === entityId);
        if (!idp) refuse('unknown_issuer');
        s.idp = idp;
      } },
      { name: 'response_signature', run(s) {
        s.responseXml = verifiedContent(s.xml!, s.doc!.documentElement, s.idp!.metadata.signingCertificates, 'response_unsigned');
        s.response = parseStrict(s.responseXml).documentElement;
      } },
      { name: 'assertion_signature', run(s) {
        const assertion = children(s.response!, NS.assertion, 'Assertion');
        if (assertion.length !== 1) refuse('assertion_count');
        const assertionXml = verifiedContent(s.responseXml!, assertion[0]!, s.idp!.metadata.signingCertificates, 'assertion_unsigned');
        s.assertion = parseStrict(assertionXml).documentElement;
      } },
      { name: 'second_opinion', async run(s) {
        const saml = new SAML({
          ...nodeSamlOptions(sp, s.idp!),
          audience: false, // checked below, with its own reason
          acceptedClockSkewMs: -1, // times are checked below against the gateway's clock
          validateInResponseTo: ValidateInResponseTo.never, // checked below against the store
        });
        try {
          await saml.validatePostResponseAsync({ SAMLResponse: s.encoded! });
        } catch {
          refuse('signature_invalid', 'node-saml');
        }
      } },
      { name: 'issuer_signed', run(s) {
        const entityId = s.idp!.metadata.entityId;
        const responseIssuer = onlyChild(s.response!, NS.assertion, 'Issuer', 'issuer_mismatch');
        const assertionIssuer = onlyChild(s.assertion!, NS.assertion, 'Issuer', 'issuer_mismatch');
        if (!responseIssuer || textOf(responseIssuer) !== entityId) refuse('issuer_mismatch', 'response');
        if (!assertionIssuer || textOf(assertionIssuer) !== entityId) refuse('issuer_mismatch', 'assertion');
      } },
      { name: 'destination', run(s) {
        if (s.response!.getAttribute('Destination') !== sp.acsUrl) refuse('destination_mismatch');
      } },
      { name: 'audience', run(s) {
        const conditions = children(s.assertion!, NS.assertion, 'Conditions');
        if (conditions.length !== 1) refuse('conditions_missing');
        const restrictions = children(conditions[0]!, NS.assertion, 'AudienceRestriction');
        // Every AudienceRestriction must name this SP (SAML core 2.5.1.4).
        if (!restrictions.length || !restrictions.every((r) => children(r, NS.assertion, 'Audience').some((a) => textOf(a) === sp.entityId))) {
          refuse('audience_mismatch');
        }
      } },
      { name: 'validity', run(s) {
        const now = clock.now();
        s.nowMs = now;
        const conditions = children(s.assertion!, NS.assertion, 'Conditions')[0]!;
        const issued = instant(s.assertion!.getAttribute('IssueInstant'), 'IssueInstant');
        if (issued > now + skewMs) refuse('assertion_not_yet_valid', 'IssueInstant');
        const notBefore = conditions.getAttribute('NotBefore');
        if (notBefore && instant(notBefore, 'NotBefore') > now + skewMs) refuse('assertion_not_yet_valid', 'NotBefore');
        const notOnOrAfter = instant(conditions.getAttribute('NotOnOrAfter'), 'NotOnOrAfter');
        if (now - skewMs >= notOnOrAfter) refuse('assertion_expired');
        s.notOnOrAfterMs = notOnOrAfter;
      } },
      { name: 'subject_confirmation', run(s) {
        const subject = onlyChild(s.assertion!, NS.assertion, 'Subject', 'subject_malformed');
        if (!subject) refuse('subject_malformed');
        const bearers = children(subject!, NS.assertion, 'SubjectConfirmation').filter((c) => c.getAttribute('Method') === BEARER);
        if (bearers.length !== 1) refuse('subject_confirmation_missing');
        const data = onlyChild(bearers[0]!, NS.assertion, 'SubjectConfirmationData', 'subject_malformed');
        if (!data) refuse('subject_confirmation_missing');
        if (data!.getAttribute('Recipient') !== sp.acsUrl) refuse('recipient_mismatch');
        if (data!.getAttribute('InResponseTo') !== s.response!.getAttribute('InResponseTo')) refuse('in_response_to_mismatch');
        const until = instant(data!.getAttribute('NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
        if (s.nowMs! - skewMs >= until) refuse('assertion_expired', 'SubjectConfirmationData');
        s.notOnOrAfterMs = Math.min(s.notOnOrAfterMs!, until);
      } },
      { name: 'authn_context', run(s) {
        const statements = children(s.assertion!, NS.assertion, 'AuthnStatement');
        if (statements.length !== 1) refuse('authn_context_missing');
        const context = onlyChild(statements[0]!, NS.assertion, 'AuthnContext', 'authn_context_missing');
        const classRef = context && onlyChild(context, NS.assertion, 'AuthnContextClassRef', 'authn_context_missing');
        if (!classRef) refuse('authn_context_missing');
        s.classRef = textOf(classRef!);
      } },
      { name: 'attributes', run(s) {
        const attributes = readAttributes(s.assertion!);
        s.identity = s.idp!.audience === 'staff' ? staffIdentity(attributes) : citizenIdentity(attributes);
      } },
      { name: 'one_time_assertion', async run(s) {
        const id = s.assertion!.getAttribute('ID');
        if (!id) refuse('assertion_malformed', 'ID');
        s.assertionId = id!;
        const key = `saml:assertion:${createHash('sha256').update(`${s.idp!.metadata.entityId}\n${id}`).digest('base64url')}`;
        // Remembered until it could no longer be accepted anyway: its end of validity plus the skew.
        const ttl = Math.max(1, Math.ceil((s.notOnOrAfterMs! + skewMs - s.nowMs!) / 1000));
        if (!(await store.setIfAbsent(key, '1', ttl))) refuse('assertion_replayed');
      } },
      { name: 'in_response_to', async run(s) {
        const id = s.response!.getAttribute('InResponseTo');
        if (!id) refuse('in_response_to_missing'); // unsolicited (IdP-initiated) responses are not accepted
        if (id!.length > 256) refuse('unknown_in_response_to');
        const raw = await store.getDel(requestKey(id!));
        if (!raw) refuse('unknown_in_response_to');
        const request = JSON.parse(raw!) as PendingRequest;
        if (request.idp !== s.idp!.id) refuse('in_response_to_other_idp');
        s.request = request;
      } },
    ];
  }

  /** Runs every check in order; the first refusal ends it. Never throws for bad input. */
  async verify(encoded: unknown): Promise<Verdict> {
    const state: Partial<State> = { encoded: typeof encoded === 'string' ? encoded : '' };
    for (const check of this.#checks) {
      try {
        await check.run(state);
      } catch (err) {
        const reason = err instanceof XmlRefused ? err.reason : 'response_malformed';
        const detail = err instanceof XmlRefused ? err.message.split(': ').slice(1).join(': ') || undefined : `${check.name} failed`;
        return {
          ok: false,
          reason,
          ...(detail ? { detail } : {}),
          ...(state.idp ? { idp: state.idp.id } : {}),
          ...(state.claimedRequestId ? { claimedRequestId: state.claimedRequestId } : {}),
        };
      }
    }
    return { ok: true, idp: state.idp!, request: state.request!, identity: state.identity!, classRef: state.classRef! };
  }

  get idps(): TrustedIdp[] {
    return this.#deps.idps;
  }
}
