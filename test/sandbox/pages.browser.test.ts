// Real Chromium through every citizen-facing page (issue 15): each one is checked with axe-core for
// serious or critical violations at 1280 px and at 375 px, and at 375 px nothing may be wider than the
// screen (document.scrollWidth ≤ the viewport). On the way, the language chosen at the demo app
// (English, in a Swedish browser) must hold from the method choice through the BankID page, consent,
// the app's result page, the browser's Back, the error pages and the sign-out, and back to the app.
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { launchChromium, seriousAxeViolations } from '../helpers/browser.ts';

let gw: Gateway;
let browser: Browser;

test.before(async () => {
  gw = await startTestGateway({ overrides: { bankid: { collectIntervalMs: 300 } } });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await gw?.close();
});

const WIDTHS = [1280, 375] as const;

/** axe at both widths, and no horizontal overflow on the phone. Leaves the page at 1280 px. */
async function checkPage(t: import('ava').ExecutionContext, page: Page, name: string, checked: string[]): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    const violations = await seriousAxeViolations(page);
    t.deepEqual(violations, [], `${name} at ${width} px: ${JSON.stringify(violations, null, 1)}`);
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    t.true(scroll <= inner, `${name} at ${width} px overflows: scrollWidth ${scroll} > ${inner}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  checked.push(name);
}

const langOf = (page: Page) => page.getAttribute('html', 'lang');

test.serial('English chosen at the demo app holds to the end of a sign-in and a sign-out, and every page on the way passes axe at 1280 and 375 px', async (t) => {
  const context = await browser.newContext({ locale: 'sv-SE' });
  const page = await context.newPage();
  const checked: string[] = [];

  await page.goto(`${gw.url}/`);
  await checkPage(t, page, 'sandbox landing', checked);

  await page.goto(`${gw.url}/sandbox/rp?lang=en`);
  t.is(await langOf(page), 'en');
  await checkPage(t, page, 'demo app', checked);
  await page.click('#sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  t.is(await langOf(page), 'en', 'method choice in the app\'s language');
  t.is(await page.locator('#audience-citizen').count(), 1, 'the demo app serves citizens and staff: grouped');
  await checkPage(t, page, 'method choice', checked);

  // QR mode first: the wait page with the scanning instructions.
  await page.getByRole('button', { name: /BankID on another device/ }).click();
  await page.waitForSelector('#qr svg');
  t.is(await langOf(page), 'en');
  t.regex(await page.textContent('#scan-steps') ?? '', /QR symbol/);
  await checkPage(t, page, 'BankID QR page', checked);
  // Then the same device instead (a new order).
  await page.click('#switch-mode button');
  await page.waitForSelector('#launch');
  t.is(await langOf(page), 'en');
  await checkPage(t, page, 'BankID same-device page', checked);

  const [app] = await Promise.all([context.waitForEvent('page'), page.click('#launch')]);
  await app.waitForLoadState();
  await app.selectOption('select[name=personalNumber]', '198003121236');
  await app.check('input[name=outcome][value=complete]');
  await app.click('button[type=submit]');
  await app.waitForLoadState();
  await app.close();

  await page.waitForSelector('#approve', { timeout: 15_000 });
  t.is(await langOf(page), 'en', 'consent in the app\'s language');
  await checkPage(t, page, 'consent', checked);
  await page.click('#approve');
  await page.waitForURL(/\/sandbox\/rp\/callback/);
  t.is(await langOf(page), 'en', 'the app\'s result page in the language chosen there');
  await checkPage(t, page, 'demo app result', checked);

  // Back: the finished sign-in's page says so, in English, with a way back to the app.
  await page.goBack();
  await page.waitForSelector('#error');
  t.is(await langOf(page), 'en');
  t.is(await page.textContent('#error-code'), 'interaction_expired');
  const backHref = await page.getAttribute('#back', 'href');
  t.regex(backHref ?? '', /\/sandbox\/rp$/, 'back to the demo app');
  t.notRegex(await page.textContent('main') ?? '', /session not found|SessionNotFound|invalid_request\b/);
  await checkPage(t, page, 'finished sign-in (Back)', checked);

  // An unknown page, still in English.
  await page.goto(`${gw.url}/no-such-page`);
  t.is(await langOf(page), 'en');
  t.is(await page.textContent('#error-code'), 'not_found');
  await checkPage(t, page, '404', checked);

  for (const path of ['/accessibility', '/help']) {
    await page.goto(`${gw.url}${path}`);
    t.is(await langOf(page), 'en', path);
    await checkPage(t, page, path, checked);
  }

  // Sign-out: cancel keeps the session; then signing out ends on the signed-out page, in English.
  await page.goto(`${gw.url}/session/end`);
  t.is(await langOf(page), 'en', 'logout prompt');
  await checkPage(t, page, 'logout prompt', checked);
  t.is(await page.locator('#logout-cancel, #logout-cancel-hint').count(), 1, 'cancel is offered');
  await page.click('#logout-all');
  await page.waitForURL(/\/sso\/signed-out\//);
  t.is(await langOf(page), 'en', 'signed-out page');
  await checkPage(t, page, 'signed-out page', checked);

  t.is(checked.length, 13, checked.join(', '));
  await context.close();
});

test.serial('at a demo app: the sign-out prompt\'s Cancel goes back to the app still signed in; confirming signs out and returns to the app, in the app\'s language', async (t) => {
  const context = await browser.newContext({ locale: 'sv-SE', viewport: { width: 375, height: 800 }, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1' });
  const page = await context.newPage();
  const region = `${gw.url}/sandbox/apps/region/`;
  await page.goto(`${region}?lang=en`);
  await page.click('#sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  t.is(await langOf(page), 'en');
  // On a phone the same-device start comes first.
  const first = page.locator('#method-bankid button').first();
  t.regex(await first.textContent() ?? '', /Open BankID on this device/);
  await first.click();
  await page.waitForSelector('#launch');
  const [app] = await Promise.all([context.waitForEvent('page'), page.click('#launch')]);
  await app.waitForLoadState();
  await app.selectOption('select[name=personalNumber]', '198003121236');
  await app.check('input[name=outcome][value=complete]');
  await app.click('button[type=submit]');
  await app.waitForLoadState();
  await app.close();
  await page.waitForSelector('#approve', { timeout: 15_000 });
  await page.click('#approve');
  await page.waitForURL(region, { timeout: 15_000 });
  t.is(await page.locator('#sign-out').count(), 1, 'signed in at the app');

  await page.click('#sign-out');
  await page.waitForSelector('#logout-all');
  t.is(await langOf(page), 'en', 'the prompt in the app\'s language');
  await page.click('#logout-cancel');
  await page.waitForURL(region);
  t.is(await page.locator('#sign-out').count(), 1, 'cancelling did not sign out');

  await page.click('#sign-out');
  await page.click('#logout-all');
  await page.waitForURL(region, { timeout: 15_000 });
  t.is(await page.locator('#sign-in').count(), 1, 'signed out, back at the app');
  t.is(await langOf(page), 'en');
  await context.close();
});

test.serial('the Freja eID QR page, and a BankID order cancelled in the app: one way on, no dead "open BankID", axe at 1280 and 375 px', async (t) => {
  const context = await browser.newContext({ locale: 'sv-SE' });
  const page = await context.newPage();
  const checked: string[] = [];
  await page.goto(`${gw.url}/sandbox/rp`);
  await page.click('#sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  t.is(await langOf(page), 'sv');
  await page.getByRole('button', { name: /Freja eID på annan enhet/ }).click();
  await page.waitForSelector('#qr svg');
  t.regex(await page.textContent('#scan-steps') ?? '', /Skanna QR-kod/);
  await checkPage(t, page, 'Freja QR page', checked);
  await page.click('#cancel');
  await page.waitForSelector('#method-bankid');

  await page.getByRole('button', { name: /Öppna BankID på den här enheten/ }).click();
  await page.waitForSelector('#launch');
  const [app] = await Promise.all([context.waitForEvent('page'), page.click('#launch')]);
  await app.waitForLoadState();
  await app.selectOption('select[name=personalNumber]', '198003121236');
  await app.check('input[name=outcome][value=userCancel]');
  await app.click('button[type=submit]');
  await app.waitForLoadState();
  await app.close();
  // The page learns of the failure by its poll: the retry appears, the dead order's button goes.
  await page.waitForSelector('#retry:not([hidden])', { timeout: 15_000 });
  t.is(await page.locator('#launch').count(), 0, 'no button that opens the dead order');
  t.is(await page.locator('#qr').count(), 0);
  t.regex(await page.textContent('#status') ?? '', /Åtgärden avbröts/);
  await checkPage(t, page, 'BankID failed', checked);
  // Start again: a new order, the wait page again.
  await page.click('#retry button');
  await page.waitForSelector('#launch');
  t.is(await langOf(page), 'sv');
  t.is(checked.length, 2);
  await context.close();
});
