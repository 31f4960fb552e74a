// The synchronous DPoP signature check (src/idp/proofSignature.ts) against jose's jwtVerify with
// EmbeddedJWK, which it replaces on the hot path: for every proof below, good and broken, both accept
// or both refuse, with the same error code.
import test from 'ava';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, errors, exportJWK, jwtVerify, type JWK } from 'jose';
import { jwkThumbprint, thumbprintOf, verifyProofJws } from '../../src/idp/proofSignature.ts';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

interface KeyPair { privateKey: KeyObject; jwk: JWK }
function keyPair(kind: 'ec' | 'ec384' | 'rsa' | 'rsa1024' | 'ed25519' | 'ed448'): KeyPair {
  const pair = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : kind === 'ec384' ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
      : kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : kind === 'rsa1024' ? generateKeyPairSync('rsa', { modulusLength: 1024 })
          : kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ed448');
  return { privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) as JWK };
}
const ec = keyPair('ec');
const rsa = keyPair('rsa');
const ed = keyPair('ed25519');

function signWith(alg: string, key: KeyObject, input: string): string {
  const data = Buffer.from(input);
  const sig = alg.startsWith('ES') ? sign(`sha${alg.slice(2)}`, data, { key, dsaEncoding: 'ieee-p1363' })
    : alg.startsWith('PS') ? sign(`sha${alg.slice(2)}`, data, { key, padding: 6, saltLength: Number(alg.slice(2)) / 8 })
      : alg.startsWith('RS') ? sign(`sha${alg.slice(2)}`, data, key) : sign(null, data, key);
  return sig.toString('base64url');
}

/** A compact JWS from a header and a payload as given (objects are JSON-encoded), signed unless `signature` is given. */
function jws(header: unknown, payload: unknown, o: { key?: KeyObject; alg?: string; signature?: string } = {}): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const alg = o.alg ?? (header as { alg?: string }).alg ?? 'ES256';
  return `${input}.${o.signature ?? signWith(alg, o.key ?? ec.privateKey, input)}`;
}

const now = Math.floor(Date.now() / 1000);
const claims = { jti: 'j', htm: 'GET', htu: 'https://gw.example/x', iat: now };
const header = (extra: Record<string, unknown> = {}, jwk: JWK = ec.jwk) => ({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...extra });
const algorithms = ['PS256', 'ES256', 'EdDSA'];

const good = jws(header(), claims);
const CASES: Array<[string, string, string[]?]> = [
  ['ES256, good', good],
  ['PS256, good', jws(header({ alg: 'PS256' }, rsa.jwk), claims, { key: rsa.privateKey })],
  ['EdDSA, good', jws(header({ alg: 'EdDSA' }, ed.jwk), claims, { key: ed.privateKey })],
  ['typ in another case with application/', jws(header({ typ: 'application/DPoP+JWT' }), claims)],
  ['jwk with use sig and its alg', jws(header({}, { ...ec.jwk, use: 'sig', alg: 'ES256' }), claims)],
  ['jwk with key_ops verify', jws(header({}, { ...ec.jwk, key_ops: ['verify'] }), claims)],
  ['crit b64 true', jws(header({ crit: ['b64'], b64: true }), claims)],
  ['future exp and past nbf', jws(header(), { ...claims, exp: now + 60, nbf: now - 5 })],
  ['a tampered signature', `${good.slice(0, -4)}AAAA`],
  ['a signature of the wrong length', `${good}AAAA`],
  ['a signature with a non-base64url character', `${good.slice(0, -1)}*`],
  ['two parts', good.split('.').slice(0, 2).join('.')],
  ['four parts', `${good}.x`],
  ['a header that is not JSON', `${b64('{nope')}.${b64(claims)}.AAAA`],
  ['a header that is an array', jws([1], claims)],
  ['no alg', jws({ typ: 'dpop+jwt', jwk: ec.jwk }, claims)],
  ['alg none', jws(header({ alg: 'none' }), claims, { signature: '' })],
  ['alg HS256', jws(header({ alg: 'HS256' }), claims, { signature: 'AAAA' })],
  ['alg RS256, not in the allowed list', jws(header({ alg: 'RS256' }, rsa.jwk), claims, { key: rsa.privateKey })],
  ['alg RS256, allowed', jws(header({ alg: 'RS256' }, rsa.jwk), claims, { key: rsa.privateKey }), ['RS256']],
  ['ES384 with a P-384 key, allowed', jws(header({ alg: 'ES384' }, keyPair('ec384').jwk), claims, { signature: 'AAAA' }), ['ES384']],
  ['typ JWT', jws(header({ typ: 'JWT' }), claims)],
  ['no typ', jws({ alg: 'ES256', jwk: ec.jwk }, claims)],
  ['no jwk', jws({ alg: 'ES256', typ: 'dpop+jwt' }, claims)],
  ['jwk a string', jws(header({ jwk: 'key' }), claims)],
  ['jwk of another key type', jws(header({}, rsa.jwk), claims)],
  ['jwk of another curve', jws(header({}, keyPair('ec384').jwk), claims)],
  ['EdDSA with an Ed448 key', jws(header({ alg: 'EdDSA' }, keyPair('ed448').jwk), claims, { signature: 'AAAA' })],
  ['PS256 with a 1024-bit key', (() => { const k = keyPair('rsa1024'); return jws(header({ alg: 'PS256' }, k.jwk), claims, { key: k.privateKey }); })()],
  ['a private jwk', jws(header({}, ec.privateKey.export({ format: 'jwk' }) as JWK), claims)],
  ['jwk use enc', jws(header({}, { ...ec.jwk, use: 'enc' }), claims)],
  ['jwk alg of another algorithm', jws(header({}, { ...ec.jwk, alg: 'ES384' }), claims)],
  ['jwk key_ops without verify', jws(header({}, { ...ec.jwk, key_ops: ['sign'] }), claims)],
  ['jwk key_ops not an array', jws(header({}, { ...ec.jwk, key_ops: 'verify' } as unknown as JWK), claims)],
  ['jwk ext not a boolean', jws(header({}, { ...ec.jwk, ext: 'yes' } as unknown as JWK), claims)],
  ['jwk point off the curve', jws(header({}, { ...ec.jwk, y: ec.jwk.x }), claims)],
  ['crit empty', jws(header({ crit: [] }), claims)],
  ['crit unknown', jws(header({ crit: ['exp'], exp: 1 }), claims)],
  ['crit b64 missing', jws(header({ crit: ['b64'] }), claims)],
  ['b64 not a boolean', jws(header({ b64: 'no' }), claims)],
  ['crit b64 false (unencoded payload)', (() => {
    const h = header({ crit: ['b64'], b64: false });
    const input = `${b64(h)}.${JSON.stringify(claims)}`;
    return `${input}.${signWith('ES256', ec.privateKey, input)}`;
  })()],
  ['a payload that is not JSON', jws(header(), 'not json')],
  ['a payload that is an array', jws(header(), [1, 2])],
  ['a payload with a non-base64url character', (() => {
    const input = `${b64(header())}.${b64(claims)}*`;
    return `${input}.${signWith('ES256', ec.privateKey, input)}`;
  })()],
  ['a payload that is not UTF-8', (() => {
    const input = `${b64(header())}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}`;
    return `${input}.${signWith('ES256', ec.privateKey, input)}`;
  })()],
  ['iat a string', jws(header(), { ...claims, iat: String(now) })],
  ['expired', jws(header(), { ...claims, exp: now - 1 })],
  ['not yet valid', jws(header(), { ...claims, nbf: now + 60 })],
  ['exp a string', jws(header(), { ...claims, exp: 'later' })],
];

async function viaJose(proof: string, algs: string[]): Promise<string> {
  try {
    await jwtVerify(proof, EmbeddedJWK, { algorithms: algs, typ: 'dpop+jwt' });
    return 'ok';
  } catch (err) {
    return err instanceof errors.JOSEError ? err.code : 'unparseable';
  }
}

function viaNodeCrypto(proof: string, algs: string[]): string {
  try {
    verifyProofJws(proof, { algorithms: algs, typ: 'dpop+jwt' });
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? 'thrown';
  }
}

for (const [name, proof, algs = algorithms] of CASES) {
  test(`as jose answers it: ${name}`, async (t) => {
    const expected = await viaJose(proof, algs);
    // Twice: the second time with the header (and its key) from the cache.
    t.is(viaNodeCrypto(proof, algs), expected);
    t.is(viaNodeCrypto(proof, algs), expected);
  });
}

test('the good cases do verify, and a broken signature does not (the table is not all one answer)', (t) => {
  t.is(viaNodeCrypto(good, algorithms), 'ok');
  t.is(viaNodeCrypto(`${good.slice(0, -4)}AAAA`, algorithms), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  const verified = verifyProofJws(good, { algorithms, typ: 'dpop+jwt' });
  t.like(verified.payload, claims);
});

test('a header cached for one list of algorithms is still held to another list', (t) => {
  t.is(viaNodeCrypto(good, ['ES256']), 'ok');
  t.is(viaNodeCrypto(good, ['PS256']), 'ERR_JOSE_ALG_NOT_ALLOWED');
});

test('thumbprints are RFC 7638 as jose computes them, for every key type', async (t) => {
  for (const { jwk } of [ec, rsa, ed]) t.is(jwkThumbprint(jwk), await calculateJwkThumbprint(jwk));
  const { jwk } = verifyProofJws(good, { algorithms, typ: 'dpop+jwt' });
  t.is(thumbprintOf(jwk), await calculateJwkThumbprint(await exportJWK(ec.privateKey)));
});
