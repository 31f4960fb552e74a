// A real Chromium signs a member of staff in with a sandbox card's .p12 (passphrase qwerty123) as its
// TLS client certificate — the way a tester tries it by hand — from the demo app through the card
// listener and back; and a revoked card ends on the login page saying so. Pages are checked with axe.
import test from 'ava';
import type { Browser, BrowserContext } from 'playwright-core';
import type { Gateway } from '../../../src/gateway.ts';
import { refusalText } from '../../../src/federation/sithsCard/refusals.ts';
import { launchChromium, seriousAxeViolations } from '../../helpers/browser.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { cardFiles, sara, type CardFiles } from './fixtures.ts';

let gw: Gateway;
let files: CardFiles;
let browser: Browser;

test.before(async () => {
  gw = await startTestGateway();
  files = await cardFiles(gw);
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await gw?.close();
});

/** A browser profile holding one sandbox card, offered to the card listener's origin only. */
function withCard(p12Path: string): Promise<BrowserContext> {
  return browser.newContext({
    locale: 'sv-SE',
    // The listener's TLS certificate is from the sandbox's own CA, which this profile does not trust.
    ignoreHTTPSErrors: true,
    clientCertificates: [{ origin: gw.sithsCard!.listenerUrl!, pfxPath: p12Path, passphrase: files.certs.passphrase }],
  });
}

test.serial('Chromium with sara\'s .p12 signs in from the demo app and the app shows her orgAffiliation', async (t) => {
  const context = await withCard(files.certs.siths.saraP12);
  const page = await context.newPage();
  await page.goto(`${gw.url}/sandbox/rp`);
  await page.click('#sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  t.deepEqual(await seriousAxeViolations(page), []);
  await page.getByRole('button', { name: /Logga in med SITHS-kort/ }).click();
  await page.waitForSelector('#approve', { timeout: 15_000 });
  await page.click('#approve');
  await page.waitForURL(/\/sandbox\/rp\/callback/);
  const claims = (await page.textContent('#id-token-claims')) ?? '';
  t.true(claims.includes(`${sara.hsaId}@${sara.orgAffiliation}`), claims);
  t.true(claims.includes('https://www.inera.se/siths'));
  await context.close();
});

test.serial('Chromium with the revoked card is back on the login page, told the card is revoked', async (t) => {
  const context = await withCard(files.certs.siths.revokedP12);
  const page = await context.newPage();
  await page.goto(`${gw.url}/sandbox/rp`);
  await page.click('#sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  await page.getByRole('button', { name: /Logga in med SITHS-kort/ }).click();
  await page.waitForURL(/\/siths-card\/resume/);
  t.true(((await page.textContent('[role=alert]')) ?? '').includes(refusalText('revoked', 'sv')));
  t.deepEqual(await seriousAxeViolations(page), []);
  await context.close();
});
