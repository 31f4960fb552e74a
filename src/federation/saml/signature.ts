// XML signature verification as SAML needs it: one enveloped signature, a direct child of the element
// it signs, referencing that element's ID (and no other element may carry that ID), RSA-SHA256 or
// stronger, exclusive canonicalisation, and only the certificates from the IdP's metadata as keys
// (never a certificate from the message's own KeyInfo). What it returns is the signed bytes
// themselves, canonicalised: callers read from those, never from the document they were handed.
import { SignedXml } from 'xml-crypto';
import { NS, XmlRefused, children, elementsWithId } from './xml.ts';
import type { SamlReason } from './reasons.ts';

const ALLOWED_SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const ALLOWED_DIGESTS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
const ALLOWED_TRANSFORMS = new Set([
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  'http://www.w3.org/2001/10/xml-exc-c14n#',
]);
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

/** True when `el` has a signature of its own (a ds:Signature child). */
export const hasOwnSignature = (el: Element): boolean => children(el, NS.dsig, 'Signature').length > 0;

function algorithmsOf(signature: Element): void {
  const signedInfo = children(signature, NS.dsig, 'SignedInfo')[0];
  if (!signedInfo) throw new XmlRefused('signature_malformed');
  const c14n = children(signedInfo, NS.dsig, 'CanonicalizationMethod')[0]?.getAttribute('Algorithm');
  const method = children(signedInfo, NS.dsig, 'SignatureMethod')[0]?.getAttribute('Algorithm');
  if (c14n !== EXC_C14N) throw new XmlRefused('signature_algorithm_refused', 'canonicalization');
  if (!method || !ALLOWED_SIGNATURE_ALGORITHMS.has(method)) throw new XmlRefused('signature_algorithm_refused', 'signature method');
  const [reference, ...others] = children(signedInfo, NS.dsig, 'Reference');
  if (!reference || others.length) throw new XmlRefused('signature_reference_invalid', 'exactly one reference');
  const digest = children(reference, NS.dsig, 'DigestMethod')[0]?.getAttribute('Algorithm');
  if (!digest || !ALLOWED_DIGESTS.has(digest)) throw new XmlRefused('signature_algorithm_refused', 'digest');
  const transforms = children(reference, NS.dsig, 'Transforms')[0];
  for (const transform of transforms ? children(transforms, NS.dsig, 'Transform') : []) {
    if (!ALLOWED_TRANSFORMS.has(transform.getAttribute('Algorithm') ?? '')) throw new XmlRefused('signature_algorithm_refused', 'transform');
  }
}

/**
 * Verifies the signature that `el` carries over itself against `certificates` (PEM) and returns the
 * canonical signed content. Throws XmlRefused with `unsignedReason` when `el` has no signature, and
 * `signature_invalid` (or a more precise code) when it has one that does not hold.
 */
export function verifiedContent(xml: string, el: Element, certificates: readonly string[], unsignedReason: SamlReason): string {
  const [signature, ...others] = children(el, NS.dsig, 'Signature');
  if (!signature) throw new XmlRefused(unsignedReason);
  if (others.length) throw new XmlRefused('signature_reference_invalid', 'more than one signature');
  algorithmsOf(signature);
  const id = el.getAttribute('ID');
  if (!id) throw new XmlRefused('signature_reference_invalid', 'signed element has no ID');
  // The wrapping defence: the one element with this ID is the signature's own parent.
  const holders = elementsWithId(el.ownerDocument, id);
  if (holders.length !== 1 || holders[0] !== el) throw new XmlRefused('duplicate_id');
  for (const certificate of certificates) {
    const sig = new SignedXml({ publicCert: certificate });
    sig.loadSignature(signature);
    const [ref, ...more] = sig.getReferences();
    if (!ref || more.length || ref.uri !== `#${id}`) throw new XmlRefused('signature_reference_invalid', 'reference does not name the signed element');
    let valid = false;
    try {
      valid = sig.checkSignature(xml);
    } catch {
      valid = false;
    }
    if (!valid) continue;
    const signed = sig.getSignedReferences();
    if (signed.length !== 1 || !signed[0]) throw new XmlRefused('signature_reference_invalid');
    return signed[0];
  }
  throw new XmlRefused('signature_invalid');
}
