// SAML metadata: the IdP's (which certificates may sign responses, where to send the AuthnRequest) and
// the gateway's own SP metadata (entityID, signing certificate, ACS), published at /saml/metadata and
// generated with node-saml. The simulator reads the SP metadata the same way a real IdP would.
import { X509Certificate } from 'node:crypto';
import { generateServiceProviderMetadata } from '@node-saml/node-saml';
import { NS, XmlRefused, children, parseStrict, textOf } from './xml.ts';

export const BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

export interface IdpMetadata {
  entityId: string;
  /** Where AuthnRequests go (HTTP-Redirect binding). */
  ssoRedirectUrl: string;
  /** PEM certificates that may sign responses; nothing else is trusted. */
  signingCertificates: string[];
  /** Where LogoutRequests go (SingleLogoutService, HTTP-Redirect binding), when the IdP has one. */
  sloRedirectUrl?: string | undefined;
}

export interface SpMetadata {
  entityId: string;
  acsUrl: string;
  /** The SP's SingleLogoutService (HTTP-POST binding), when it has one. */
  sloUrl?: string | undefined;
  signingCertificates: string[];
  authnRequestsSigned: boolean;
}

export class MetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}

const toPem = (base64: string): string => {
  const body = base64.replace(/\s+/g, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  // Throws on anything that is not a certificate.
  new X509Certificate(pem);
  return pem;
};

export const pemBody = (pem: string): string => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

function signingCertificates(descriptor: Element): string[] {
  const out: string[] = [];
  for (const kd of children(descriptor, NS.metadata, 'KeyDescriptor')) {
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const keyInfo of children(kd, NS.dsig, 'KeyInfo')) {
      for (const data of children(keyInfo, NS.dsig, 'X509Data')) {
        for (const cert of children(data, NS.dsig, 'X509Certificate')) out.push(toPem(textOf(cert)));
      }
    }
  }
  return out;
}

function entity(xml: string): { root: Element; entityId: string } {
  let doc: Document;
  try {
    doc = parseStrict(xml);
  } catch (err) {
    throw new MetadataError(`not readable SAML metadata (${err instanceof XmlRefused ? err.reason : 'error'})`);
  }
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.metadata || root.localName !== 'EntityDescriptor') throw new MetadataError('the root element must be md:EntityDescriptor (one entity per file)');
  const entityId = root.getAttribute('entityID');
  if (!entityId) throw new MetadataError('EntityDescriptor has no entityID');
  return { root, entityId };
}

export function parseIdpMetadata(xml: string): IdpMetadata {
  const { root, entityId } = entity(xml);
  const idp = children(root, NS.metadata, 'IDPSSODescriptor')[0];
  if (!idp) throw new MetadataError('no IDPSSODescriptor');
  let certs: string[];
  try {
    certs = signingCertificates(idp);
  } catch {
    throw new MetadataError('a signing certificate in the IDPSSODescriptor is not a valid X.509 certificate');
  }
  if (!certs.length) throw new MetadataError('the IDPSSODescriptor has no signing certificate');
  const sso = children(idp, NS.metadata, 'SingleSignOnService').find((s) => s.getAttribute('Binding') === BINDING.redirect);
  const location = sso?.getAttribute('Location');
  if (!location || !/^https?:\/\//.test(location)) throw new MetadataError('no SingleSignOnService with the HTTP-Redirect binding');
  const slo = children(idp, NS.metadata, 'SingleLogoutService').find((s) => s.getAttribute('Binding') === BINDING.redirect)?.getAttribute('Location');
  return { entityId, ssoRedirectUrl: location, signingCertificates: certs, ...(slo && /^https?:\/\//.test(slo) ? { sloRedirectUrl: slo } : {}) };
}

export function parseSpMetadata(xml: string): SpMetadata {
  const { root, entityId } = entity(xml);
  const sp = children(root, NS.metadata, 'SPSSODescriptor')[0];
  if (!sp) throw new MetadataError('no SPSSODescriptor');
  const acs = children(sp, NS.metadata, 'AssertionConsumerService').find((a) => a.getAttribute('Binding') === BINDING.post);
  const acsUrl = acs?.getAttribute('Location');
  if (!acsUrl) throw new MetadataError('no AssertionConsumerService with the HTTP-POST binding');
  const sloUrl = children(sp, NS.metadata, 'SingleLogoutService').find((s) => s.getAttribute('Binding') === BINDING.post)?.getAttribute('Location');
  return {
    entityId,
    acsUrl,
    ...(sloUrl ? { sloUrl } : {}),
    signingCertificates: signingCertificates(sp),
    authnRequestsSigned: sp.getAttribute('AuthnRequestsSigned') === 'true',
  };
}

/** The gateway's SP metadata: entityID, the AuthnRequest signing certificate, the POST ACS. */
export function spMetadataXml(opts: { entityId: string; acsUrl: string; sloUrl?: string | undefined; keyPem: string; certPem: string }): string {
  return generateServiceProviderMetadata({
    issuer: opts.entityId,
    callbackUrl: opts.acsUrl,
    ...(opts.sloUrl ? { logoutCallbackUrl: opts.sloUrl } : {}),
    privateKey: opts.keyPem,
    publicCerts: opts.certPem,
    signatureAlgorithm: 'sha256',
    wantAssertionsSigned: true,
    identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  });
}
