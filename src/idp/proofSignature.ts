// The signature check of a DPoP proof (RFC 9449 §4.3, checks 1-7 and the signature), synchronously on
// node:crypto with the proof key imported once. Every decision of the policy decision point verifies one
// proof; through WebCrypto (jose's jwtVerify with EmbeddedJWK) that is an async job of about a tenth of
// node:crypto's speed plus a key import per call (issue 14). This keeps jose's rules for a compact JWS
// with an embedded key, so a proof verifies here exactly when it would verify there:
//   - three base64url parts; the protected header a JSON object; `crit` only with `b64` (and a JWT never
//     with b64 false); `alg` a string in the allowed list;
//   - `jwk` a JSON object with `kty` of the algorithm (EC P-256 for ES256, RSA of at least 2048 bits for
//     PS256, OKP Ed25519 for EdDSA), `use` "sig" and `alg` the header's when present, `key_ops` with
//     "verify" when present, and a public key (no `d`);
//   - the signature over header.payload; the payload a JSON object (strict UTF-8); `typ` the expected
//     media type (case-insensitive, "application/" optional); `iat`, `nbf`, `exp` numbers when present,
//     `nbf` not in the future and `exp` not past, on the wall clock, as jwtVerify does.
// A refusal carries jose's error code (ERR_JWS_INVALID, ERR_JOSE_ALG_NOT_ALLOWED, …) so the detail of a
// dpop_invalid reads as it did.
//
// The cache is keyed by the encoded protected header: a client sends the same header (alg, typ, jwk) with
// every proof for the life of its token, so the header is parsed, its key imported and its thumbprint
// computed once, and a proof costs one base64url decode of its payload and one verification.
import { constants, createHash, createPublicKey, verify, type JsonWebKey as NodeJwk, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

export type ProofErrorCode =
  | 'ERR_JWS_INVALID'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JOSE_NOT_SUPPORTED'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JWT_INVALID'
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED'
  | 'ERR_JWT_EXPIRED'
  /** What jose answers with a plain TypeError or DOMException (a key WebCrypto will not import). */
  | 'unparseable';

export class ProofSignatureError extends Error {
  readonly code: ProofErrorCode;
  constructor(code: ProofErrorCode, message: string) {
    super(message);
    this.name = 'ProofSignatureError';
    this.code = code;
  }
}

export interface VerifiedJws {
  payload: Record<string, unknown>;
  header: Record<string, unknown>;
  /** The embedded public key as sent (the same object for every proof with the same header). */
  jwk: JWK;
}

interface Algorithm {
  kty: 'EC' | 'RSA' | 'OKP';
  crv?: string;
  check: (data: Buffer, key: KeyObject, signature: Buffer) => boolean;
}

const ecdsa = (crv: string, hash: string): Algorithm => ({ kty: 'EC', crv, check: (data, key, sig) => verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig) });
const pss = (hash: string, saltLength: number): Algorithm => ({ kty: 'RSA', check: (data, key, sig) => verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, sig) });
const pkcs1 = (hash: string): Algorithm => ({ kty: 'RSA', check: (data, key, sig) => verify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, sig) });
/** jose's asymmetric JWS algorithms (the ones a DPoP proof may use: RFC 9449 §4.2 excludes MAC-based ones). */
const ALGORITHMS: Record<string, Algorithm> = {
  ES256: ecdsa('P-256', 'sha256'),
  ES384: ecdsa('P-384', 'sha384'),
  ES512: ecdsa('P-521', 'sha512'),
  PS256: pss('sha256', 32),
  PS384: pss('sha384', 48),
  PS512: pss('sha512', 64),
  RS256: pkcs1('sha256'),
  RS384: pkcs1('sha384'),
  RS512: pkcs1('sha512'),
  EdDSA: { kty: 'OKP', crv: 'Ed25519', check: (data, key, sig) => verify(null, data, key, sig) },
  Ed25519: { kty: 'OKP', crv: 'Ed25519', check: (data, key, sig) => verify(null, data, key, sig) },
};

const fail = (code: ProofErrorCode, message: string): never => {
  throw new ProofSignatureError(code, message);
};

const B64URL = /^[A-Za-z0-9_-]*$/;
const ASCII = /^[\x00-\x7f]*$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** jose's base64url: its alphabet only, no padding, no impossible length. */
function decodeB64url(value: string, label: string): Buffer {
  if (!B64URL.test(value) || value.length % 4 === 1) fail('ERR_JWS_INVALID', `Failed to base64url decode the ${label}`);
  return Buffer.from(value, 'base64url');
}

/** A plain JSON object (what jose calls isObject): not an array, not null. */
function isObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Object]') return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function parseObject(bytes: Buffer, code: ProofErrorCode, message: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return fail(code, message);
  }
  return isObject(parsed) ? parsed : fail(code, message);
}

/** RFC 7638 thumbprint of a public JWK: its required members in lexicographic order, SHA-256. */
export function jwkThumbprint(jwk: JWK): string {
  const required = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'OKP' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
        : fail('ERR_JOSE_NOT_SUPPORTED', '"kty" (Key Type) Parameter missing or unsupported');
  for (const value of Object.values(required)) if (typeof value !== 'string' || !value) fail('ERR_JWS_INVALID', 'a required JWK member is missing');
  return createHash('sha256').update(JSON.stringify(required)).digest('base64url');
}

interface ParsedHeader {
  header: Record<string, unknown>;
  alg: string;
  /** False only when `crit` names b64 and the header says false (b64 outside crit means nothing). */
  encodedPayload: boolean;
}

interface KnownHeader extends ParsedHeader {
  algorithm: Algorithm;
  jwk: JWK;
  key: KeyObject;
  thumbprint: string;
}

/** The protected header's own rules (jose's order): JSON object, crit, b64, alg. */
function parseHeader(encoded: string): ParsedHeader {
  const header = parseObject(decodeB64url(encoded, 'protected header'), 'ERR_JWS_INVALID', 'JWS Protected Header is invalid');
  if (header.crit !== undefined) {
    const crit: unknown = header.crit;
    if (!Array.isArray(crit) || crit.length === 0 || crit.some((c) => typeof c !== 'string' || !c)) return fail('ERR_JWS_INVALID', '"crit" (Critical) Header Parameter MUST be an array of non-empty strings when present');
    if (new Set(crit as string[]).size !== crit.length) fail('ERR_JWS_INVALID', '"crit" (Critical) Header Parameter MUST NOT contain duplicate values');
    for (const name of crit as string[]) {
      if (name !== 'b64') fail('ERR_JOSE_NOT_SUPPORTED', `Extension Header Parameter "${name}" is not recognized`);
      if (header[name] === undefined) fail('ERR_JWS_INVALID', `Extension Header Parameter "${name}" is missing`);
    }
  }
  const critical = Array.isArray(header.crit) && (header.crit as string[]).includes('b64');
  if (critical && typeof header.b64 !== 'boolean') fail('ERR_JWS_INVALID', 'The "b64" (base64url-encode payload) Header Parameter must be a boolean');
  const alg = header.alg;
  if (typeof alg !== 'string' || !alg) return fail('ERR_JWS_INVALID', 'JWS "alg" (Algorithm) Header Parameter missing or invalid');
  return { header, alg, encodedPayload: !critical || header.b64 !== false };
}

/** EmbeddedJWK's rules for the key in the header, and the key imported. */
function embeddedKey(parsed: ParsedHeader): KnownHeader {
  const { header, alg } = parsed;
  const algorithm = ALGORITHMS[alg] ?? fail('ERR_JOSE_NOT_SUPPORTED', `alg ${alg} is not supported`);
  const jwk = header.jwk;
  if (!isObject(jwk)) return fail('ERR_JWS_INVALID', '"jwk" (JSON Web Key) Header Parameter must be a JSON object');
  if (jwk.ext !== undefined && typeof jwk.ext !== 'boolean') fail('ERR_JWS_INVALID', 'Invalid Embedded JWK');
  const ops: unknown = jwk.key_ops;
  if (ops !== undefined && (!Array.isArray(ops) || ops.some((o) => typeof o !== 'string') || new Set(ops as unknown[]).size !== ops.length)) fail('ERR_JWS_INVALID', 'Invalid Embedded JWK');
  if (jwk.use !== undefined && jwk.use !== 'sig') fail('ERR_JWS_INVALID', 'Invalid Embedded JWK, its "use" must be "sig" when present');
  if (jwk.alg !== undefined && jwk.alg !== alg) fail('ERR_JWS_INVALID', `Invalid Embedded JWK, its "alg" must be "${alg}" when present`);
  if (jwk.kty !== algorithm.kty) fail('ERR_JOSE_NOT_SUPPORTED', 'Invalid or unsupported JWK "alg" (Algorithm) Parameter value');
  if (jwk.d !== undefined || jwk.priv !== undefined) fail('ERR_JWS_INVALID', '"jwk" (JSON Web Key) Header Parameter must be a public key');
  // What WebCrypto refuses to import for the algorithm (a plain error in jose, hence "unparseable").
  if (algorithm.crv && jwk.crv !== algorithm.crv) fail('unparseable', `the key's curve is not ${algorithm.crv}`);
  if (Array.isArray(ops) && !ops.includes('verify')) fail('unparseable', 'the key may not verify');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as NodeJwk, format: 'jwk' });
  } catch {
    return fail('unparseable', 'the embedded key cannot be imported');
  }
  if (algorithm.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) fail('unparseable', `${alg} requires key modulusLength to be 2048 bits or larger`);
  return { ...parsed, algorithm, jwk: jwk as JWK, key, thumbprint: jwkThumbprint(jwk as JWK) };
}

// Headers by their encoded form, bounded (a Map evicts in insertion order). Only headers whose key
// imported are kept, so a stream of broken proofs does not push out the clients' keys.
const HEADER_CACHE = 10_000;
const headers = new Map<string, KnownHeader>();
/** Thumbprints of the keys the cache handed out (the same jwk object every time). */
const thumbprints = new WeakMap<object, string>();

function remember(encoded: string, known: KnownHeader): KnownHeader {
  if (headers.size >= HEADER_CACHE) {
    const oldest = headers.keys().next();
    if (!oldest.done) headers.delete(oldest.value);
  }
  headers.set(encoded, known);
  thumbprints.set(known.jwk, known.thumbprint);
  return known;
}

/** The RFC 7638 thumbprint of a proof's key: from the cache for a key verifyProofJws handed out. */
export function thumbprintOf(jwk: JWK): string {
  return thumbprints.get(jwk) ?? jwkThumbprint(jwk);
}

/** jose's normalisation of a `typ` value: case-insensitive, "application/" implied. */
const normalizeTyp = (value: string) => (value.includes('/') ? value.toLowerCase() : `application/${value.toLowerCase()}`);

/**
 * Verifies a compact JWS proof with the key in its header, synchronously; throws ProofSignatureError
 * with jose's code for the first rule it breaks.
 */
export function verifyProofJws(jws: string, options: { algorithms: readonly string[]; typ: string }): VerifiedJws {
  const parts = jws.split('.');
  if (parts.length !== 3) fail('ERR_JWS_INVALID', 'Invalid Compact JWS');
  const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = parts;
  const cached = headers.get(encodedHeader);
  const parsed = cached ?? parseHeader(encodedHeader);
  if (!options.algorithms.includes(parsed.alg)) fail('ERR_JOSE_ALG_NOT_ALLOWED', '"alg" (Algorithm) Header Parameter value not allowed');
  const known = cached ?? remember(encodedHeader, embeddedKey(parsed));
  // The signing input is the payload as sent (ASCII), decoded only once the signature holds.
  if (!ASCII.test(encodedPayload)) fail('ERR_JWS_INVALID', 'The payload is not a valid base64url string');
  const signature = decodeB64url(encodedSignature, 'signature');
  let valid = false;
  try {
    valid = known.algorithm.check(Buffer.from(`${encodedHeader}.${encodedPayload}`), known.key, signature);
  } catch {
    valid = false;
  }
  if (!valid) fail('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'signature verification failed');
  // b64 false: a payload signed as it stands, which a JWT never is.
  if (!known.encodedPayload) fail('ERR_JWT_INVALID', 'JWTs MUST NOT use unencoded payload');
  const payload = parseObject(decodeB64url(encodedPayload, 'payload'), 'ERR_JWT_INVALID', 'JWT Claims Set must be a top-level JSON object');
  const typ = known.header.typ;
  if (typeof typ !== 'string' || normalizeTyp(typ) !== normalizeTyp(options.typ)) fail('ERR_JWT_CLAIM_VALIDATION_FAILED', 'unexpected "typ" JWT header value');
  const now = Math.floor(Date.now() / 1000);
  for (const claim of ['iat', 'nbf', 'exp'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'number') fail('ERR_JWT_CLAIM_VALIDATION_FAILED', `"${claim}" claim must be a number`);
  }
  if (typeof payload.nbf === 'number' && payload.nbf > now) fail('ERR_JWT_CLAIM_VALIDATION_FAILED', '"nbf" claim timestamp check failed');
  if (typeof payload.exp === 'number' && payload.exp <= now) fail('ERR_JWT_EXPIRED', '"exp" claim timestamp check failed');
  return { payload, header: known.header, jwk: known.jwk };
}
