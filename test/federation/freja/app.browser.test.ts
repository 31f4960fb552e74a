// Real Chromium signs a citizen in to the demo app with Freja eID through the sandbox: the login page,
// the Freja wait page, the simulated Freja app (same device: the transaction reference arrives
// filled in), consent, and back to the app with claims. Then the other-device path: the tester copies
// the QR content into the app and declines. axe-core checks every Freja page for serious violations.
import test from 'ava';
import type { Browser } from 'playwright-core';
import type { Gateway } from '../../../src/gateway.ts';
import { SE, LOA } from '../../../src/idp/claims.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { launchChromium, seriousAxeViolations } from '../../helpers/browser.ts';
import { anna } from './fixtures.ts';

let gw: Gateway;
let browser: Browser;

test.before(async () => {
  gw = await startTestGateway({ overrides: { freja: { pollIntervalMs: 500, timeoutMs: 3000 } } });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await gw?.close();
});

test.serial('Chromium signs in to the demo app with the simulated Freja eID app, and the Freja pages pass axe', async (t) => {
  const context = await browser.newContext({ locale: 'sv-SE' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const axe = async (name: string, p = page) => {
    const violations = await seriousAxeViolations(p);
    t.deepEqual(violations, [], `${name}: ${JSON.stringify(violations, null, 1)}`);
  };

  await page.goto(`${gw.url}/sandbox/rp`);
  await page.click('#sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  await page.waitForSelector('#method-freja');
  await axe('login page with Freja eID');

  await page.getByRole('button', { name: /Öppna Freja eID på den här enheten/ }).click();
  await page.waitForSelector('#launch');
  t.regex((await page.textContent('#status')) ?? '', /Öppna Freja eID-appen/);
  await axe('Freja wait page (same device)');

  // "Open Freja eID": in the sandbox the link opens the simulated Freja app with the reference filled in.
  const [app] = await Promise.all([context.waitForEvent('page'), page.click('#launch')]);
  await app.waitForLoadState();
  t.is(await app.locator('script').count(), 0, 'the app works without JavaScript');
  await axe('simulated Freja app', app);
  t.truthy(await app.inputValue('#authRef'), 'the transaction reference reached the app');
  await app.getByLabel('Testperson').selectOption(anna.personalNumber);
  await app.getByLabel('Freja eID+ (PLUS)').check();
  await app.getByLabel('Godkänn (APPROVED)').check();
  await app.getByRole('button', { name: 'Skicka' }).click();
  await app.waitForSelector('text=Förfrågan är avslutad');
  await axe('simulated Freja app, result', app);

  // The gateway page notices the approval and moves on to consent.
  await page.waitForSelector('#approve', { timeout: 15_000 });
  await page.click('#approve');
  await page.waitForURL(/\/sandbox\/rp\/callback/);
  const claims = (await page.textContent('#id-token-claims')) ?? '';
  t.true(claims.includes(SE.personalIdentityNumber));
  t.true(claims.includes(anna.personalNumber));
  t.true(claims.includes('https://frejaeid.com'));
  t.true(claims.includes(LOA.loa3));
});

test.serial('Chromium, other device: the QR content copied into the app, declined there; the wait page says so and offers a retry', async (t) => {
  const context = await browser.newContext({ locale: 'en-GB' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${gw.url}/sandbox/rp?lang=en`);
  await page.click('#sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  await page.getByRole('button', { name: /Freja eID on another device/ }).click();
  await page.waitForSelector('#qr svg');
  t.regex((await page.textContent('#status')) ?? '', /scan the QR code/);
  const violations = await seriousAxeViolations(page);
  t.deepEqual(violations, [], `Freja wait page (QR): ${JSON.stringify(violations)}`);
  const qr = (await page.textContent('#qr-text')) ?? '';
  t.regex(qr, /^frejaeid:\/\/bindUserToTransaction\?transactionReference=/);

  const app = await context.newPage();
  // A reference that names nothing first: the form comes back with the reason, and passes axe.
  await app.goto(`${gw.url}/sandbox/freja/app?lang=en&transactionReference=nope`);
  await app.getByRole('button', { name: 'Send' }).click();
  await app.waitForSelector('[role=alert]');
  t.regex((await app.textContent('[role=alert]')) ?? '', /No transaction has this reference/);
  const formError = await seriousAxeViolations(app);
  t.deepEqual(formError, [], `Freja app with an error: ${JSON.stringify(formError)}`);
  await app.getByLabel('Transaction reference').fill('');
  await app.getByLabel('QR code content').fill(qr);
  await app.getByLabel('Test person').selectOption(anna.personalNumber);
  await app.getByLabel('Decline (REJECTED)').check();
  await app.getByRole('button', { name: 'Send' }).click();
  await app.waitForSelector('text=The request is finished');

  await page.waitForSelector('#retry:not([hidden])', { timeout: 15_000 });
  t.regex((await page.textContent('#status')) ?? '', /declined the sign-in/);
  t.false(await page.isVisible('#qr'), 'the QR code is gone');
  const after = await seriousAxeViolations(page);
  t.deepEqual(after, [], `Freja wait page (failed): ${JSON.stringify(after)}`);
});
