// CRLs in use: once the CRL passes nextUpdate every card is refused (fail closed) until a reload brings
// a current one; configured CRL files are re-read, so a card revoked at the CA is refused after the
// next reload, and a CRL file that cannot be read leaves the CRLs in use in place.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ManualClock } from '../../../src/clock.ts';
import type { Gateway } from '../../../src/gateway.ts';
import { buildCrl } from '../../../src/federation/mtls/crl.ts';
import { refusalText } from '../../../src/federation/sithsCard/refusals.ts';
import { CRL_VALIDITY_DAYS } from '../../../certs/bundles/siths.ts';
import { DAY_MS } from '../../../certs/pki.ts';
import { startTestGateway, type TestClient } from '../../helpers/gateway.ts';
import { cardFiles, finishAtClient, logSink, presentCard, staffClient, startCardSignIn, type CardFiles, type LogSink } from './fixtures.ts';

const clock = new ManualClock();
let sandboxCrlGw: Gateway;
let configuredGw: Gateway;
let files: CardFiles;
let staff: TestClient;
let log: LogSink;
const dir = mkdtempSync(join(tmpdir(), 'siths-crl-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test.before(async () => {
  staff = await staffClient('siths-crl-rp', 'https://crl-staff.example.test/cb');
  log = logSink();
  sandboxCrlGw = await startTestGateway({ clients: [staff.config], clock, logger: log.logger });
  files = await cardFiles(sandboxCrlGw);
  // The second gateway is configured like production: its own CA and CRL files, which nothing re-signs.
  const s = files.certs.siths;
  writeFileSync(join(dir, 'ca.pem'), readFileSync(s.caBundle));
  writeFileSync(join(dir, 'issuing.crl'), readFileSync(s.crl));
  configuredGw = await startTestGateway({
    clients: [staff.config],
    logger: log.logger,
    overrides: { sithsCard: { caFiles: [join(dir, 'ca.pem')], crlFiles: [join(dir, 'issuing.crl')], crlRefreshSeconds: 3600 } },
  });
});
test.after.always(async () => {
  await sandboxCrlGw?.close();
  await configuredGw?.close();
});

/** The card step and the resume; answers the resume's status and page. */
async function tryCard(gw: Gateway, card: 'sara' | 'revoked') {
  const s = await startCardSignIn(gw, staff);
  const answer = await presentCard(files, s.cardUrl, files.card(card));
  const page = await s.ua.request(answer.location!);
  return { s, page, resumeUrl: answer.location! };
}

test.serial('a CRL past nextUpdate refuses every card; the sandbox reload re-signs it and cards pass again', async (t) => {
  t.is((await tryCard(sandboxCrlGw, 'sara')).page.status, 303, 'accepted while the CRL is current');
  clock.advance((CRL_VALIDITY_DAYS + 1) * DAY_MS);
  const refused = await tryCard(sandboxCrlGw, 'sara');
  t.is(refused.page.status, 403);
  t.true(refused.page.text.includes(refusalText('crl_expired', 'sv')));
  t.true(log.text().includes('"reason":"crl_expired"'));
  // The scheduled reload (called now rather than waiting for the timer) re-signs the sandbox CRL at the clock's time.
  t.true(await sandboxCrlGw.sithsCard!.reloadCrls());
  t.true(sandboxCrlGw.sithsCard!.verifier.crlStatus().every((c) => c.current));
  const again = await tryCard(sandboxCrlGw, 'sara');
  t.is(again.page.status, 303);
  // The revoked card stays revoked in the re-signed CRL.
  t.is((await tryCard(sandboxCrlGw, 'revoked')).page.status, 403);
});

test.serial('configured CRL files are re-read: a card the CA revokes is refused after the next reload', async (t) => {
  const first = await tryCard(configuredGw, 'sara');
  t.is(first.page.status, 303);
  await finishAtClient(first.s, first.resumeUrl).catch(() => undefined);

  const issuing = readFileSync(files.certs.siths.issuingCaCert, 'utf8');
  const now = Date.now();
  const newer = buildCrl({
    issuerCertificate: issuing,
    issuerKey: readFileSync(files.certs.siths.issuingCaKey, 'utf8'),
    revoked: [
      { serialNumberHex: new X509Certificate(files.card('revoked').cert).serialNumber, revocationDate: new Date(now - DAY_MS) },
      { serialNumberHex: new X509Certificate(files.card('sara').cert).serialNumber, revocationDate: new Date(now), reason: 'keyCompromise' },
    ],
    thisUpdate: new Date(now - 60_000),
    nextUpdate: new Date(now + CRL_VALIDITY_DAYS * DAY_MS),
    crlNumber: 1000,
  });
  writeFileSync(join(dir, 'issuing.crl'), newer.pem);
  t.is((await tryCard(configuredGw, 'sara')).page.status, 303, 'not before the reload');
  t.true(await configuredGw.sithsCard!.reloadCrls());
  const refused = await tryCard(configuredGw, 'sara');
  t.is(refused.page.status, 403);
  t.true(refused.page.text.includes(refusalText('revoked', 'sv')));

  // A CRL file that cannot be parsed is not taken: the CRLs in use stay.
  writeFileSync(join(dir, 'issuing.crl'), 'garbage');
  t.false(await configuredGw.sithsCard!.reloadCrls());
  t.true(log.text().includes('"reason":"crl_reload_failed"'));
  t.is((await tryCard(configuredGw, 'sara')).page.status, 403, 'still revoked');
});
