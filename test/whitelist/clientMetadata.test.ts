// Product client metadata: redirect URIs FAPI accepts, and JWKS that hold public keys only.
import test from 'ava';
import { exportJWK, generateKeyPair } from 'jose';
import { jwksProblems, redirectUriProblem } from '../../src/whitelist/clientMetadata.ts';
import { DatasetCatalogue, parseScope, scopesFor } from '../../src/whitelist/datasets.ts';
import { defaultDatasets } from '../../src/config.ts';

test('redirect URIs: https without fragment; http only to localhost in the sandbox', (t) => {
  t.is(redirectUriProblem('https://app.example.se/cb', false), undefined);
  t.regex(redirectUriProblem('https://app.example.se/cb#x', false)!, /fragment/);
  t.regex(redirectUriProblem('http://app.example.se/cb', true)!, /https/);
  t.is(redirectUriProblem('http://localhost:8080/cb', true), undefined);
  t.is(redirectUriProblem('http://127.0.0.1:8080/cb', true), undefined);
  t.regex(redirectUriProblem('http://localhost:8080/cb', false)!, /https/);
  t.regex(redirectUriProblem('app.example.se/cb', false)!, /absolute/);
  t.regex(redirectUriProblem('https://user:pw@app.example.se/cb', false)!, /credentials/);
});

test('JWKS: public EC, RSA and Ed25519 keys pass; private, symmetric and broken keys are named', async (t) => {
  const ec = await generateKeyPair('ES256', { extractable: true });
  const rsa = await generateKeyPair('PS256', { extractable: true });
  const ed = await generateKeyPair('EdDSA', { extractable: true, crv: 'Ed25519' });
  const keys = [await exportJWK(ec.publicKey), await exportJWK(rsa.publicKey), await exportJWK(ed.publicKey)] as Array<Record<string, unknown>>;
  t.deepEqual(await jwksProblems({ keys }, 'jwks'), []);
  const bad = await jwksProblems({ keys: [await exportJWK(ec.privateKey) as Record<string, unknown>, { kty: 'oct', k: 'c2VjcmV0' }, { kty: 'EC', crv: 'P-256', x: 'AA', y: 'BB' }, { kty: 'XYZ' }] }, 'jwks');
  t.deepEqual(bad.map((e) => e.path), ['jwks.keys.0', 'jwks.keys.1', 'jwks.keys.2', 'jwks.keys.3']);
  t.regex(bad[0]!.message, /private/);
  t.deepEqual(await jwksProblems({ keys: [] }, 'jwks'), [{ path: 'jwks.keys', message: 'needs at least one key' }]);
});

test('the catalogue: scopes are <dataset>.<action>; unknown data sets and disallowed actions are named', (t) => {
  const catalogue = new DatasetCatalogue(defaultDatasets);
  t.deepEqual(scopesFor([{ dataset: 'bookings', actions: ['read', 'write'] }, { dataset: 'vaccinations', actions: ['read'] }]), ['bookings.read', 'bookings.write', 'vaccinations.read']);
  t.deepEqual(parseScope('lab-results.read'), { dataset: 'lab-results', action: 'read' });
  t.is(parseScope('openid'), undefined);
  t.true(catalogue.scopes().includes('patient-measurements.write'));
  t.false(catalogue.scopes().includes('vaccinations.write'));
  t.deepEqual(catalogue.checkAccess([{ dataset: 'vaccinations', actions: ['write'] }, { dataset: 'horoscopes', actions: ['read'] }, { dataset: 'vaccinations', actions: ['read'] }], 'access').map((e) => e.path),
    ['access.0.actions', 'access.1.dataset', 'access.2.dataset']);
  for (const id of ['bookings', 'vaccinations', 'lab-results', 'home-care-decisions', 'care-documentation', 'care-plans', 'listing', 'patient-measurements']) t.truthy(catalogue.get(id), id);
});
