// Portal -> app in real Chromium (issue 11 item 2, Done-when): with a session at the national portal
// the demo app's sign-in completes with no page for the citizen (only redirects and the IdP's
// self-submitting answer); without one it shows the method choice. The portal session is made at the
// simulated portal IdP itself, in the browser's own cookie jar.
import test from 'ava';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Gateway } from '../../../src/gateway.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { launchChromium } from '../../helpers/browser.ts';

let gw: Gateway;
let browser: Browser;

test.before(async () => {
  gw = await startTestGateway({ overrides: { sessions: { rememberConsent: true } } });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await gw?.close();
});

/** Signs this browser in at the portal itself (as the citizen would at 1177 before opening the app). */
async function portalSession(context: BrowserContext): Promise<void> {
  const res = await context.request.post(`${gw.url}/sandbox/saml/idp/portal/session`, { data: { persona: 'anna', level: 'loa3' } });
  if (res.status() !== 200) throw new Error(`portal session: ${res.status()}`);
}

/** Every page the browser showed (committed navigations of the main frame). */
function shown(page: Page): string[] {
  const urls: string[] = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) urls.push(frame.url());
  });
  return urls;
}

test.serial('with a portal session the demo app\'s sign-in completes with no page; without one it shows the method choice', async (t) => {
  // First visit: consent once (the app has never been approved by this citizen).
  const first = await browser.newContext({ locale: 'sv-SE' });
  await portalSession(first);
  const p1 = await first.newPage();
  await p1.goto(`${gw.url}/sandbox/rp`);
  await p1.click('#sign-in');
  await p1.waitForSelector('#approve', { timeout: 15_000 });
  t.regex(await p1.textContent('#signed-in-as') ?? '', /Inloggad som Anna Andersson med den nationella portalens inloggning/);
  await p1.click('#approve');
  await p1.waitForURL(/\/sandbox\/rp\/callback/, { timeout: 15_000 });
  await first.close();

  // Another browser, signed in at the portal: from "Logga in" to the app's signed-in page, nothing to see or press.
  const second = await browser.newContext({ locale: 'sv-SE' });
  await portalSession(second);
  const page = await second.newPage();
  await page.goto(`${gw.url}/sandbox/rp`);
  const pages = shown(page);
  await page.click('#sign-in');
  await page.waitForURL(/\/sandbox\/rp\/callback/, { timeout: 15_000 });
  const claims = await page.textContent('#id-token-claims') ?? '';
  t.true(claims.includes('198003121236'), 'signed in as the portal\'s citizen');
  t.true(claims.includes('https://portal.example.se/idp'), 'through the portal');
  t.false(pages.some((u) => /\/interaction\//.test(u)), `no login or consent page was shown: ${pages.join(' ')}`);
  t.true(pages.some((u) => u.includes('/sandbox/saml/idp/portal/sso')), 'only the IdP\'s self-submitting answer');
  await second.close();

  // A browser without a portal session: the method choice.
  const third = await browser.newContext({ locale: 'sv-SE' });
  const p3 = await third.newPage();
  await p3.goto(`${gw.url}/sandbox/rp`);
  await p3.click('#sign-in');
  await p3.waitForSelector('#method-bankid', { timeout: 15_000 });
  t.regex(p3.url(), /\/interaction\/[^/]+$/);
  t.is(await p3.locator('.message.error').count(), 0, 'no error for the NoPassive');
  t.truthy(await p3.locator('#method-portal-saml').count());
  await third.close();
});
