// Real Chromium on /account (issue 12, "Done when"): a citizen signs in with BankID (the simulated
// app), sees the app that reaches her data, revokes it with one button, and the app's next data
// request is denied on the instance she used and on a second instance sharing Redis and PostgreSQL.
// The delay from the revocation's answer to the first deny is measured and logged (the bound
// is 1 s; the revocation is synchronous, so the first request after it is already denied). axe finds
// no serious violations on /account in Swedish and English, nor on the privacy page in Arabic and
// Farsi (right to left) and Somali.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { startTestGateway, type TestClient } from '../helpers/gateway.ts';
import { launchChromium, seriousAxeViolations } from '../helpers/browser.ts';
import { browserThroughBankId, discoverRp, pushAuthorization } from '../helpers/signIn.ts';
import { TestRegistry, clientFor, decide, memoryDb, productFor, REDIRECT, type Answer, type Holder } from '../scopes/pdpFixture.ts';

const ANNA = '198003121236';

let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let a: Gateway;
let b: Gateway;
let browser: Browser;
let client: TestClient;
const registry = new TestRegistry(snapshot());

test.before(async () => {
  redis = await redisForTests();
  db = await memoryDb();
  client = await clientFor('browser-app', ['authorization_code']);
  registry.current = snapshot({
    controllers: [controller('region-a', ['bookings', 'vaccinations'], { name: 'Region A' })],
    products: [productFor(client, 'p-browser-app', { name: 'Vårdappen' })],
    approvals: [approval('a-browser', 'region-a', 'p-browser-app')],
  });
  const overrides = { store: { redisUrl: redis.url, keyPrefix: `acctb${randomUUID().slice(0, 8)}:` }, bankid: { collectIntervalMs: 500 } };
  a = await startTestGateway({ registry, db, overrides });
  b = await startTestGateway({ registry, db, overrides });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await a?.close();
  await b?.close();
  await db?.close();
  await redis?.stop();
});

async function appToken(): Promise<Holder> {
  const rp = await discoverRp(a, client);
  const auth = await pushAuthorization(rp);
  const callback = await browserThroughBankId(a, auth.url, ANNA, REDIRECT);
  const t = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  return { token: t.access_token, keys: rp.dpopKeys };
}

/** axe at 1280 and at 375 px, and at 375 px nothing wider than the screen; the page is left at 1280 px. */
async function pageProblems(page: Page): Promise<unknown[]> {
  const problems: unknown[] = [];
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    problems.push(...(await seriousAxeViolations(page)).map((v) => ({ width, v })));
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    if (scroll > inner) problems.push({ width, overflow: `scrollWidth ${scroll} > ${inner}` });
  }
  return problems;
}

const bookings = { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' };

/** Asks until the answer is a deny or the deadline passes (a generous one: the machine is shared). */
async function firstDeny(gw: Gateway, holder: Holder, deadlineMs: number): Promise<{ answer: Answer; attempts: number }> {
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const answer = await decide(gw, holder, bookings);
    if (answer.body.decision === 'deny' || Date.now() > deadlineMs) return { answer, attempts };
    await new Promise((r) => setTimeout(r, 25));
  }
}

test.serial('Chromium: sign in to /account, revoke the app with one button; its next data request is denied on both instances; axe is clean in sv, en, ar, fa, so at 1280 and 375 px', async (t) => {
  const holder = await appToken();
  t.like((await decide(a, holder, bookings)).body, { decision: 'permit' });
  t.like((await decide(b, holder, bookings)).body, { decision: 'permit' });

  const context = await browser.newContext({ locale: 'sv-SE' });
  const page = await context.newPage();
  await page.goto(`${a.url}/account`);
  t.deepEqual(await pageProblems(page), [], 'the sign-in page of /account');
  await page.click('#account-sign-in');
  await page.waitForURL(/\/interaction\/[^/]+$/);
  await page.getByRole('button', { name: /Öppna BankID på den här enheten/ }).click();
  await page.waitForSelector('#launch');
  const [app] = await Promise.all([context.waitForEvent('page'), page.click('#launch')]);
  await app.waitForLoadState();
  await app.selectOption('select[name=personalNumber]', ANNA);
  await app.check('input[name=outcome][value=complete]');
  await app.click('button[type=submit]');
  await app.close();
  await page.waitForSelector('#approve', { timeout: 20_000 });
  t.deepEqual(await seriousAxeViolations(page), [], 'the consent page');
  await page.click('#approve');
  await page.waitForURL(`${a.url}/account`);

  t.regex(await page.textContent('#signed-in-as') ?? '', /Anna Andersson/);
  t.regex(await page.textContent('#app-p-browser-app') ?? '', /Vårdappen[\s\S]*läsa bokningar, ansvarig: Region A/);
  t.deepEqual(await pageProblems(page), [], '/account in Swedish');
  await page.goto(`${a.url}/account?lang=en`);
  t.is(await page.getAttribute('html', 'lang'), 'en');
  t.regex(await page.textContent('h1') ?? '', /My apps and my information/);
  t.deepEqual(await pageProblems(page), [], '/account in English');
  for (const lang of ['ar', 'fa', 'so'] as const) {
    await page.goto(`${a.url}/account/privacy?lang=${lang}`);
    t.is(await page.getAttribute('html', 'lang'), lang);
    t.is(await page.getAttribute('html', 'dir'), lang === 'so' ? 'ltr' : 'rtl');
    t.deepEqual(await pageProblems(page), [], `the privacy information in ${lang}`);
  }
  await page.goto(`${a.url}/account?lang=sv`);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/account/apps/p-browser-app/revoke')),
    page.click('button.revoke-app[data-product="p-browser-app"]'),
  ]);
  const revokedAt = Date.now();
  t.is(answer.status(), 303);
  const [onB, onA] = await Promise.all([firstDeny(b, holder, revokedAt + 10_000), firstDeny(a, holder, revokedAt + 10_000)]);
  const delayMs = Date.now() - revokedAt;
  t.log(`revoked on instance a; first denies ${delayMs} ms after the answer (attempts: b ${onB.attempts}, a ${onA.attempts}); reasons ${String(onB.answer.body.reasons)} / ${String(onA.answer.body.reasons)}`);
  t.like(onB.answer.body, { decision: 'deny' });
  t.like(onA.answer.body, { decision: 'deny' });
  t.is(onB.attempts, 1, 'the first request after the answer is already denied on the second instance');
  t.true(delayMs <= 1000, `within the issue's bound of 1 s (measured ${delayMs} ms)`);

  await page.waitForSelector('#flash');
  t.regex(await page.textContent('#flash') ?? '', /Åtkomsten för Vårdappen är återkallad/);
  t.is(await page.$('#app-p-browser-app'), null);
  t.regex(await page.textContent('#consent-table') ?? '', /Återkallat/);
  t.deepEqual(await pageProblems(page), [], '/account after the revocation');

  // Sign-out ends the page's session and the gateway's.
  await page.click('#account-sign-out');
  await page.waitForURL(/\/account\/signed-out$|\/session\/end/);
  await context.close();
});
