// How the simulated IdPs sign, as a real SAML IdP does: the Assertion first, then the Response around
// it, each with an enveloped RSA-SHA256 signature over exclusive canonicalisation, placed right after
// the element's Issuer (the schema's position), with the signing certificate in KeyInfo. The tests
// use `resign` to make a message that the IdP's own key really signed, with content of their choosing.
import { SignedXml } from 'xml-crypto';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { NS } from '../xml.ts';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export interface SigningKey {
  keyPem: string;
  certPem: string;
}

/** Signs the element named by `xpath` (an element with an ID), placing the signature after its Issuer. */
export function signElement(xml: string, xpath: string, key: SigningKey): string {
  const sig = new SignedXml({
    privateKey: key.keyPem,
    publicCert: key.certPem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  sig.addReference({ xpath, digestAlgorithm: SHA256, transforms: [ENVELOPED, EXC_C14N] });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `${xpath}/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

export const ASSERTION_XPATH = "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";
export const RESPONSE_XPATH = "/*[local-name(.)='Response']";

/** Signs the Assertion (when there is one) and then the Response. */
export function signResponse(xml: string, key: SigningKey, parts: { assertion?: boolean; response?: boolean } = {}): string {
  let out = xml;
  if (parts.assertion !== false && out.includes('Assertion')) out = signElement(out, ASSERTION_XPATH, key);
  if (parts.response !== false) out = signElement(out, RESPONSE_XPATH, key);
  return out;
}

/** Removes every ds:Signature, giving back the content as it was before signing. */
export function stripSignatures(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signatures = Array.from(doc.getElementsByTagNameNS(NS.dsig, 'Signature'));
  for (const s of signatures) s.parentNode?.removeChild(s);
  return new XMLSerializer().serializeToString(doc);
}

/** Signs again with `key`: what a test uses to make the IdP "issue" content it chose. */
export const resign = (xml: string, key: SigningKey, parts: { assertion?: boolean; response?: boolean } = {}): string =>
  signResponse(stripSignatures(xml), key, parts);
