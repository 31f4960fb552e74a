// Where the card endpoint gets the client certificate from: the TLS socket of the gateway's own card
// listener, or a header set by a TLS-terminating proxy in front of the main listener. A header is only
// believed when the operator said the gateway is reachable through that proxy alone
// (sithsCard.trustForwardedCertificate); otherwise anyone could type a certificate into it.
import type { TLSSocket } from 'node:tls';
import type { Context } from 'koa';
import { certificateFromHeader, fromPeerCertificate } from '../mtls/sithsCertificate.ts';
import type { CardRefusalReason } from './refusals.ts';

export type PresentedCertificate =
  | { certificate: Buffer; chain: Buffer[] }
  | { refused: CardRefusalReason; detail?: string };

export type CertificateSource = (ctx: Context) => PresentedCertificate;

/** The certificate (and chain) the browser sent in this connection's TLS handshake. */
export const tlsCertificate: CertificateSource = (ctx) => {
  const socket = ctx.req.socket as Partial<TLSSocket>;
  if (!socket.encrypted || typeof socket.getPeerCertificate !== 'function') return { refused: 'no_certificate', detail: 'not_tls' };
  return fromPeerCertificate(socket.getPeerCertificate(true)) ?? { refused: 'no_certificate' };
};

/**
 * The certificate a proxy forwarded in `header` (URL-encoded PEM as nginx's $ssl_client_escaped_cert,
 * base64 DER, RFC 9440). Decoding errors surface as CertificateError (`malformed`) from the verifier's decoder.
 */
export function forwardedCertificate(header: string, trusted: boolean): CertificateSource {
  const name = header.toLowerCase();
  return (ctx) => {
    if (!trusted) return { refused: 'forwarded_certificate_not_trusted', detail: ctx.req.headersDistinct[name] ? 'header_present' : 'header_absent' };
    const values = ctx.req.headersDistinct[name];
    if (!values?.length || (values.length === 1 && !values[0]?.trim())) return { refused: 'no_certificate' };
    return { certificate: certificateFromHeader(values), chain: [] };
  };
}
