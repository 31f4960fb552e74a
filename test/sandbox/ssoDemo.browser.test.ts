// Real Chromium on the sandbox's own demo portal, region app and municipal app (issue 11, Done-when):
// - single logout: a citizen signs in once at the demo portal through the simulated portal IdP, moves to
//   the region app and the municipal app, and signs out at the municipal app; the region app and the
//   portal each record a verified back-channel logout token for the shared session's sid, the portal
//   IdP receives a LogoutRequest, and the region app's next sign-in shows the method choice again;
// - portal -> app: with a portal IdP session the region app's sign-in completes with no page; without
//   one it shows the method choice.
import test from 'ava';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { launchChromium } from '../helpers/browser.ts';
import { SE } from '../../src/idp/claims.ts';
import { DEMO_APPS, type DemoAppId } from '../../src/sandbox/demoApps.ts';

let gw: Gateway;
let browser: Browser;

test.before(async () => {
  gw = await startTestGateway({ overrides: { sessions: { rememberConsent: true, backchannel: { retryBaseMs: 50, attempts: 3, timeoutMs: 5000 } } } });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await gw?.close();
});

const app = (id: DemoAppId) => `${gw.url}/sandbox/apps/${id}/`;
const clientOf = (id: DemoAppId) => DEMO_APPS.find((a) => a.id === id)?.clientId ?? '';

/** Every page the browser showed (committed navigations of the main frame). */
function shown(page: Page): string[] {
  const urls: string[] = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) urls.push(frame.url());
  });
  return urls;
}

async function portalIdpLogouts(): Promise<number> {
  const res = await fetch(`${gw.url}/sandbox/saml/idp/portal/logouts`);
  return ((await res.json()) as { logoutRequests: unknown[] }).logoutRequests.length;
}

/** The sids for which this demo app shows a verified back-channel logout (it lists only verified ones). */
async function recordedLogouts(page: Page, id: DemoAppId): Promise<string[]> {
  await page.goto(app(id));
  return page.locator('#backchannel-logouts li').evaluateAll((items) => items.map((li) => li.getAttribute('data-sid') ?? ''));
}

async function waitForLogout(t: { log: (...a: unknown[]) => void }, page: Page, id: DemoAppId, sid: string): Promise<string[]> {
  // Back-channel delivery runs after the front channel; poll the app's page (bounded, not timed).
  for (let i = 0; i < 50; i++) {
    const sids = await recordedLogouts(page, id);
    // The gateway records the outcome once the app has answered, so wait for both.
    if (sids.includes(sid) && (await gw.backchannel.outcomes(clientOf(id))).at(-1)?.outcome === 'delivered') return sids;
    await new Promise((r) => setTimeout(r, 200));
  }
  t.log(id, await gw.backchannel.outcomes(clientOf(id)));
  return recordedLogouts(page, id);
}

async function portalSession(context: BrowserContext): Promise<void> {
  const res = await context.request.post(`${gw.url}/sandbox/saml/idp/portal/session`, { data: { persona: 'anna', level: 'loa3' } });
  if (res.status() !== 200) throw new Error(`portal session: ${res.status()}`);
}

test.serial('Chromium: signed in at the demo portal through the portal IdP, on to the region and municipal apps, sign-out at the municipal app ends the others\' sessions and the portal IdP\'s', async (t) => {
  const context = await browser.newContext({ locale: 'sv-SE' });
  const page = await context.newPage();
  const pages = shown(page);
  const idpLogoutsBefore = await portalIdpLogouts();

  await page.goto(app('portal'));
  await page.click('#sign-in');
  await page.waitForSelector('#method-portal-saml', { timeout: 15_000 });
  await page.click('#method-portal-saml button');
  await page.waitForSelector('#persona-anna', { timeout: 15_000 }).catch(async (err: unknown) => { t.log(pages, await page.content()); throw err; });
  await page.check('#persona-anna');
  await page.click('button[name=outcome][value=success]');
  await page.waitForSelector('#approve', { timeout: 15_000 });
  await page.click('#approve');
  await page.waitForURL(app('portal'), { timeout: 15_000 });
  const portalSid = await page.textContent('dd[data-claim="sid"]');
  t.truthy(portalSid);
  t.is(await page.textContent(`dd[data-claim="${SE.authnProvider}"]`), 'https://portal.example.se/idp');
  const signInPages = pages.filter((u) => u.includes('/interaction/')).length;

  await page.click('#go-region');
  await page.waitForURL(app('region'), { timeout: 15_000 });
  const regionSid = await page.textContent('dd[data-claim="sid"]');
  await page.click('#go-municipal');
  await page.waitForURL(app('municipal'), { timeout: 15_000 });
  const municipalSid = await page.textContent('dd[data-claim="sid"]');
  t.is(pages.filter((u) => u.includes('/interaction/')).length, signInPages, `one session, no new sign-in: ${pages.join(' ')}`);
  t.truthy(regionSid);
  t.truthy(municipalSid);

  await page.click('#sign-out');
  // The gateway asks first, naming every service that shares the login.
  await page.getByRole('button', { name: 'Logga ut från alla' }).click();
  // Then SAML Single Logout at the portal IdP and back to the app (its post_logout_redirect_uri).
  await page.waitForURL(app('municipal'), { timeout: 15_000 });
  t.true(pages.some((u) => u.includes('/sandbox/saml/idp/portal/slo?SAMLRequest=')), 'the browser passed the portal IdP\'s SLO endpoint');
  t.is(await page.locator('#sign-in').count(), 1, 'signed out at the municipal app');

  const sid = regionSid ?? '';
  const probe = await context.newPage();
  const atRegion = await waitForLogout(t, probe, 'region', sid);
  t.true(atRegion.includes(sid), `the region app recorded a verified logout token for sid ${sid}: ${JSON.stringify(atRegion)}`);
  const atPortal = await waitForLogout(t, probe, 'portal', portalSid ?? '');
  t.true(atPortal.includes(portalSid ?? ''), `the portal recorded a verified logout token: ${JSON.stringify(atPortal)}`);
  for (const id of ['region', 'portal'] as const) {
    t.like((await gw.backchannel.outcomes(clientOf(id))).at(-1), { outcome: 'delivered', lastStatus: 200 }, `the gateway recorded the delivery to the ${id} app`);
  }
  t.is(await portalIdpLogouts(), idpLogoutsBefore + 1, 'the portal IdP received a LogoutRequest');

  // The region app's own session is gone and the next sign-in is not silent: the method choice.
  await probe.goto(app('region'));
  t.is(await probe.locator('#id-token-claims').count(), 0, 'the region app no longer has a session');
  await probe.click('#sign-in');
  await probe.waitForSelector('#method-bankid', { timeout: 15_000 });
  t.regex(probe.url(), /\/interaction\/[^/]+$/);
  await context.close();
});

test.serial('Chromium: with a portal IdP session the region app\'s sign-in completes with no page; without one it shows the method choice', async (t) => {
  // First visit: consent once (this citizen has not approved the region app before).
  const first = await browser.newContext({ locale: 'sv-SE' });
  await portalSession(first);
  const p1 = await first.newPage();
  await p1.goto(app('region'));
  await p1.click('#sign-in');
  await p1.waitForSelector('#approve', { timeout: 15_000 });
  await p1.click('#approve');
  await p1.waitForURL(app('region'), { timeout: 15_000 });
  await first.close();

  const second = await browser.newContext({ locale: 'sv-SE' });
  await portalSession(second);
  const page = await second.newPage();
  await page.goto(app('region'));
  const pages = shown(page);
  await page.click('#sign-in');
  await page.waitForURL(app('region'), { timeout: 15_000 });
  t.is(await page.textContent(`dd[data-claim="${SE.personalIdentityNumber}"]`), '198003121236');
  t.false(pages.some((u) => /\/interaction\//.test(u)), `no login or consent page was shown: ${pages.join(' ')}`);
  t.true(pages.some((u) => u.includes('/sandbox/saml/idp/portal/sso')), 'only the IdP\'s self-submitting answer');
  await second.close();

  const third = await browser.newContext({ locale: 'sv-SE' });
  const p3 = await third.newPage();
  await p3.goto(app('region'));
  await p3.click('#sign-in');
  await p3.waitForSelector('#method-bankid', { timeout: 15_000 });
  t.regex(p3.url(), /\/interaction\/[^/]+$/);
  t.is(await p3.locator('.message.error').count(), 0, 'no error for the NoPassive');
  t.truthy(await p3.locator('#method-portal-saml').count());
  await third.close();
});
