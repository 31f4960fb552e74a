// A simulated SAML IdP for the sandbox: the SITHS IdP (staff, HSA-id) or the national portal's IdP
// (citizens, loa3 or loa4). It reads the gateway's SP metadata as a real IdP would, accepts only
// AuthnRequests signed with the SP's key (HTTP-Redirect binding), from that SP, to this IdP, with the
// SP's own ACS, and answers with a Response and Assertion each really signed with its own key.
import { randomBytes, verify as verifySignature } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { Clock } from '../../../clock.ts';
import { LOA } from '../../../idp/claims.ts';
import { ATTR } from '../attributes.ts';
import { BINDING, pemBody, type SpMetadata } from '../metadata.ts';
import { NS, XmlRefused, children, parseStrict, textOf, xmlEscape } from '../xml.ts';
import { signElement, signResponse, type SigningKey } from './sign.ts';

export const SIM_PREFIX = '/sandbox/saml/idp';
/** How long the simulated IdP's assertions are valid. */
export const ASSERTION_LIFETIME_MS = 5 * 60_000;

export interface StaffPersona {
  id: string;
  personalNumber: string;
  givenName: string;
  surname: string;
  hsaId: string;
  orgAffiliation: string;
  orgName: string;
  description?: { sv: string; en: string };
}

export interface CitizenPersona {
  id: string;
  personalNumber: string;
  givenName: string;
  surname: string;
  description?: { sv: string; en: string };
}

export interface Personas {
  citizens: CitizenPersona[];
  staff: StaffPersona[];
}

export type Persona = CitizenPersona | StaffPersona;

/** What the simulator understood from an AuthnRequest. */
export interface AuthnRequestInfo {
  id: string;
  /** Requested AuthnContextClassRefs (empty when none were asked for). */
  classRefs: string[];
  relayState?: string;
  /** IsPassive="true": the IdP must not show a page (its session answers, or NoPassive). */
  passive?: boolean;
  /** ForceAuthn="true": the IdP's session does not answer; the person signs in again. */
  forceAuthn?: boolean;
}

/** A LogoutRequest the simulator received (SAML Single Logout), as tests and the sandbox see it. */
export interface LogoutRequestInfo {
  id: string;
  nameId: string;
  sessionIndex?: string;
  relayState?: string;
}

/** The simulated IdP's own session: who signed in, at which level, under which NameID and SessionIndex. */
export interface IdpSession {
  personaId: string;
  level: string;
  nameId: string;
  sessionIndex: string;
}

/** A refusal of the simulator (the IdP side), as a reason code a tester can read. */
export class SimulatorError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface SimulatedIdpOptions {
  id: 'siths' | 'portal';
  kind: 'staff' | 'citizen';
  issuer: string;
  key: SigningKey;
  sp: SpMetadata;
  clock: Clock;
  personas: Personas;
  /** Levels (AuthnContextClassRef) this IdP can assert. */
  levels: string[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const newId = (): string => `_${randomBytes(16).toString('hex')}`;

export class SimulatedIdp {
  readonly id: 'siths' | 'portal';
  readonly kind: 'staff' | 'citizen';
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly sloUrl: string;
  readonly levels: string[];
  /** The IdP's sessions by cookie value: the portal keeps its own sign-ins, as a real IdP does. */
  readonly sessions = new Map<string, IdpSession>();
  /** Every LogoutRequest received, oldest first (sandbox and tests read them). */
  readonly logoutRequests: LogoutRequestInfo[] = [];
  readonly #key: SigningKey;
  readonly #sp: SpMetadata;
  readonly #clock: Clock;
  readonly #personas: Personas;

  constructor(opts: SimulatedIdpOptions) {
    this.id = opts.id;
    this.kind = opts.kind;
    this.entityId = `${opts.issuer}${SIM_PREFIX}/${opts.id}/metadata`;
    this.ssoUrl = `${opts.issuer}${SIM_PREFIX}/${opts.id}/sso`;
    this.sloUrl = `${opts.issuer}${SIM_PREFIX}/${opts.id}/slo`;
    this.levels = opts.levels;
    this.#key = opts.key;
    this.#sp = opts.sp;
    this.#clock = opts.clock;
    this.#personas = opts.personas;
  }

  get personas(): Persona[] {
    return this.kind === 'staff' ? this.#personas.staff : this.#personas.citizens;
  }

  get acsUrl(): string {
    return this.#sp.acsUrl;
  }

  metadataXml(): string {
    return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="${xmlEscape(this.entityId)}">
  <md:IDPSSODescriptor protocolSupportEnumeration="${NS.protocol}" WantAuthnRequestsSigned="true">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pemBody(this.#key.certPem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleLogoutService Binding="${BINDING.redirect}" Location="${xmlEscape(this.sloUrl)}"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:SingleSignOnService Binding="${BINDING.redirect}" Location="${xmlEscape(this.ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
  }

  /**
   * Reads an AuthnRequest from the raw query string of the HTTP-Redirect binding, checking the
   * signature over the parameters exactly as they were sent (SAML bindings 3.4.4.1).
   */
  readAuthnRequest(rawQuery: string): AuthnRequestInfo {
    const { root, relayState } = this.#readRedirect(rawQuery, 'AuthnRequest');
    const acs = root.getAttribute('AssertionConsumerServiceURL');
    if (acs && acs !== this.#sp.acsUrl) throw new SimulatorError('request_wrong_acs', 'The AuthnRequest asks for an ACS not in the SP metadata.');
    const id = root.getAttribute('ID');
    if (!id) throw new SimulatorError('request_malformed', 'The AuthnRequest has no ID.');
    const requested = children(root, NS.protocol, 'RequestedAuthnContext')[0];
    const classRefs = requested ? children(requested, NS.assertion, 'AuthnContextClassRef').map(textOf) : [];
    return {
      id, classRefs, ...(relayState ? { relayState } : {}),
      passive: root.getAttribute('IsPassive') === 'true',
      forceAuthn: root.getAttribute('ForceAuthn') === 'true',
    };
  }

  /** Reads a LogoutRequest (HTTP-Redirect binding, signed by the SP) naming the session to end. */
  readLogoutRequest(rawQuery: string): LogoutRequestInfo {
    const { root, relayState } = this.#readRedirect(rawQuery, 'LogoutRequest');
    const id = root.getAttribute('ID');
    if (!id) throw new SimulatorError('request_malformed', 'The LogoutRequest has no ID.');
    const nameId = children(root, NS.assertion, 'NameID')[0];
    if (!nameId || !textOf(nameId)) throw new SimulatorError('request_malformed', 'The LogoutRequest names no NameID.');
    const sessionIndex = children(root, NS.protocol, 'SessionIndex')[0];
    return { id, nameId: textOf(nameId), ...(sessionIndex ? { sessionIndex: textOf(sessionIndex) } : {}), ...(relayState ? { relayState } : {}) };
  }

  /**
   * Ends the IdP sessions a LogoutRequest names (its NameID, and SessionIndex when given), records the
   * request, and answers a signed LogoutResponse to the SP's SingleLogoutService (HTTP-POST binding).
   */
  logout(request: LogoutRequestInfo): { sloUrl: string; xml: string } {
    this.logoutRequests.push(request);
    for (const [cookie, session] of this.sessions) {
      if (session.nameId === request.nameId && (!request.sessionIndex || session.sessionIndex === request.sessionIndex)) this.sessions.delete(cookie);
    }
    const sloUrl = this.#sp.sloUrl;
    if (!sloUrl) throw new SimulatorError('sp_without_slo', 'The SP metadata has no SingleLogoutService (HTTP-POST).');
    const now = this.#clock.now();
    // Success also when nothing was left to end: the person is signed out of this IdP either way.
    const status = 'urn:oasis:names:tc:SAML:2.0:status:Success';
    const xml = `<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${newId()}" Version="2.0" IssueInstant="${iso(now)}" Destination="${xmlEscape(sloUrl)}" InResponseTo="${xmlEscape(request.id)}">`
      + `<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${xmlEscape(this.entityId)}</saml:Issuer>`
      + `<samlp:Status><samlp:StatusCode Value="${status}"/></samlp:Status></samlp:LogoutResponse>`;
    return { sloUrl, xml: signElement(xml, "/*[local-name(.)='LogoutResponse']", this.#key) };
  }

  /** Starts an IdP session for a persona at a level; answers its cookie value. */
  startSession(persona: Persona, level: string): string {
    const cookie = randomBytes(24).toString('base64url');
    this.sessions.set(cookie, { personaId: persona.id, level, nameId: randomBytes(16).toString('hex'), sessionIndex: newId() });
    return cookie;
  }

  /** The IdP session behind a cookie that can answer this request (its level among those asked for). */
  sessionFor(cookie: string | undefined, request: AuthnRequestInfo): { persona: Persona; session: IdpSession } | undefined {
    const session = cookie ? this.sessions.get(cookie) : undefined;
    const persona = session && this.findPersona(session.personaId);
    if (!session || !persona || request.forceAuthn || !this.levelsFor(request).includes(session.level)) return undefined;
    return { persona, session };
  }

  /** The parameters of an HTTP-Redirect message, its signature checked over the parameters exactly as sent (SAML bindings 3.4.4.1). */
  #readRedirect(rawQuery: string, kind: 'AuthnRequest' | 'LogoutRequest'): { root: Element; relayState?: string } {
    const parts = rawQuery.replace(/^\?/, '').split('&');
    const raw = (name: string): string | undefined => parts.find((p) => p.startsWith(`${name}=`));
    const value = (name: string): string | undefined => {
      const part = raw(name);
      return part === undefined ? undefined : decodeURIComponent(part.slice(name.length + 1).replace(/\+/g, ' '));
    };
    const request = raw('SAMLRequest');
    const sigAlg = raw('SigAlg');
    const signature = value('Signature');
    if (!request) throw new SimulatorError('request_missing', 'No SAMLRequest parameter.');
    if (!sigAlg || !signature) throw new SimulatorError('request_unsigned', `The ${kind} is not signed; this IdP wants signed requests (WantAuthnRequestsSigned).`);
    if (value('SigAlg') !== 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256') throw new SimulatorError('request_signature_algorithm', 'SigAlg must be RSA-SHA256.');
    const signed = Buffer.from([request, raw('RelayState'), sigAlg].filter(Boolean).join('&'));
    const ok = this.#sp.signingCertificates.some((cert) => {
      try {
        return verifySignature('sha256', signed, cert, Buffer.from(signature, 'base64'));
      } catch {
        return false;
      }
    });
    if (!ok) throw new SimulatorError('request_signature_invalid', `The ${kind} signature does not verify with the SP metadata's certificate.`);
    let doc: Document;
    try {
      // Present (checked above); inside the try, so a bad percent-encoding is a malformed request.
      doc = parseStrict(inflateRawSync(Buffer.from(value('SAMLRequest') ?? '', 'base64')).toString('utf8'));
    } catch (err) {
      throw new SimulatorError('request_malformed', `The ${kind} cannot be read (${err instanceof XmlRefused ? err.reason : 'inflate'}).`);
    }
    const root = doc.documentElement;
    if (root.namespaceURI !== NS.protocol || root.localName !== kind) throw new SimulatorError('request_malformed', `Not an ${kind}.`);
    const issuer = children(root, NS.assertion, 'Issuer')[0];
    if (!issuer || textOf(issuer) !== this.#sp.entityId) throw new SimulatorError('request_unknown_sp', `The ${kind}'s Issuer is not the SP in this IdP's metadata.`);
    if (root.getAttribute('Destination') !== (kind === 'AuthnRequest' ? this.ssoUrl : this.sloUrl)) throw new SimulatorError('request_wrong_destination', `The ${kind}'s Destination is not this IdP.`);
    const relayState = value('RelayState');
    return { root, ...(relayState ? { relayState } : {}) };
  }

  /** The levels this IdP may assert for the request: those asked for (all, when none were). */
  levelsFor(request: AuthnRequestInfo): string[] {
    return request.classRefs.length ? this.levels.filter((l) => request.classRefs.includes(l)) : this.levels;
  }

  findPersona(id: string): Persona | undefined {
    return this.personas.find((p) => p.id === id);
  }

  #attributes(persona: Persona): Array<[string, string, string]> {
    const common: Array<[string, string, string]> = [
      [ATTR.personalIdentityNumber, 'personalIdentityNumber', persona.personalNumber],
      [ATTR.givenName, 'givenName', persona.givenName],
      [ATTR.sn, 'sn', persona.surname],
      [ATTR.displayName, 'displayName', `${persona.givenName} ${persona.surname}`],
    ];
    if (this.kind !== 'staff') return common;
    const staff = persona as StaffPersona;
    return [
      [ATTR.employeeHsaId, 'employeeHsaId', staff.hsaId],
      ...common,
      [ATTR.orgAffiliation, 'orgAffiliation', `${staff.hsaId}@${staff.orgAffiliation}`],
      [ATTR.organizationIdentifier, 'organizationIdentifier', staff.orgAffiliation],
      [ATTR.organizationName, 'o', staff.orgName],
    ];
  }

  /**
   * A signed Response: success for `persona` at `level` (under the IdP session's NameID and
   * SessionIndex when one is given), the IdP's AuthnFailed when cancelled, or NoPassive when a
   * passive request finds no session.
   */
  respond(request: AuthnRequestInfo, outcome: { persona: Persona; level: string; session?: IdpSession } | { cancelled: true } | { noPassive: true }): string {
    const now = this.#clock.now();
    const until = iso(now + ASSERTION_LIFETIME_MS);
    const issuer = `<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${xmlEscape(this.entityId)}</saml:Issuer>`;
    const head = `<samlp:Response xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${newId()}" Version="2.0" IssueInstant="${iso(now)}" Destination="${xmlEscape(this.#sp.acsUrl)}" InResponseTo="${xmlEscape(request.id)}">${issuer}`;
    if ('noPassive' in outcome) {
      const xml = `${head}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:NoPassive"/></samlp:StatusCode><samlp:StatusMessage>No session, and the request was passive</samlp:StatusMessage></samlp:Status></samlp:Response>`;
      return signResponse(xml, this.#key, { assertion: false });
    }
    if ('cancelled' in outcome) {
      const xml = `${head}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode><samlp:StatusMessage>The user cancelled</samlp:StatusMessage></samlp:Status></samlp:Response>`;
      return signResponse(xml, this.#key, { assertion: false });
    }
    const attributes = this.#attributes(outcome.persona).map(([name, friendly, value]) =>
      `<saml:Attribute Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="${friendly}"><saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${xmlEscape(value)}</saml:AttributeValue></saml:Attribute>`).join('');
    const xml = `${head}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`
      + `<saml:Assertion ID="${newId()}" Version="2.0" IssueInstant="${iso(now)}">${issuer}`
      + `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">${xmlEscape(outcome.session?.nameId ?? randomBytes(16).toString('hex'))}</saml:NameID>`
      + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${xmlEscape(request.id)}" NotOnOrAfter="${until}" Recipient="${xmlEscape(this.#sp.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>`
      + `<saml:Conditions NotBefore="${iso(now)}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${xmlEscape(this.#sp.entityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
      + `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${xmlEscape(outcome.session?.sessionIndex ?? newId())}"><saml:AuthnContext><saml:AuthnContextClassRef>${xmlEscape(outcome.level)}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
      + `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`
      + '</saml:Assertion></samlp:Response>';
    return signResponse(xml, this.#key);
  }
}

/** The two sandbox IdPs' levels: SITHS asserts loa3; the portal passes on loa3 or loa4. */
export const SIMULATED_LEVELS = {
  siths: [LOA.loa3],
  portal: [LOA.loa3, LOA.loa4],
} as const;
