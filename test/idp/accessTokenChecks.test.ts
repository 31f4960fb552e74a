// Each resource-side token check on its own (src/idp/accessToken.ts), with the least state it reads;
// accessToken.test.ts runs the pipelines end to end against tokens from the real token endpoint.
import test from 'ava';
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { ManualClock } from '../../src/clock.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import {
  ACCESS_TOKEN_CHECKS, authorizationRead, certificateBound, certificatePresented, proofClaims, proofForRequest, proofKeyBound,
  proofPresent, proofRecent, proofSignature, proofUnused, senderConstrained, tokenActive,
  type AccessTokenCheckDeps, type StoredToken,
} from '../../src/idp/accessToken.ts';

const clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));
const store = new MemoryStore(clock);
const live: StoredToken = { jti: 'at-1', kind: 'AccessToken', clientId: 'p1', jkt: 'thumb' };
const provider = {
  AccessToken: { find: async (v: string) => (v === 'live' ? live : v === 'revoked' ? { ...live, isValid: false } : undefined) },
  ClientCredentials: { find: async (v: string) => (v === 'cc' ? { ...live, kind: 'ClientCredentials' } : undefined) },
};
const deps = { provider, store, clock } as unknown as AccessTokenCheckDeps;
const request = { method: 'GET', url: 'https://gw.example/pep/bookings?x=1' };
const reasonOf = (outcome: unknown) => (outcome && typeof outcome === 'object' && 'reason' in outcome ? (outcome as { reason: string }).reason : outcome);

test('the checks run in the documented order', (t) => {
  t.deepEqual(ACCESS_TOKEN_CHECKS, {
    token: ['authorization_read', 'token_active', 'sender_constrained'],
    dpop: ['dpop_proof_present', 'dpop_proof_signature', 'dpop_proof_claims', 'dpop_proof_recent', 'dpop_proof_for_request', 'dpop_proof_key_bound', 'dpop_proof_unused'],
    certificate: ['certificate_presented', 'certificate_bound'],
  });
});

test('authorization_read: DPoP or Bearer and a token of token68 characters, else missing or malformed', (t) => {
  t.deepEqual(authorizationRead.run({ request: { ...request, authorization: 'DPoP abc.DEF-_~+/=' } }, deps), { scheme: 'dpop', value: 'abc.DEF-_~+/=' });
  t.deepEqual(authorizationRead.run({ request: { ...request, authorization: 'bearer xyz' } }, deps), { scheme: 'bearer', value: 'xyz' });
  t.is(reasonOf(authorizationRead.run({ request }, deps)), 'token_missing');
  for (const bad of ['Basic abc', 'DPoP', 'DPoP a b', 'DPoP a\u0000b', `DPoP ${'a'.repeat(4097)}`]) {
    t.is(reasonOf(authorizationRead.run({ request: { ...request, authorization: bad } }, deps)), 'token_malformed', bad.slice(0, 12));
  }
});

test('token_active: found as an access token or a client-credentials token and still valid', async (t) => {
  t.deepEqual(await tokenActive.run({ value: 'live' }, deps), { token: live });
  t.like(await tokenActive.run({ value: 'cc' }, deps), { token: { kind: 'ClientCredentials' } });
  t.is(reasonOf(await tokenActive.run({ value: 'revoked' }, deps)), 'token_inactive');
  t.is(reasonOf(await tokenActive.run({ value: 'nobody' }, deps)), 'token_inactive');
});

test('sender_constrained: a DPoP-bound token needs the DPoP scheme; an unbound token is refused', (t) => {
  t.deepEqual(senderConstrained.run({ scheme: 'dpop', token: live }, deps), { binding: 'dpop' });
  t.is(reasonOf(senderConstrained.run({ scheme: 'bearer', token: live }, deps)), 'dpop_missing');
  t.deepEqual(senderConstrained.run({ scheme: 'bearer', token: { jti: 'x', kind: 'AccessToken', clientId: 'p', 'x5t#S256': 'c' } }, deps), { binding: 'certificate' });
  t.is(reasonOf(senderConstrained.run({ scheme: 'bearer', token: { jti: 'x', kind: 'AccessToken', clientId: 'p' } }, deps)), 'unbound_token');
});

async function signedProof(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const keys = await generateKeyPair('ES256');
  const jwk = await exportJWK(keys.publicKey);
  const proof = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header }).sign(keys.privateKey);
  return { proof, jwk };
}

test('dpop_proof_present and dpop_proof_signature: a proof is sent, and verifies with its embedded key as a dpop+jwt', async (t) => {
  t.is(reasonOf(proofPresent.run({ request }, deps)), 'dpop_missing');
  t.deepEqual(proofPresent.run({ request: { ...request, dpop: 'p' } }, deps), { proof: 'p' });
  const { proof } = await signedProof({ jti: 'j', iat: 1 });
  t.like(await proofSignature.run({ proof }, deps), { verifiedProof: { payload: { jti: 'j', iat: 1 } } });
  t.is(reasonOf(await proofSignature.run({ proof: `${proof.slice(0, -3)}AAA` }, deps)), 'dpop_invalid');
  t.is(reasonOf(await proofSignature.run({ proof: (await signedProof({ jti: 'j' }, { typ: 'JWT' })).proof }, deps)), 'dpop_invalid');
  t.is(reasonOf(await proofSignature.run({ proof: 'not.a.jwt' }, deps)), 'dpop_invalid');
});

test('dpop_proof_claims and dpop_proof_recent: a jti and an iat within the window', (t) => {
  const jwk = {};
  t.deepEqual(proofClaims.run({ verifiedProof: { payload: { jti: 'j', iat: 5 }, jwk } }, deps), { proofJti: 'j', proofIat: 5 });
  t.is(reasonOf(proofClaims.run({ verifiedProof: { payload: { iat: 5 }, jwk } }, deps)), 'dpop_invalid');
  t.is(reasonOf(proofClaims.run({ verifiedProof: { payload: { jti: 'j'.repeat(257), iat: 5 }, jwk } }, deps)), 'dpop_invalid');
  t.is(reasonOf(proofClaims.run({ verifiedProof: { payload: { jti: 'j', iat: '5' }, jwk } }, deps)), 'dpop_invalid');
  const now = Math.floor(clock.now() / 1000);
  t.is(proofRecent.run({ proofIat: now - 60 }, deps), undefined);
  t.is(reasonOf(proofRecent.run({ proofIat: now - 61 }, deps)), 'dpop_stale');
  t.is(reasonOf(proofRecent.run({ proofIat: now + 61 }, deps)), 'dpop_stale');
});

test('dpop_proof_for_request: method, URL (without query) and token hash must match', (t) => {
  const ath = createHash('sha256').update('live').digest('base64url');
  const s = (payload: Record<string, unknown>) => ({ request, token: live, value: 'live', verifiedProof: { payload, jwk: {} } });
  t.is(proofForRequest.run(s({ htm: 'GET', htu: 'https://gw.example/pep/bookings', ath }), deps), undefined);
  t.is(reasonOf(proofForRequest.run(s({ htm: 'POST', htu: 'https://gw.example/pep/bookings', ath }), deps)), 'dpop_mismatch');
  t.is(reasonOf(proofForRequest.run(s({ htm: 'GET', htu: 'https://gw.example/pep/other', ath }), deps)), 'dpop_mismatch');
  t.is(reasonOf(proofForRequest.run(s({ htm: 'GET', htu: 'https://gw.example/pep/bookings', ath: 'x' }), deps)), 'dpop_mismatch');
});

test('dpop_proof_key_bound and dpop_proof_unused: the bound key, and each proof once', async (t) => {
  const { jwk } = await signedProof({});
  const thumbprint = await calculateJwkThumbprint(jwk);
  const s = { request, value: 'live', verifiedProof: { payload: {}, jwk } };
  t.deepEqual(await proofKeyBound.run({ ...s, token: { ...live, jkt: thumbprint } }, deps), { thumbprint });
  t.is(reasonOf(await proofKeyBound.run({ ...s, token: live }, deps)), 'dpop_key_mismatch');
  const jti = randomUUID();
  t.is(await proofUnused.run({ thumbprint, proofJti: jti }, deps), undefined);
  t.is(reasonOf(await proofUnused.run({ thumbprint, proofJti: jti }, deps)), 'dpop_replayed');
});

test('certificate_presented and certificate_bound: a readable certificate with the bound thumbprint', async (t) => {
  t.is(reasonOf(certificatePresented.run({ request }, deps)), 'certificate_missing');
  t.is(reasonOf(certificatePresented.run({ request: { ...request, clientCertificate: 'not a certificate' } }, deps)), 'certificate_missing');
  const { issue, leafExtensions } = await import('../../certs/pki.ts');
  const pem = (await issue({ commonName: 'client', validityDays: 1, extensions: leafExtensions('clientAuth') })).certPem;
  const presented = certificatePresented.run({ request: { ...request, clientCertificate: pem } }, deps) as { certificateThumbprint: string };
  t.is(typeof presented.certificateThumbprint, 'string');
  t.is(certificateBound.run({ token: { ...live, 'x5t#S256': presented.certificateThumbprint }, certificateThumbprint: presented.certificateThumbprint }, deps), undefined);
  t.is(reasonOf(certificateBound.run({ token: { ...live, 'x5t#S256': 'other' }, certificateThumbprint: presented.certificateThumbprint }, deps)), 'certificate_mismatch');
});
