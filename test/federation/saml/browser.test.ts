// Real Chromium: a staff member signs in to the sandbox demo app through the simulated SITHS IdP —
// the login page, the IdP's persona page, the auto-posted response, consent, the app with the claims.
// axe-core checks the login page and the IdP page for serious or critical violations.
import test from 'ava';
import type { Browser } from 'playwright-core';
import type { Gateway } from '../../../src/gateway.ts';
import { SE } from '../../../src/idp/claims.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { launchChromium, seriousAxeViolations } from '../../helpers/browser.ts';

let gw: Gateway;
let browser: Browser;

test.before(async () => {
  gw = await startTestGateway();
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await gw?.close();
});

test('Chromium: a staff member signs in to the demo app through the SITHS SAML IdP, and the pages pass axe', async (t) => {
  const context = await browser.newContext({ locale: 'sv-SE' });
  const page = await context.newPage();
  try {
    await page.goto(`${gw.url}/sandbox/rp`);
    await page.click('#sign-in');
    await page.waitForURL(/\/interaction\/[^/]+$/);
    t.deepEqual(await seriousAxeViolations(page), [], 'login page');
    await page.getByRole('button', { name: 'Logga in via Ineras inloggningstjänst' }).click();

    await page.waitForURL(/\/sandbox\/saml\/idp\/siths\/sso\?/);
    t.deepEqual(await seriousAxeViolations(page), [], 'SITHS IdP page');
    await page.check('#persona-sara');
    await page.getByRole('button', { name: 'Logga in', exact: true }).click();

    // The IdP page posts the signed response to the ACS, which sends the browser on to consent.
    await page.waitForSelector('#approve', { timeout: 15_000 });
    await page.click('#approve');
    await page.waitForURL(/\/sandbox\/rp\/callback/);
    const claims = (await page.textContent('#id-token-claims')) ?? '';
    t.true(claims.includes(SE.orgAffiliation));
    t.true(claims.includes('SE2321000016-A1B2@2321000016'));
    t.true(claims.includes('https://idp.inera.se/siths'));
    t.true(claims.includes('http://id.elegnamnden.se/loa/1.0/loa3'));
  } finally {
    await context.close();
  }
});

test('Chromium: the English IdP page passes axe and cancelling returns to the login page with a message', async (t) => {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  try {
    await page.goto(`${gw.url}/sandbox/rp?lang=en`);
    await page.click('#sign-in');
    await page.waitForURL(/\/interaction\/[^/]+$/);
    await page.getByRole('button', { name: 'Sign in through Inera\'s sign-in service' }).click();
    await page.waitForURL(/\/sandbox\/saml\/idp\/siths\/sso\?/);
    t.deepEqual(await seriousAxeViolations(page), [], 'SITHS IdP page (en)');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL(/\/interaction\/[^/]+\/siths-saml\/resume/);
    t.regex((await page.textContent('[role=alert]')) ?? '', /cancelled or failed/);
    t.deepEqual(await seriousAxeViolations(page), [], 'login page with the refusal');
  } finally {
    await context.close();
  }
});
