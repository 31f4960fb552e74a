// Real Chromium through the sandbox's shared sign-in demo: a citizen signs in once at the region app
// with BankID (the simulated app), jumps to the portal and on to the municipal app, and no sign-in
// or consent page is shown on the way; the ID tokens the three apps got name the same e-ID, level and
// auth_time, and the pairwise subs differ per product. The demo pages pass axe.
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import type { Gateway } from '../../src/gateway.ts';
import { SE } from '../../src/idp/claims.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { launchChromium, seriousAxeViolations } from '../helpers/browser.ts';

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

const CLAIMS = ['sub', 'acr', 'auth_time', SE.authnProvider, SE.personalIdentityNumber] as const;

async function claimsOn(page: Page): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const claim of CLAIMS) out[claim] = (await page.textContent(`dd[data-claim="${claim}"]`)) ?? '';
  return out;
}

test.serial('Chromium: one BankID sign-in at the region app, then the portal and the municipal app with no prompt; same e-ID, level, auth_time; other subs', async (t) => {
  const context = await browser.newContext({ locale: 'sv-SE' });
  const page = await context.newPage();
  // Every page the browser rendered (not merely passed through): the sign-in and consent pages are among them only once.
  const rendered: string[] = [];
  page.on('load', () => rendered.push(page.url()));

  await page.goto(`${gw.url}/sandbox/apps/region/`);
  t.deepEqual(await seriousAxeViolations(page), []);
  await page.click('#sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  await page.getByRole('button', { name: /Öppna BankID på den här enheten/ }).click();
  await page.waitForSelector('#launch');
  const [app] = await Promise.all([context.waitForEvent('page'), page.click('#launch')]);
  await app.waitForLoadState();
  await app.selectOption('select[name=personalNumber]', '198003121236');
  await app.check('input[name=outcome][value=complete]');
  await app.click('button[type=submit]');
  await app.close();
  await page.waitForSelector('#approve', { timeout: 15_000 });
  await page.click('#approve');
  await page.waitForURL(`${gw.url}/sandbox/apps/region/`);
  const region = await claimsOn(page);
  t.deepEqual(await seriousAxeViolations(page), []);
  const interactionPagesAfterSignIn = rendered.filter((u) => u.includes('/interaction/')).length;

  await page.click('#go-portal');
  await page.waitForURL(`${gw.url}/sandbox/apps/portal/`);
  const portal = await claimsOn(page);
  await page.click('#go-municipal');
  await page.waitForURL(`${gw.url}/sandbox/apps/municipal/`);
  const municipal = await claimsOn(page);
  t.deepEqual(await seriousAxeViolations(page), []);

  t.is(rendered.filter((u) => u.includes('/interaction/')).length, interactionPagesAfterSignIn, `no sign-in or consent page after the first: ${rendered.join(' ')}`);
  for (const other of [portal, municipal]) {
    t.is(other.acr, region.acr);
    t.is(other.auth_time, region.auth_time);
    t.is(other[SE.authnProvider], 'https://www.bankid.com');
    t.is(other[SE.personalIdentityNumber], '198003121236');
  }
  t.is(region.acr, 'http://id.elegnamnden.se/loa/1.0/loa3');
  t.is(new Set([region.sub, portal.sub, municipal.sub]).size, 3, 'pairwise subs differ per product');

  // And back to the portal from the municipal app: still no prompt.
  await page.click('#go-portal');
  await page.waitForURL(`${gw.url}/sandbox/apps/portal/`);
  t.is((await claimsOn(page)).sub, portal.sub);
  await context.close();
});
