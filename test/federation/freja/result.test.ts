// The JWS checks on Freja eID's `details`, one reason code each: only RS256, only a configured
// signing certificate named by x5t, only an intact signature, only the transaction asked about with
// the status the answer states; then the identity: a Swedish number, a name and a registration level.
import { readFileSync } from 'node:fs';
import test from 'ava';
import { ManualClock } from '../../../src/clock.ts';
import { verifyResultDetails, ResultRejected, type SigningCertificates } from '../../../src/federation/freja/result.ts';
import { signInFrom, FrejaIdentityRejected } from '../../../src/federation/freja/identity.ts';
import { acrFor } from '../../../src/federation/loa.ts';
import { loadConfig } from '../../../src/config.ts';
import { LOA } from '../../../src/idp/claims.ts';
import { anna, approvedPayload, signingCertsOf, signResult, tempCerts, x5tOfPem } from './fixtures.ts';

type Certs = Awaited<ReturnType<typeof tempCerts>>;
let certs: Certs;
let other: Certs;
let trusted: SigningCertificates;
let key: string;
let x5t: string;
const clock = new ManualClock(Date.now());
const ref = 'ref-1';

test.before(async () => {
  [certs, other] = await Promise.all([tempCerts(), tempCerts()]);
  trusted = await signingCertsOf(certs);
  key = readFileSync(certs.freja.signingKey, 'utf8');
  x5t = x5tOfPem(readFileSync(certs.freja.signingCert, 'utf8'));
});

const rejection = async (jws: string, expected = { authRef: ref, status: 'APPROVED' }, at = clock): Promise<string> => {
  try {
    await verifyResultDetails(jws, expected, trusted, at);
  } catch (err) {
    if (err instanceof ResultRejected) return err.reason;
    throw err;
  }
  return 'accepted';
};

test('a result signed with the configured certificate is accepted and read', async (t) => {
  const details = await verifyResultDetails(await signResult(approvedPayload(ref), key, { x5t }), { authRef: ref, status: 'APPROVED' }, trusted, clock);
  t.is(details.authRef, ref);
  t.is(details.requestedAttributes?.ssn?.ssn, anna.personalNumber);
});

test('a result signed by another key, claiming the trusted certificate\'s x5t, is refused', async (t) => {
  const foreign = readFileSync(other.freja.signingKey, 'utf8');
  t.is(await rejection(await signResult(approvedPayload(ref), foreign, { x5t })), 'jws_signature_invalid');
});

test('a result naming an unknown certificate (or none) is refused', async (t) => {
  const foreign = readFileSync(other.freja.signingKey, 'utf8');
  const foreignX5t = x5tOfPem(readFileSync(other.freja.signingCert, 'utf8'));
  t.is(await rejection(await signResult(approvedPayload(ref), foreign, { x5t: foreignX5t })), 'jws_unknown_key');
  t.is(await rejection(await signResult(approvedPayload(ref), key, {})), 'jws_unknown_key', 'no x5t at all');
  // The TLS server key is Freja's too, but it is not a result-signing key.
  t.is(await rejection(await signResult(approvedPayload(ref), readFileSync(certs.freja.serverKey, 'utf8'), { x5t: x5tOfPem(readFileSync(certs.freja.serverCert, 'utf8')) })), 'jws_unknown_key');
});

test('a tampered payload is refused', async (t) => {
  const jws = await signResult(approvedPayload(ref), key, { x5t });
  const [h, , s] = jws.split('.');
  const forged = Buffer.from(JSON.stringify(approvedPayload(ref, { requestedAttributes: { ssn: { ssn: '197501012343', country: 'SE' }, basicUserInfo: { name: 'B', surname: 'B' }, registrationLevel: 'PLUS' } }))).toString('base64url');
  t.is(await rejection(`${h}.${forged}.${s}`), 'jws_signature_invalid');
  t.is(await rejection(`${h}.${forged}`), 'jws_malformed', 'two parts are no JWS');
  t.is(await rejection('not a jws'), 'jws_malformed');
});

test('alg none and HS256 (keyed with the public certificate) are refused before any key is used', async (t) => {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  t.is(await rejection(`${b64({ alg: 'none', x5t })}.${b64(approvedPayload(ref))}.`), 'jws_alg_not_allowed');
  const { createHmac } = await import('node:crypto');
  const input = `${b64({ alg: 'HS256', x5t })}.${b64(approvedPayload(ref))}`;
  const mac = createHmac('sha256', readFileSync(certs.freja.signingCert)).update(input).digest('base64url');
  t.is(await rejection(`${input}.${mac}`), 'jws_alg_not_allowed');
});

test('a genuine result for another transaction, or with another status, is refused', async (t) => {
  t.is(await rejection(await signResult(approvedPayload('someone-elses-ref'), key, { x5t })), 'authref_mismatch');
  t.is(await rejection(await signResult(approvedPayload(ref, { status: 'REJECTED' }), key, { x5t })), 'status_mismatch');
});

test('a payload that is not the result JSON is refused', async (t) => {
  t.is(await rejection(await signResult({ hello: 'world' }, key, { x5t })), 'payload_malformed');
});

test('outside the signing certificate\'s validity the result is refused', async (t) => {
  const later = new ManualClock(Date.now() + 3 * 365 * 86_400_000);
  t.is(await rejection(await signResult(approvedPayload(ref), key, { x5t }), undefined, later), 'jws_key_not_valid_now');
});

test('identity: the personnummer comes from the SSN attribute, Swedish only, with a name and a registration level', async (t) => {
  const attrs = approvedPayload(ref).requestedAttributes as Record<string, unknown>;
  const read = (over: Record<string, unknown>) => signInFrom({ authRef: ref, status: 'APPROVED', requestedAttributes: { ...attrs, ...over } });
  t.deepEqual(read({}), { identity: { kind: 'citizen', personalNumber: anna.personalNumber, givenName: 'Anna', surname: 'Andersson' }, registrationLevel: 'PLUS' });
  const reason = (over: Record<string, unknown>) => t.throws(() => read(over), { instanceOf: FrejaIdentityRejected })!.reason;
  t.is(reason({ ssn: undefined }), 'ssn_missing');
  t.is(reason({ ssn: { ssn: anna.personalNumber, country: 'NO' } }), 'ssn_not_swedish');
  t.is(reason({ ssn: { ssn: '198003121235', country: 'SE' } }), 'ssn_invalid', 'wrong check digit');
  t.is(reason({ basicUserInfo: undefined }), 'name_missing');
  t.is(reason({ registrationLevel: undefined }), 'registration_level_missing');
});

test('registration levels: EXTENDED is loa2, PLUS loa3, BASIC and unknown levels are refused', (t) => {
  const freja = loadConfig({ env: {} }).loa.providers.freja!;
  t.is(acrFor(freja, 'EXTENDED'), LOA.loa2);
  t.is(acrFor(freja, 'PLUS'), LOA.loa3);
  t.is(acrFor(freja, 'BASIC'), undefined);
  t.is(acrFor(freja, 'SUPER'), undefined);
});
