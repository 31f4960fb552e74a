// Each check of Freja eID's result pipeline on its own (src/federation/freja/result.ts), with the
// least state it reads; the whole pipeline is tested end to end in result.test.ts.
import test from 'ava';
import { ManualClock } from '../../../src/clock.ts';
import {
  algorithmAllowed, authRefMatches, headerReadable, keyKnown, keyValidNow, payloadReadable, RESULT_CHECKS,
  statusMatches, type ResultDeps, type TrustedKey,
} from '../../../src/federation/freja/result.ts';

const clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));
const key = { key: {} as CryptoKey, notBefore: Date.parse('2026-01-01T00:00:00Z'), notAfter: Date.parse('2027-01-01T00:00:00Z') } satisfies TrustedKey;
const deps = { trusted: { lookup: (x5t: string) => (x5t === 'known' ? key : undefined) }, clock } as unknown as ResultDeps;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const details = { authRef: 'ref-1', status: 'APPROVED' };
const expected = { authRef: 'ref-1', status: 'APPROVED' };

test('the checks run in the documented order', (t) => {
  t.deepEqual(RESULT_CHECKS, ['header_readable', 'algorithm_allowed', 'key_known', 'key_valid_now', 'signature_valid', 'payload_readable', 'authref_matches', 'status_matches']);
});

test('header_readable: a compact JWS header is read; anything else is jws_malformed', (t) => {
  t.deepEqual(headerReadable.run({ jws: `${b64({ alg: 'RS256', x5t: 'known' })}.e30.sig`, expected }, deps), { header: { alg: 'RS256', x5t: 'known' } });
  t.is(headerReadable.run({ jws: 'not a jws', expected }, deps), 'jws_malformed');
});

test('algorithm_allowed: RS256 only', (t) => {
  t.is(algorithmAllowed.run({ header: { alg: 'RS256' } }, deps), undefined);
  for (const alg of ['none', 'HS256', 'ES256', undefined]) t.is(algorithmAllowed.run({ header: alg === undefined ? {} : { alg } }, deps), 'jws_alg_not_allowed');
});

test('key_known: only a configured certificate named by x5t', (t) => {
  t.deepEqual(keyKnown.run({ header: { x5t: 'known' } }, deps), { trustedKey: key });
  t.is(keyKnown.run({ header: { x5t: 'other' } }, deps), 'jws_unknown_key');
  t.is(keyKnown.run({ header: {} }, deps), 'jws_unknown_key');
});

test('key_valid_now: the certificate must be valid at the clock\'s time', (t) => {
  t.is(keyValidNow.run({ trustedKey: key }, deps), undefined);
  t.is(keyValidNow.run({ trustedKey: { ...key, notAfter: clock.now() - 1 } }, deps), 'jws_key_not_valid_now');
  t.is(keyValidNow.run({ trustedKey: { ...key, notBefore: clock.now() + 1 } }, deps), 'jws_key_not_valid_now');
});

test('payload_readable: UTF-8 JSON in the schema, else payload_malformed', (t) => {
  t.deepEqual(payloadReadable.run({ payload: Buffer.from(JSON.stringify(details)) }, deps), { details });
  t.is(payloadReadable.run({ payload: Buffer.from('{') }, deps), 'payload_malformed');
  t.is(payloadReadable.run({ payload: Buffer.from([0xff, 0xfe]) }, deps), 'payload_malformed');
  t.is(payloadReadable.run({ payload: Buffer.from(JSON.stringify({ authRef: '' })) }, deps), 'payload_malformed');
});

test('authref_matches and status_matches: the result is about the transaction asked about, with the stated status', (t) => {
  const s = { jws: '', expected, details };
  t.is(authRefMatches.run(s, deps), undefined);
  t.is(authRefMatches.run({ ...s, details: { ...details, authRef: 'ref-2' } }, deps), 'authref_mismatch');
  t.is(statusMatches.run(s, deps), undefined);
  t.is(statusMatches.run({ ...s, details: { ...details, status: 'REJECTED' } }, deps), 'status_mismatch');
});

test('signature_valid: the signature must verify with the trusted key', async (t) => {
  const { CompactSign, generateKeyPair } = await import('jose');
  const [mine, theirs] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
  const jws = await new CompactSign(Buffer.from(JSON.stringify(details))).setProtectedHeader({ alg: 'RS256' }).sign(mine.privateKey);
  const { signatureValid } = await import('../../../src/federation/freja/result.ts');
  const ok = await signatureValid.run({ jws, expected, trustedKey: { ...key, key: mine.publicKey } }, deps);
  t.deepEqual(JSON.parse(Buffer.from((ok as { payload: Uint8Array }).payload).toString()), details);
  t.is(await signatureValid.run({ jws, expected, trustedKey: { ...key, key: theirs.publicKey } }, deps), 'jws_signature_invalid');
  t.is(await signatureValid.run({ jws: `${jws.slice(0, -4)}AAAA`, expected, trustedKey: { ...key, key: mine.publicKey } }, deps), 'jws_signature_invalid');
});
