// Checks on a product's OAuth client before the registry stores it: redirect URIs the FAPI profile
// accepts, and keys that really are public keys. Bad metadata is refused here, with the field named,
// rather than failing later when oidc-provider loads the client.
import { importJWK } from 'jose';
import type { FieldError } from './errors.ts';
import type { ProductClient } from './model.ts';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Members only a private (or symmetric) JWK has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** https only, no fragment (RFC 6749 §3.1.2); plain http only to a loopback host, and only in the sandbox. */
export function redirectUriProblem(value: string, sandbox: boolean): string | undefined {
  const url = URL.parse(value);
  if (!url) return 'is not an absolute URL';
  if (url.hash || value.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && sandbox && LOOPBACK.has(url.hostname)) return undefined;
  return sandbox ? 'must use https (http only for localhost)' : 'must use https';
}

/**
 * A jump URI (a deep link a jump may land on): a redirect URI's rules, no query either when it is a
 * prefix (`*` at the end), and a prefix must name at least the origin and a path ending in `/`, so
 * "https://app.example.se*" cannot stand for "https://app.example.se.evil.example".
 */
export function jumpUriProblem(value: string, sandbox: boolean): string | undefined {
  const prefix = value.endsWith('*');
  const base = prefix ? value.slice(0, -1) : value;
  const problem = redirectUriProblem(base, sandbox);
  if (problem) return problem;
  if (prefix && (base.includes('?') || !base.endsWith('/') || base.includes('*'))) return 'as a prefix must end in "/*" and have no query';
  return undefined;
}

function defaultAlg(jwk: Record<string, unknown>): string | undefined {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'EC') return jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : 'ES256';
  if (jwk.kty === 'RSA') return 'PS256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  return undefined;
}

/** Each key must parse as a public key (jose) and carry no private or symmetric material. */
export async function jwksProblems(jwks: { keys: Array<Record<string, unknown>> }, path: string): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  if (jwks.keys.length === 0) errors.push({ path: `${path}.keys`, message: 'needs at least one key' });
  for (const [i, jwk] of jwks.keys.entries()) {
    const at = `${path}.keys.${i}`;
    const secret = PRIVATE_MEMBERS.filter((m) => m in jwk);
    if (secret.length) {
      errors.push({ path: at, message: `contains private or symmetric key material (${secret.join(', ')}): register the public key only` });
      continue;
    }
    const alg = defaultAlg(jwk);
    if (!alg) {
      errors.push({ path: at, message: `unsupported key type ${JSON.stringify(jwk.kty ?? null)}` });
      continue;
    }
    try {
      const key: unknown = await importJWK(jwk as Parameters<typeof importJWK>[0], alg);
      if (!(key instanceof CryptoKey) || key.type !== 'public') errors.push({ path: at, message: 'is not a public key' });
    } catch (err) {
      errors.push({ path: at, message: `does not parse as a public key for ${alg} (${(err as Error).message})` });
    }
  }
  return errors;
}

export async function productClientProblems(client: ProductClient, sandbox: boolean, path = 'client'): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  const uris = (list: string[], field: string) => list.forEach((u, i) => {
    const problem = redirectUriProblem(u, sandbox);
    if (problem) errors.push({ path: `${path}.${field}.${i}`, message: `${JSON.stringify(u)} ${problem}` });
  });
  uris(client.redirectUris, 'redirectUris');
  uris(client.postLogoutRedirectUris, 'postLogoutRedirectUris');
  if (client.backchannelLogoutUri !== undefined) {
    // The same rule as a redirect URI (https, no fragment or credentials; http to loopback in the
    // sandbox); Back-Channel Logout §2.2 also forbids a fragment.
    const problem = redirectUriProblem(client.backchannelLogoutUri, sandbox);
    if (problem) errors.push({ path: `${path}.backchannelLogoutUri`, message: `${JSON.stringify(client.backchannelLogoutUri)} ${problem}` });
  }
  uris(client.initiateLoginUri === undefined ? [] : [client.initiateLoginUri], 'initiateLoginUri');
  (client.jumpUris ?? []).forEach((u, i) => {
    const problem = jumpUriProblem(u, sandbox);
    if (problem) errors.push({ path: `${path}.jumpUris.${i}`, message: `${JSON.stringify(u)} ${problem}` });
  });
  if (client.jumpUris?.length && client.initiateLoginUri === undefined) {
    errors.push({ path: `${path}.initiateLoginUri`, message: 'a product with jump URIs needs a jump entry (initiateLoginUri)' });
  }
  if (client.jwksUri !== undefined && URL.parse(client.jwksUri)?.protocol !== 'https:') {
    errors.push({ path: `${path}.jwksUri`, message: 'must be an https URL' });
  }
  if (client.jwks && client.jwksUri) errors.push({ path: `${path}.jwks`, message: 'give jwks or jwksUri, not both' });
  if (client.tokenEndpointAuthMethod === 'private_key_jwt' && !client.jwks && !client.jwksUri) {
    errors.push({ path: `${path}.jwks`, message: 'private_key_jwt needs the client\'s public keys: set jwks or jwksUri' });
  }
  if (client.tokenEndpointAuthMethod === 'tls_client_auth' && !client.tlsClientAuthSubjectDn) {
    errors.push({ path: `${path}.tlsClientAuthSubjectDn`, message: 'tls_client_auth needs the certificate subject DN' });
  }
  if (client.jwks) errors.push(...await jwksProblems(client.jwks, `${path}.jwks`));
  return errors;
}
