// In real Chromium, a controller administrator (sara, SITHS through the SAML IdP simulator) signs in
// to the admin console, approves a product for Region Sandbox, sees it on the product page, revokes
// it, and reads its audit trail. axe-core checks the list, product, confirmation and audit pages.
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { launchChromium, seriousAxeViolations } from '../helpers/browser.ts';

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

/** From /admin/ through the login page, the SITHS IdP simulator and consent, back to the console. */
async function signIn(page: Page, persona: string): Promise<void> {
  await page.goto(`${gw.url}/admin/`);
  await page.waitForURL(/\/interaction\/[^/]+$/);
  await page.click('#method-siths-saml button[type=submit]');
  await page.waitForSelector(`#persona-${persona}`);
  await page.check(`#persona-${persona}`);
  await page.click('button[name=outcome][value=success]');
  // The simulator posts the response back to the gateway; then consent for the console's scopes.
  await page.waitForURL((u) => /\/interaction\/[^/]+$/.test(u.pathname) || u.pathname === '/admin/', { timeout: 15_000 });
  if (page.url().includes('/interaction/')) {
    await page.waitForSelector('#approve');
    await page.click('#approve');
  }
  await page.waitForURL(`${gw.url}/admin/`);
}

test.serial('Chromium: sara approves Bokningsappen for Region Sandbox, sees it, revokes it, and the pages pass axe', async (t) => {
  const context = await browser.newContext({ locale: 'sv-SE' });
  const page = await context.newPage();
  const checked: string[] = [];
  const axe = async (name: string) => {
    const violations = await seriousAxeViolations(page);
    t.deepEqual(violations, [], `${name}: ${JSON.stringify(violations, null, 1)}`);
    checked.push(name);
  };
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await signIn(page, 'sara');
  t.is(await page.getAttribute('html', 'lang'), 'sv');
  t.regex(await page.textContent('#signed-in-as') ?? '', /SE2321000016-A1B2/);
  t.regex(await page.textContent('#product-bokningsappen') ?? '', /Certifiering har gått ut/);
  await axe('product list');

  await page.click('#product-bokningsappen a');
  await page.waitForURL(/\/admin\/products\/bokningsappen$/);
  await axe('product page');
  await page.click('#approve');
  await page.waitForURL(/\/approve$/);
  await page.selectOption('#controllerId', 'region-sandbox');
  await page.check('#access-bookings-read');
  await page.check('#basis-own');
  await axe('approve form');
  await page.click('#review');
  await page.waitForSelector('#what-changes');
  t.regex(await page.textContent('#what-changes') ?? '', /Region Sandbox börjar dela bokningar \(läsa\) med Bokningsappen/);
  await axe('approve confirmation');
  await page.click('#confirm');
  await page.waitForURL(/\/admin\/products\/bokningsappen\?done=approved$/);
  t.regex(await page.textContent('#notice') ?? '', /Godkännandet är sparat/);
  t.regex(await page.textContent('#live-access') ?? '', /Region Sandbox: bokningar \(läsa\)/);
  const row = page.locator('#approvals tr[data-status=active]', { hasText: 'Region Sandbox' });
  t.is(await row.count(), 1);

  await row.getByRole('link', { name: /Återkalla/ }).click();
  await page.waitForSelector('#what-changes');
  t.regex(await page.textContent('#what-changes') ?? '', /Region Sandbox slutar dela bokningar \(läsa\) med Bokningsappen/);
  await axe('revoke confirmation');
  await page.fill('#reason', 'Granskningen gäller inte längre');
  await page.click('#confirm');
  await page.waitForURL(/\/admin\/products\/bokningsappen\?done=revoked$/);
  t.regex(await page.textContent('#notice') ?? '', /Godkännandet är återkallat/);
  t.notRegex(await page.textContent('#live-access') ?? '', /Region Sandbox/);
  t.is(await page.locator('#approvals tr[data-status=revoked]', { hasText: 'Region Sandbox' }).count(), 1);

  await page.locator('#approvals tr[data-status=revoked]', { hasText: 'Region Sandbox' }).getByRole('link', { name: /Historik/ }).click();
  await page.waitForSelector('#audit');
  const audit = await page.textContent('#audit') ?? '';
  t.regex(audit, /SE2321000016-A1B2/);
  t.true((await page.locator('#audit tbody tr').count()) >= 2, 'the approval and the revocation');
  await axe('audit page');

  // The automatic sharing Region Sandbox's policy gives the certified demo app, stopped for that product.
  await page.goto(`${gw.url}/admin/products/demo-rp`);
  await page.click('#stop-region-sandbox');
  await page.waitForSelector('#what-changes');
  t.regex(await page.textContent('#what-changes') ?? '', /Region Sandbox slutar dela bokningar \(läsa, skriva\)/);
  await axe('stop automatic sharing confirmation');
  await page.click('#confirm');
  await page.waitForURL(/\/admin\/products\/demo-rp\?done=stopped$/);
  t.notRegex(await page.textContent('#live-access') ?? '', /Region Sandbox/);

  // Controllers and their policy, a problem page, in English; then logout through the gateway.
  await page.goto(`${gw.url}/admin/controllers?lang=en`);
  t.is(await page.getAttribute('html', 'lang'), 'en');
  await axe('controllers');
  await page.click('text=Region Sandbox');
  await page.waitForSelector('#policy');
  t.regex(await page.textContent('#policy') ?? '', /Accepts nordic-medtest for the purpose self-care/);
  await axe('controller and policy');
  await page.goto(`${gw.url}/admin/products/no-such-product`);
  t.is(await page.getAttribute('#problem', 'data-code'), 'not_found');
  await axe('problem page');
  await page.click('#logout');
  await page.waitForURL(/\/session\/end/);
  await page.click('button[name=logout][value=yes]');
  await page.waitForURL(`${gw.url}/admin/signed-out`);
  await axe('signed out');
  await page.goto(`${gw.url}/admin/`);
  await page.waitForURL(/\/interaction\/[^/]+$/);
  t.pass('signed out of the console and of the gateway: the console asks for a new sign-in');
  t.deepEqual(errors.filter((e) => /Content Security Policy/i.test(e)), [], 'no CSP violations');
  t.true(checked.length >= 11);
  await context.close();
});
