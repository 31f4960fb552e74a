// Where a card certificate comes from: the gateway's own TLS socket (DER from getPeerCertificate), or a
// TLS-terminating proxy that forwards it in a header. Every form ends as one DER certificate or a
// `malformed` refusal; nothing here trusts the certificate, it only decodes it.
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import { pemBlocks } from './x509.ts';
import { CertificateError } from './certificateError.ts';

/** Longest header value accepted: a URL-encoded PEM of a 4096-bit RSA card certificate is well under this. */
export const MAX_HEADER_LENGTH = 32 * 1024;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
// RFC 9440 Client-Cert: a structured-field byte sequence, ":<base64 DER>:".
const SF_BINARY = /^:([A-Za-z0-9+/]+={0,2}):$/;

/**
 * Decodes a client certificate forwarded by a proxy:
 * - URL-encoded PEM: nginx `$ssl_client_escaped_cert`, AWS ALB `X-Amzn-Mtls-Clientcert`, Envoy, Traefik;
 * - PEM with its line breaks turned into spaces or tabs (nginx's older `$ssl_client_cert`);
 * - base64 or base64url DER (Azure `X-ARR-ClientCert`, HAProxy `%[ssl_c_der,base64]`);
 * - RFC 9440 `Client-Cert: :<base64 DER>:`.
 * A header sent twice, an empty value or anything that is not exactly one certificate is `malformed`.
 */
export function certificateFromHeader(value: string | string[] | undefined): Buffer {
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new CertificateError('malformed', value.length ? 'header_repeated' : 'absent');
    value = value[0];
  }
  if (value === undefined) throw new CertificateError('malformed', 'absent');
  let text = value.trim();
  if (!text) throw new CertificateError('malformed', 'absent');
  if (text.length > MAX_HEADER_LENGTH) throw new CertificateError('malformed', 'too_long');

  const structured = SF_BINARY.exec(text);
  if (structured) return checkedDer(Buffer.from(structured[1] ?? '', 'base64'));
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text).trim();
    } catch {
      throw new CertificateError('malformed', 'bad_escape');
    }
  }
  if (text.includes('-----BEGIN')) {
    let blocks: Buffer[];
    try {
      blocks = pemBlocks(text, 'CERTIFICATE');
    } catch {
      throw new CertificateError('malformed', 'bad_pem');
    }
    const [block, ...more] = blocks;
    if (!block || more.length) throw new CertificateError('malformed', block ? 'several_certificates' : 'bad_pem');
    return checkedDer(block);
  }
  const compact = text.replace(/\s+/g, '');
  if (BASE64.test(compact) || BASE64URL.test(compact)) return checkedDer(Buffer.from(compact, 'base64'));
  throw new CertificateError('malformed', 'unknown_encoding');
}

/** A certificate as DER, from DER bytes, PEM (string or bytes) or any form `certificateFromHeader` reads. */
export function toCertificateDer(input: string | Uint8Array): Buffer {
  if (typeof input !== 'string') {
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    // A certificate's DER starts with a SEQUENCE tag; PEM, base64 and URL-encoded text never do (a PEM
    // file with a non-ASCII header line is still text, not DER).
    if (bytes[0] === 0x30) return checkedDer(Buffer.from(bytes));
    return certificateFromHeader(bytes.toString('latin1'));
  }
  return certificateFromHeader(input);
}


/**
 * DER that X509Certificate (OpenSSL) reads as exactly one certificate: nothing before it, nothing after
 * it. Trailing bytes would change the fingerprint the path, the anchors and the CRL cache key on.
 */
function checkedDer(der: Buffer): Buffer {
  // Shorter than any certificate with a key in it; the tag keeps PEM text (which OpenSSL would read) out.
  if (der.length < 64 || der[0] !== 0x30) throw new CertificateError('malformed', 'not_der');
  let raw: Buffer;
  try {
    raw = new X509Certificate(der).raw;
  } catch {
    throw new CertificateError('malformed', 'not_a_certificate');
  }
  if (!raw.equals(der)) throw new CertificateError('malformed', 'not_one_certificate');
  return der;
}

/**
 * The client certificate and the chain the peer sent, from `socket.getPeerCertificate(true)`.
 * Undefined when the client sent no certificate (Node then returns an empty object).
 */
export function fromPeerCertificate(peer: DetailedPeerCertificate | PeerCertificate | Record<string, never> | null | undefined): { certificate: Buffer; chain: Buffer[] } | undefined {
  if (!peer || !('raw' in peer) || !Buffer.isBuffer(peer.raw)) return undefined;
  const chain: Buffer[] = [];
  const seen = new Set<string>([peer.fingerprint256]);
  let next = 'issuerCertificate' in peer ? (peer as DetailedPeerCertificate).issuerCertificate : undefined;
  // Node links a self-signed certificate to itself; stop there or at any repeat.
  while (next && Buffer.isBuffer(next.raw) && !seen.has(next.fingerprint256) && chain.length < 10) {
    seen.add(next.fingerprint256);
    chain.push(next.raw);
    next = next.issuerCertificate;
  }
  return { certificate: peer.raw, chain };
}
