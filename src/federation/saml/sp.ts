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

/** A signed AuthnRequest as an HTTP-Redirect URL to the IdP, with the given request ID. */
export async function authnRequestUrl(sp: SpSettings, idp: TrustedIdp, requestId: string, classRefs: string[]): Promise<string> {
  const saml = new SAML({
    ...nodeSamlOptions(sp, idp),
    authnContext: classRefs,
    racComparison: 'exact',
    generateUniqueId: () => requestId,
  });
  return saml.getAuthorizeUrlAsync('', undefined, {});
}

export const spMetadata = (sp: SpSettings): string => spMetadataXml(sp);
