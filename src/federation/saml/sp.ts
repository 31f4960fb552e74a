// The gateway as a SAML 2.0 service provider: its settings, the IdPs it trusts (each tied to one
// upstream in loa.providers), and signed AuthnRequests over the HTTP-Redirect binding, made with
// node-saml. RequestedAuthnContext names the IdP's own levels that reach the LoA this sign-in needs.
import { SAML } from '@node-saml/node-saml';
import type { Upstream } from '../loa.ts';
import { nativeLevelsReaching } from '../loa.ts';
import type { IdpMetadata } from './metadata.ts';
import { spMetadataXml } from './metadata.ts';

export interface SpSettings {
  entityId: string;
  acsUrl: string;
  /** Where IdPs send LogoutResponses (HTTP-POST binding); without it the SP offers no Single Logout. */
  sloUrl?: string | undefined;
  keyPem: string;
  certPem: string;
  clockSkewSeconds: number;
}

export interface TrustedIdp {
  /** The configured id (saml.idps[].id), e.g. 'siths'. */
  id: string;
  /** The key in loa.providers this IdP signs people in for, e.g. 'siths-saml'. */
  upstream: string;
  audience: 'citizen' | 'staff';
  metadata: IdpMetadata;
}

export const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

/** node-saml options shared by requests and the response cross-check. */
export function nodeSamlOptions(sp: SpSettings, idp: TrustedIdp) {
  return {
    entryPoint: idp.metadata.ssoRedirectUrl,
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    idpCert: idp.metadata.signingCertificates,
    privateKey: sp.keyPem,
    signatureAlgorithm: 'sha256' as const,
    digestAlgorithm: 'sha256',
    identifierFormat: TRANSIENT,
    wantAuthnResponseSigned: true,
    wantAssertionsSigned: true,
  };
}

/** The IdP levels to ask for: those reaching `needed`, or the upstream's one level when it has none. */
export function requestedClassRefs(entry: Upstream, needed: number): string[] {
  const levels = nativeLevelsReaching(entry, needed);
  return levels.length ? levels : [entry.acr];
}

/**
 * A signed AuthnRequest as an HTTP-Redirect URL to the IdP, with the given request ID; `passive` sets
 * IsPassive="true" (the IdP must not show a page: its own session signs the person in, or NoPassive).
 */
export async function authnRequestUrl(sp: SpSettings, idp: TrustedIdp, requestId: string, classRefs: string[], opts: { passive?: boolean } = {}): Promise<string> {
  const saml = new SAML({
    ...nodeSamlOptions(sp, idp),
    authnContext: classRefs,
    racComparison: 'exact',
    generateUniqueId: () => requestId,
    passive: opts.passive ?? false,
  });
  return saml.getAuthorizeUrlAsync('', undefined, {});
}

/** A signed LogoutRequest (SAML Single Logout) as an HTTP-Redirect URL to the IdP's SingleLogoutService. */
export async function logoutRequestUrl(sp: SpSettings, idp: TrustedIdp, requestId: string, session: { nameId: string; nameIdFormat?: string | undefined; sessionIndex?: string | undefined }): Promise<string> {
  const sloUrl = idp.metadata.sloRedirectUrl;
  if (!sloUrl) throw new Error(`IdP ${idp.id} has no SingleLogoutService`);
  const saml = new SAML({
    ...nodeSamlOptions(sp, idp),
    logoutUrl: sloUrl,
    generateUniqueId: () => requestId,
  });
  return saml.getLogoutUrlAsync({
    issuer: idp.metadata.entityId,
    nameID: session.nameId,
    nameIDFormat: session.nameIdFormat ?? TRANSIENT,
    ...(session.sessionIndex ? { sessionIndex: session.sessionIndex } : {}),
  }, '', {});
}

export const spMetadata = (sp: SpSettings): string => spMetadataXml(sp);
