// Each check of the card decision on its own (src/federation/mtls/cardChecks.ts), against the sandbox
// SITHS PKI, with the state a check needs built directly: one refusal or one established value per case.
import { X509Certificate } from 'node:crypto';
import test from 'ava';
import forge from 'node-forge';
import { Refusal } from '../../../src/decision.ts';
import {
  CARD_CHECKS, buildPath, caConstraints, cardCrlCurrent, cardCrlPresent, cardCrlSignature, cardNotRevoked, cardPipeline,
  casNotRevoked, clientAuthUsage, criticalExtensions, decodeCard, decodeChain, hsaId, identity, validity,
  type CardDeps, type CardPath,
} from '../../../src/federation/mtls/cardChecks.ts';
import { buildCrl, crlSignedBy, parseCrl, type ParsedCrl } from '../../../src/federation/mtls/crl.ts';
import { OID } from '../../../src/federation/mtls/oids.ts';
import { SithsCertificateVerifier } from '../../../src/federation/mtls/sithsCertificate.ts';
import { readCertificate, type CertificateInfo } from '../../../src/federation/mtls/x509.ts';
import { DAY_MS } from '../../../certs/pki.ts';
import { sara, siths, type SithsFixture } from './fixtures.ts';

const read = (pem: string): CertificateInfo => readCertificate(new X509Certificate(pem).raw);

interface Pki {
  f: SithsFixture;
  sara: CertificateInfo;
  revoked: CertificateInfo;
  issuing: CertificateInfo;
  root: CertificateInfo;
  crl: ParsedCrl;
  deps: (overrides?: Partial<CardDeps>) => CardDeps;
}

let pki: Promise<Pki> | undefined;
function sandbox(): Promise<Pki> {
  pki ??= siths().then((f) => {
    const issuing = read(f.text('issuingCaCert'));
    const root = read(f.text('rootCaCert'));
    const crl = parseCrl(f.bytes('crl'));
    return {
      f,
      sara: read(f.text('saraCert')),
      revoked: read(f.text('revokedCert')),
      issuing,
      root,
      crl,
      deps: (overrides = {}) => ({
        anchors: [root, issuing],
        crls: [crl],
        now: Date.now(),
        requireClientAuthEku: true,
        crlSignedBy: (c, ca) => crlSignedBy(c, ca.publicKey),
        ...overrides,
      }),
    };
  });
  return pki;
}

/** The reason and detail of a refusal, or undefined when the check passed. */
function refusalOf(outcome: unknown): { reason: string; detail?: string } | undefined {
  if (typeof outcome === 'string') return { reason: outcome };
  if (outcome instanceof Refusal) return outcome.detail === undefined ? { reason: outcome.reason } : { reason: outcome.reason, detail: outcome.detail };
  return undefined;
}

/** What a passing check established (an object), failing the test on a refusal. */
function established<T>(outcome: T): Exclude<T, string | Refusal | undefined | void> {
  if (typeof outcome !== 'object' || outcome === null || outcome instanceof Refusal) throw new Error(`expected a passing check that establishes a value, got ${JSON.stringify(refusalOf(outcome))}`);
  return outcome as Exclude<T, string | Refusal | undefined | void>;
}

test('the checks run in this order', (t) => {
  t.deepEqual(CARD_CHECKS, [
    'decode_card', 'decode_chain', 'build_path', 'validity', 'ca_constraints', 'critical_extensions', 'client_auth_usage',
    'hsa_id', 'identity', 'card_crl_present', 'card_crl_signature', 'card_crl_current', 'card_not_revoked', 'cas_not_revoked',
  ]);
  t.deepEqual(cardPipeline.names, CARD_CHECKS);
});

test('the verdict names the check that refused', async (t) => {
  const { f } = await sandbox();
  const v = new SithsCertificateVerifier({ trustedCaPems: f.trustedCaPems, crls: [f.bytes('crl')], clock: { now: () => Date.now() } });
  const revoked = v.decide(f.text('revokedCert'));
  t.like(revoked, { ok: false, check: 'card_not_revoked', reason: 'revoked' });
  t.like(v.decide('garbage'), { ok: false, check: 'decode_card', reason: 'malformed' });
  const good = v.decide(f.text('saraCert'));
  t.true(good.ok);
  if (good.ok) t.is(good.state.identity.hsaId, sara.hsaId);
});

test('decode_card: the card in any accepted encoding, or malformed', async (t) => {
  const { f, deps } = await sandbox();
  const { card } = established(decodeCard.run({ certificate: f.text('saraCert'), chain: [] }, deps()));
  t.is(card.serialNumberHex, new X509Certificate(f.text('saraCert')).serialNumber.toUpperCase());
  t.is(refusalOf(decodeCard.run({ certificate: 'garbage', chain: [] }, deps()))?.reason, 'malformed');
  t.is(refusalOf(decodeCard.run({ certificate: f.text('crlPem'), chain: [] }, deps()))?.reason, 'malformed');
});

test('decode_chain: every presented certificate, or malformed with the chain named', async (t) => {
  const { f, deps } = await sandbox();
  const { presented } = established(decodeChain.run({ certificate: '', chain: [f.text('issuingCaCert'), f.text('rootCaCert')] }, deps()));
  t.is(presented.length, 2);
  t.deepEqual(established(decodeChain.run({ certificate: '', chain: [] }, deps())).presented, []);
  t.is(refusalOf(decodeChain.run({ certificate: '', chain: [f.text('issuingCaCert'), 'garbage'] }, deps()))?.reason, 'malformed');
});

test('build_path: card, issuing CA, root; or no_issuer, untrusted_root, self_signed, bad_signature', async (t) => {
  const { f, deps, sara: card, issuing, root } = await sandbox();
  const { path, issuer } = established(buildPath.run({ card, presented: [] }, deps()));
  t.deepEqual(path.map((c) => c.fingerprint), [card.fingerprint, issuing.fingerprint, root.fingerprint]);
  t.is(issuer.fingerprint, issuing.fingerprint);
  // Only the root configured: the issuing CA comes from the client's chain.
  const fromChain = established(buildPath.run({ card, presented: [issuing] }, deps({ anchors: [root] })));
  t.is(fromChain.path.length, 3);
  t.deepEqual(refusalOf(buildPath.run({ card, presented: [] }, deps({ anchors: [root] }))), { reason: 'unknown_ca', detail: 'no_issuer' });

  const unknown = read(f.text('unknownCert'));
  t.deepEqual(refusalOf(buildPath.run({ card: unknown, presented: [] }, deps())), { reason: 'unknown_ca', detail: 'no_issuer' });
  t.deepEqual(refusalOf(buildPath.run({ card: unknown, presented: [read(f.text('unknownCaCert'))] }, deps())), { reason: 'unknown_ca', detail: 'untrusted_root' });
  t.deepEqual(refusalOf(buildPath.run({ card: root, presented: [] }, deps())), { reason: 'unknown_ca', detail: 'self_signed' });

  const der = Buffer.from(card.der);
  der.writeUInt8(der.readUInt8(der.length - 1) ^ 0x01, der.length - 1);
  t.deepEqual(refusalOf(buildPath.run({ card: readCertificate(der), presented: [] }, deps())), { reason: 'bad_signature' });
});

/** A certificate named `subject`, issued in the name `issuer`, holding `holder`'s public key and signed with `signer`. */
function certificate(subject: string, issuer: string, holder: forge.pki.rsa.PrivateKey, signer: forge.pki.rsa.PrivateKey, ca: boolean): CertificateInfo {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(holder.n, holder.e);
  cert.serialNumber = forge.util.bytesToHex(forge.random.getBytesSync(8)).replace(/^[89a-f]/, '1');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + DAY_MS);
  cert.setSubject([{ shortName: 'CN', value: subject }]);
  cert.setIssuer([{ shortName: 'CN', value: issuer }]);
  cert.setExtensions(ca ? [{ name: 'basicConstraints', cA: true, critical: true }] : [{ name: 'keyUsage', digitalSignature: true }]);
  cert.sign(signer, forge.md.sha256.create());
  return read(forge.pki.certificateToPem(cert));
}

test('build_path: two CAs that name each other as issuer are a loop; too many CAs is path_too_long', async (t) => {
  const { f, deps } = await sandbox();
  const [k1, k2] = [f.issuing.key, f.root.key];
  const card = certificate('Card', 'Loop A', k1, k1, false);
  const a = certificate('Loop A', 'Loop B', k1, k2, true);
  const b = certificate('Loop B', 'Loop A', k2, k1, true);
  t.deepEqual(refusalOf(buildPath.run({ card, presented: [a, b] }, deps())), { reason: 'unknown_ca', detail: 'loop' });

  // card -> C1 -> C2 -> C3 -> C4 fills the five places; C5 would be a sixth.
  const chain = [1, 2, 3, 4, 5].map((n) => certificate(`Level ${n}`, `Level ${n + 1}`, n % 2 ? k1 : k2, n % 2 ? k2 : k1, true));
  const deep = certificate('Deep card', 'Level 1', k1, k1, false);
  t.deepEqual(refusalOf(buildPath.run({ card: deep, presented: chain }, deps())), { reason: 'unknown_ca', detail: 'path_too_long' });
  t.deepEqual(refusalOf(buildPath.run({ card: deep, presented: chain.slice(0, 4) }, deps())), { reason: 'unknown_ca', detail: 'untrusted_root' });
});

test('validity: every certificate on the path at the clock\'s time; a CA\'s lapse says ca', async (t) => {
  const { deps, sara: card, issuing, root } = await sandbox();
  const path: CardPath = [card, issuing, root];
  t.is(validity.run({ path }, deps()), undefined);
  t.deepEqual(refusalOf(validity.run({ path }, deps({ now: card.notBefore.getTime() - 1000 }))), { reason: 'not_yet_valid' });
  t.deepEqual(refusalOf(validity.run({ path }, deps({ now: card.notAfter.getTime() + 1000 }))), { reason: 'expired' });
  const lapsedCa: CardPath = [card, { ...issuing, notAfter: new Date(Date.now() - 1000) }, root];
  t.deepEqual(refusalOf(validity.run({ path: lapsedCa }, deps())), { reason: 'expired', detail: 'ca' });
  const futureCa: CardPath = [card, issuing, { ...root, notBefore: new Date(Date.now() + DAY_MS) }];
  t.deepEqual(refusalOf(validity.run({ path: futureCa }, deps())), { reason: 'not_yet_valid', detail: 'ca' });
});

test('ca_constraints: issuers are CAs that may sign certificates, within their path length', async (t) => {
  const { deps, sara: card, issuing, root } = await sandbox();
  t.is(caConstraints.run({ path: [card, issuing, root] }, deps()), undefined);
  t.deepEqual(refusalOf(caConstraints.run({ path: [card, card] }, deps())), { reason: 'unknown_ca', detail: 'issuer_not_ca' });
  const noCertSign = { ...issuing, keyUsage: new Set(['cRLSign'] as const) };
  t.deepEqual(refusalOf(caConstraints.run({ path: [card, noCertSign, root] }, deps())), { reason: 'unknown_ca', detail: 'issuer_not_cert_signer' });
  // The issuing CA allows no CA below it (pathLen 0): one more CA level breaks it.
  t.is(issuing.basicConstraints?.pathLenConstraint, 0);
  const subCa = { ...issuing, fingerprint: 'sub', basicConstraints: { cA: true } };
  t.deepEqual(refusalOf(caConstraints.run({ path: [card, subCa, issuing, root] }, deps())), { reason: 'unknown_ca', detail: 'path_length' });
});

test('critical_extensions: an unprocessed critical extension is malformed on the card, unknown_ca on a CA', async (t) => {
  const { deps, sara: card, issuing, root } = await sandbox();
  t.is(criticalExtensions.run({ path: [card, issuing, root] }, deps()), undefined);
  const odd = (c: CertificateInfo): CertificateInfo => ({ ...c, extensions: [...c.extensions, { oid: '1.2.3.4', critical: true }] });
  t.deepEqual(refusalOf(criticalExtensions.run({ path: [odd(card), issuing, root] }, deps())), { reason: 'malformed', detail: 'unsupported_critical_extension' });
  t.deepEqual(refusalOf(criticalExtensions.run({ path: [card, odd(issuing), root] }, deps())), { reason: 'unknown_ca', detail: 'unsupported_critical_extension' });
  // The same extension, not critical, is passed over.
  const quiet = { ...card, extensions: [...card.extensions, { oid: '1.2.3.4', critical: false }] };
  t.is(criticalExtensions.run({ path: [quiet, issuing, root] }, deps()), undefined);
});

test('client_auth_usage: digitalSignature and clientAuth on an end-entity certificate', async (t) => {
  const { deps, sara: card } = await sandbox();
  t.is(clientAuthUsage.run({ card }, deps()), undefined);
  t.deepEqual(refusalOf(clientAuthUsage.run({ card: { ...card, basicConstraints: { cA: true } } }, deps())), { reason: 'key_usage', detail: 'ca_certificate' });
  t.deepEqual(refusalOf(clientAuthUsage.run({ card: { ...card, keyUsage: new Set(['keyEncipherment'] as const) } }, deps())), { reason: 'key_usage', detail: 'no_digital_signature' });
  const serverOnly = { ...card, extKeyUsage: [OID.serverAuth] };
  t.deepEqual(refusalOf(clientAuthUsage.run({ card: serverOnly }, deps())), { reason: 'key_usage', detail: 'no_client_auth' });
  t.deepEqual(refusalOf(clientAuthUsage.run({ card: serverOnly }, deps({ requireClientAuthEku: false }))), { reason: 'key_usage', detail: 'no_client_auth' });
  const noEku: CertificateInfo = { ...card };
  delete noEku.extKeyUsage;
  t.deepEqual(refusalOf(clientAuthUsage.run({ card: noEku }, deps())), { reason: 'key_usage', detail: 'no_client_auth' });
  t.is(clientAuthUsage.run({ card: noEku }, deps({ requireClientAuthEku: false })), undefined);
});

/** The card with its subject attributes replaced (only the attribute list is read by the checks). */
const withSubject = (card: CertificateInfo, attributes: Array<{ oid: string; value: string }>): CertificateInfo =>
  ({ ...card, subject: { ...card.subject, attributes } });

test('hsa_id: exactly one subject serialNumber, shaped as an HSA-id', async (t) => {
  const { deps, sara: card } = await sandbox();
  t.deepEqual(established(hsaId.run({ card }, deps())), { hsaId: sara.hsaId });
  const cn = { oid: OID.commonName, value: 'Sara' };
  t.deepEqual(refusalOf(hsaId.run({ card: withSubject(card, [cn, { oid: OID.serialNumber, value: sara.personalNumber }]) }, deps())), { reason: 'no_hsa_id' });
  t.deepEqual(refusalOf(hsaId.run({ card: withSubject(card, [cn]) }, deps())), { reason: 'no_hsa_id' });
  const twice = [cn, { oid: OID.serialNumber, value: sara.hsaId }, { oid: OID.serialNumber, value: 'SE2321000016-B1B2' }];
  t.deepEqual(refusalOf(hsaId.run({ card: withSubject(card, twice) }, deps())), { reason: 'no_hsa_id', detail: 'several' });
});

test('identity: the names, serial, issuer and notAfter; one common name', async (t) => {
  const { deps, sara: card, issuing } = await sandbox();
  const { identity: who } = established(identity.run({ card, issuer: issuing, hsaId: sara.hsaId }, deps()));
  t.like(who, { hsaId: sara.hsaId, givenName: sara.givenName, surname: sara.surname, organizationName: sara.orgName, serialNumberHex: card.serialNumberHex });
  t.is(who.issuer, issuing.subject.text);
  t.deepEqual(who.notAfter, card.notAfter);
  const noCn = withSubject(card, [{ oid: OID.serialNumber, value: sara.hsaId }]);
  t.deepEqual(refusalOf(identity.run({ card: noCn, issuer: issuing, hsaId: sara.hsaId }, deps())), { reason: 'malformed', detail: 'common_name' });
  const bare = established(identity.run({ card: withSubject(card, [{ oid: OID.commonName, value: 'S' }]), issuer: issuing, hsaId: sara.hsaId }, deps())).identity;
  t.false('givenName' in bare || 'surname' in bare || 'organizationName' in bare);
});

test('card_crl_present: a CRL in the issuer\'s name, or crl_missing', async (t) => {
  const { deps, issuing, root, crl } = await sandbox();
  t.deepEqual(established(cardCrlPresent.run({ issuer: issuing }, deps())).issuerCrls, [crl]);
  t.is(refusalOf(cardCrlPresent.run({ issuer: issuing }, deps({ crls: [] })))?.reason, 'crl_missing');
  t.is(refusalOf(cardCrlPresent.run({ issuer: root }, deps()))?.reason, 'crl_missing');
});

test('card_crl_signature: signed by the issuer\'s key, by a CA that may sign CRLs', async (t) => {
  const { deps, issuing, crl } = await sandbox();
  t.deepEqual(established(cardCrlSignature.run({ issuer: issuing, issuerCrls: [crl] }, deps())).signedCrls, [crl]);
  t.deepEqual(refusalOf(cardCrlSignature.run({ issuer: issuing, issuerCrls: [crl] }, deps({ crlSignedBy: () => false }))), { reason: 'crl_bad_signature' });
  const noCrlSign = { ...issuing, keyUsage: new Set(['keyCertSign'] as const) };
  t.deepEqual(refusalOf(cardCrlSignature.run({ issuer: noCrlSign, issuerCrls: [crl] }, deps())), { reason: 'crl_bad_signature', detail: 'issuer_not_crl_signer' });
});

test('card_crl_current: the newest started CRL, not past nextUpdate', async (t) => {
  const { f, deps, crl } = await sandbox();
  const nextUpdate = crl.nextUpdate?.getTime() ?? 0;
  t.is(established(cardCrlCurrent.run({ signedCrls: [crl] }, deps())).cardCrl, crl);
  t.deepEqual(refusalOf(cardCrlCurrent.run({ signedCrls: [crl] }, deps({ now: nextUpdate + 1000 }))), { reason: 'crl_expired' });
  t.deepEqual(refusalOf(cardCrlCurrent.run({ signedCrls: [crl] }, deps({ now: crl.thisUpdate.getTime() - 10 * 60_000 }))), { reason: 'crl_expired', detail: 'not_yet_valid' });
  const open: ParsedCrl = { ...crl };
  delete open.nextUpdate;
  t.deepEqual(refusalOf(cardCrlCurrent.run({ signedCrls: [open] }, deps())), { reason: 'crl_expired', detail: 'no_next_update' });
  // The higher cRLNumber decides, in either order.
  const newer = parseCrl(buildCrl({
    issuerCertificate: f.text('issuingCaCert'), issuerKey: f.issuing.key, revoked: [],
    thisUpdate: new Date(Date.now() - 60_000), nextUpdate: new Date(Date.now() + DAY_MS), crlNumber: 2,
  }).der);
  t.is(established(cardCrlCurrent.run({ signedCrls: [crl, newer] }, deps())).cardCrl, newer);
  t.is(established(cardCrlCurrent.run({ signedCrls: [newer, crl] }, deps())).cardCrl, newer);
});

test('card_not_revoked: the card\'s serial is not on its issuer\'s CRL', async (t) => {
  const { deps, sara: card, revoked, crl } = await sandbox();
  t.is(cardNotRevoked.run({ card, cardCrl: crl }, deps()), undefined);
  t.is(refusalOf(cardNotRevoked.run({ card: revoked, cardCrl: crl }, deps()))?.reason, 'revoked');
});

test('cas_not_revoked: each CA against its issuer\'s CRL when one is loaded, which must then be signed and current', async (t) => {
  const { f, deps, sara: card, issuing, root, crl } = await sandbox();
  const path: CardPath = [card, issuing, root];
  // No CRL of the root: nothing to check for the issuing CA.
  t.is(casNotRevoked.run({ path }, deps()), undefined);
  const arl = (revoked: boolean, nextUpdate = new Date(Date.now() + DAY_MS)) => parseCrl(buildCrl({
    issuerCertificate: f.text('rootCaCert'), issuerKey: f.root.key,
    revoked: revoked ? [{ serialNumberHex: issuing.serialNumberHex, revocationDate: new Date(Date.now() - 60_000), reason: 'cACompromise' }] : [],
    thisUpdate: new Date(Date.now() - 60_000), nextUpdate, crlNumber: 1,
  }).der);
  t.is(casNotRevoked.run({ path }, deps({ crls: [crl, arl(false)] })), undefined);
  t.deepEqual(refusalOf(casNotRevoked.run({ path }, deps({ crls: [crl, arl(true)] }))), { reason: 'revoked', detail: 'ca' });
  t.deepEqual(refusalOf(casNotRevoked.run({ path }, deps({ crls: [crl, arl(true)], crlSignedBy: () => false }))), { reason: 'crl_bad_signature' });
  t.deepEqual(refusalOf(casNotRevoked.run({ path }, deps({ crls: [crl, arl(false, new Date(Date.now() + 1000))], now: Date.now() + 60_000 }))), { reason: 'crl_expired' });
});
