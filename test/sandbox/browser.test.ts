// A real Chromium signs a citizen in through the sandbox: the demo app, the gateway's login page,
// the simulated BankID app (same device, autostart), consent, and back to the app with claims.
// Every page on the way is checked with axe-core for serious accessibility violations.
import test from 'ava';
import type { Browser } from 'playwright-core';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { launchChromium, seriousAxeViolations } from '../helpers/browser.ts';
import { SE } from '../../src/idp/claims.ts';

let gw: Gateway;
let browser: Browser;

test.before(async () => {
  gw = await startTestGateway({ overrides: { bankid: { collectIntervalMs: 500 } } });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await gw?.close();
});

test.serial('Chromium signs in from the demo app with the simulated BankID app, and the pages pass axe', async (t) => {
  const context = await browser.newContext({ locale: 'sv-SE' });
  const page = await context.newPage();
  const checked: string[] = [];
  const axe = async (name: string, p = page) => {
    const violations = await seriousAxeViolations(p);
    t.deepEqual(violations, [], `${name}: ${JSON.stringify(violations, null, 1)}`);
    checked.push(name);
  };

  await page.goto(`${gw.url}/`);
  await axe('landing');
  await page.goto(`${gw.url}/sandbox/rp`);
  await axe('demo app');
  await page.click('#sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  t.is(await page.getAttribute('html', 'lang'), 'sv');
  await axe('login page');

  await page.getByRole('button', { name: /Öppna BankID på den här enheten/ }).click();
  await page.waitForSelector('#launch');
  await axe('BankID wait page');

  // "Open BankID": in the sandbox the autostart link opens the simulated BankID app.
  const [app] = await Promise.all([context.waitForEvent('page'), page.click('#launch')]);
  await app.waitForLoadState();
  await axe('simulated BankID app', app);
  t.truthy(await app.inputValue('input[name=autoStartToken]'), 'the autostart token reached the app');
  await app.selectOption('select[name=personalNumber]', '198003121236');
  await app.check('input[name=outcome][value=complete]');
  await app.click('button[type=submit]');
  await app.waitForLoadState();

  // The gateway page notices the completed order and moves on to consent.
  await page.waitForURL(/\/interaction\/[^/]+$/, { timeout: 15_000 });
  await page.waitForSelector('#approve', { timeout: 15_000 });
  await axe('consent page');
  await page.click('#approve');

  await page.waitForURL(/\/sandbox\/rp\/callback/);
  const claims = await page.textContent('#id-token-claims');
  t.true(claims?.includes(SE.personalIdentityNumber), 'ID token claims shown');
  t.true(claims?.includes('198003121236'));
  const userinfo = await page.textContent('#userinfo');
  t.true(userinfo?.includes('Andersson'));
  t.regex((await page.textContent('main')) ?? '', /token_type=DPoP/i);
  await axe('signed-in page');
  t.true(checked.length >= 7);
  await context.close();
});

test.serial('Chromium: the QR code animates (a new code every second) and cancelling returns to the method choice', async (t) => {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${gw.url}/sandbox/rp?lang=en`);
  await page.click('#sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  await page.getByRole('button', { name: /BankID on another device/ }).click();
  await page.waitForSelector('#qr svg');
  const first = await page.textContent('#qr-text');
  await page.waitForFunction((prev) => document.getElementById('qr-text')?.textContent !== prev, first, { timeout: 5000 });
  const second = await page.textContent('#qr-text');
  t.regex(first ?? '', /^bankid\.[0-9a-f-]+\.\d+\.[0-9a-f]{64}$/);
  t.not(first, second, 'the QR content changes');
  t.is(first?.split('.')[1], second?.split('.')[1], 'same order, new time and HMAC');
  const orderCountBefore = gw.sandboxBankId!.pendingOrders();
  await page.click('#cancel');
  await page.waitForSelector('text=BankID on another device');
  t.is(gw.sandboxBankId!.pendingOrders(), orderCountBefore - 1, 'the order was cancelled at BankID');
  await context.close();
});
