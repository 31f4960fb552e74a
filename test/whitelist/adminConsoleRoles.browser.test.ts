// In real Chromium, each role's screens of the admin console (issue 15): Olof (operator) registers a
// product with its client and activates it with a reason; Maria (certification body) certifies it;
// Sara (Region Sandbox's administrator) finds it under "Väntar på mitt beslut", approves it, sees it
// in the audit overview and revokes it with a reason. Every page on the way, and every other console
// page, is checked by axe (no serious or critical violation) at 1280 px and 375 px, in Swedish and in
// English, and nothing is wider than the window at 375 px (document.scrollWidth).
import test from 'ava';
import { exportJWK, generateKeyPair } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ExecutionContext } from 'ava';
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

const WIDTHS = [1280, 375] as const;

/** From /admin/ through the login page, the SITHS IdP simulator and consent, back to the console. */
async function signIn(context: BrowserContext, persona: string): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${gw.url}/admin/?lang=sv`);
  await page.waitForURL(/\/interaction\/[^/]+$/);
  await page.click('#method-siths-saml button[type=submit]');
  await page.waitForSelector(`#persona-${persona}`);
  await page.check(`#persona-${persona}`);
  await page.click('button[name=outcome][value=success]');
  await page.waitForURL((u) => /\/interaction\/[^/]+$/.test(u.pathname) || u.pathname === '/admin/', { timeout: 15_000 });
  if (page.url().includes('/interaction/')) {
    await page.waitForSelector('#approve');
    await page.click('#approve');
  }
  await page.waitForURL(/\/admin\/(\?.*)?$/);
  return page;
}

/** axe and the 375 px overflow check on the page as it is (a page rendered by a POST cannot be reloaded). */
async function checkHere(t: ExecutionContext, page: Page, name: string): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    const violations = await seriousAxeViolations(page);
    t.deepEqual(violations, [], `${name} at ${width} px: ${JSON.stringify(violations, null, 1)}`);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    t.true(scroll <= width, `${name} at ${width} px is ${scroll} px wide`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** A GET page in both languages at both widths; the page is left in Swedish. */
async function checkPage(t: ExecutionContext, page: Page, name: string, url = page.url()): Promise<void> {
  const u = new URL(url);
  for (const lang of ['sv', 'en'] as const) {
    u.searchParams.set('lang', lang);
    await page.goto(u.href);
    t.is(await page.getAttribute('html', 'lang'), lang, name);
    await checkHere(t, page, `${name} (${lang})`);
  }
  u.searchParams.set('lang', 'sv');
  await page.goto(u.href);
}

const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? '';

test.serial('Chromium: operator registers and activates, certifier certifies, controller admin finds it waiting, approves, sees the audit and revokes with a reason', async (t) => {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: 'walk-1' }] });
  const cspErrors: string[] = [];
  const watch = (page: Page) => page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

  // --- Olof, federation operator ---
  const olofContext = await browser.newContext({ locale: 'sv-SE' });
  const olof = await signIn(olofContext, 'olof');
  watch(olof);
  await checkPage(t, olof, 'product list (operator)');
  await olof.click('#register-product');
  await olof.waitForURL(/\/admin\/products\/new/);
  await checkPage(t, olof, 'register a product');
  await olof.fill('#id', 'promenadappen');
  await olof.fill('#name', 'Promenadappen');
  await olof.fill('#supplierOrgNumber', '5560007777');
  await olof.fill('#supplierName', 'Promenadbolaget AB');
  await olof.fill('#purpose', 'self-monitoring');
  await olof.fill('#contactName', 'Support');
  await olof.fill('#contactEmail', 'support@promenad.example.se');
  await olof.fill('#clientId', 'promenadappen');
  await olof.fill('#redirectUris', 'https://promenad.example.se/callback');
  await olof.fill('#jwks', jwks);
  await olof.check('#method-bankid');
  await olof.check('#ask-bookings-read');
  // Keys that are not a JWKS: the form comes back with the problem in words, the fields kept.
  await olof.fill('#jwks', 'not json');
  await olof.click('#register');
  await olof.waitForSelector('#form-errors');
  t.regex(await text(olof, '#form-errors'), /JWKS i JSON/);
  t.is(await olof.inputValue('#name'), 'Promenadappen');
  await checkHere(t, olof, 'register a product: errors');
  await olof.fill('#jwks', jwks);
  await olof.click('#register');
  await olof.waitForURL(/\/admin\/products\/promenadappen\?done=registered$/);
  t.regex(await text(olof, '#notice'), /Produkten är registrerad/);
  t.regex(await text(olof, '#product-status'), /Registrerad/);
  await checkHere(t, olof, 'product page, registered');

  await olof.click('#status-active');
  await olof.waitForSelector('#what-changes');
  t.regex(await text(olof, '#what-changes'), /Promenadappen aktiveras/);
  await checkPage(t, olof, 'status confirmation');
  await olof.fill('#reason', 'Granskad av federationen');
  await olof.click('#confirm');
  await olof.waitForURL(/\/admin\/products\/promenadappen\?done=status$/);
  t.regex(await text(olof, '#product-status'), /Aktiv/);
  // The suspend button looks destructive.
  t.regex(await olof.getAttribute('#status-suspended', 'class') ?? '', /danger/);

  // The operator's other screens, each checked.
  for (const path of ['/admin/frameworks', '/admin/roles', '/admin/controllers', '/admin/controllers/region-sandbox', '/admin/audit', '/admin/audit?productId=promenadappen']) {
    await checkPage(t, olof, path, `${gw.url}${path}`);
  }
  await olof.goto(`${gw.url}/admin/audit?productId=promenadappen&lang=sv`);
  const olofAudit = await text(olof, '#audit');
  t.regex(olofAudit, /Olof Olsson \(SE5565594230-OP01\) \(Federationsoperatör\) registrerade produkten/);
  t.regex(olofAudit, /aktiverade produkten/);
  t.regex(olofAudit, /Anledning: Granskad av federationen/);
  await olof.goto(`${gw.url}/admin/roles`);
  const removeHref = await olof.locator('a[id^=remove-]').first().getAttribute('href') ?? '';
  await checkPage(t, olof, 'remove a role: confirmation', `${gw.url}${removeHref}`);
  t.regex(await olof.getAttribute('#confirm', 'class') ?? '', /danger/);
  await signOut(olof, t);
  await olofContext.close();

  // --- Maria, certification body (Nordic MedTest) ---
  const mariaContext = await browser.newContext({ locale: 'sv-SE' });
  const maria = await signIn(mariaContext, 'maria');
  watch(maria);
  await maria.goto(`${gw.url}/admin/products/promenadappen`);
  t.is(await maria.locator('#approve').count(), 0, 'a certifier is offered no approval');
  await maria.click('#certify');
  await maria.waitForURL(/\/certify$/);
  await checkPage(t, maria, 'record a certification');
  const today = new Date().toISOString().slice(0, 10);
  const nextYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  await maria.fill('#certifiedBy', 'Nordic MedTest (sandlåda)');
  await maria.fill('#issuedAt', today);
  await maria.fill('#expiresAt', nextYear);
  await maria.fill('#evidenceRef', 'NMT-2026-0099');
  await maria.click('#certify-submit');
  await maria.waitForURL(/\/admin\/products\/promenadappen\?done=certified$/);
  t.regex(await text(maria, '#certifications'), /NMT-2026-0099/);
  t.regex(await text(maria, '#certifications'), /Giltig/);
  await checkHere(t, maria, 'product page, certified');
  const withdrawHref = await maria.locator('a[id^=withdraw-]').first().getAttribute('href') ?? '';
  await checkPage(t, maria, 'withdraw a certification: confirmation', `${gw.url}${withdrawHref}`);
  t.regex(await maria.getAttribute('#confirm', 'class') ?? '', /danger/);
  // The expired certification of Bokningsappen reads "Utgången" / "Expired".
  await maria.goto(`${gw.url}/admin/products/bokningsappen?lang=sv`);
  t.regex(await text(maria, '#certifications [data-state=expired]'), /Utgången/);
  await maria.goto(`${gw.url}/admin/products/bokningsappen?lang=en`);
  t.regex(await text(maria, '#certifications [data-state=expired]'), /Expired/);
  await maria.goto(`${gw.url}/admin/?lang=sv`);
  await mariaContext.close();

  // --- Sara, administrator of Region Sandbox ---
  const saraContext = await browser.newContext({ locale: 'sv-SE' });
  const sara = await signIn(saraContext, 'sara');
  watch(sara);
  await sara.click('#nav-pending');
  await sara.waitForURL(/\/admin\/pending$/);
  t.is(await sara.locator('#pending-region-sandbox #pending-promenadappen').count(), 1, 'the new product waits for Region Sandbox');
  t.regex(await text(sara, '#pending-promenadappen'), /bokningar \(läsa\)/);
  await checkPage(t, sara, 'waiting for my decision');
  await sara.locator('#pending-promenadappen a').click();
  await sara.waitForURL(/\/admin\/products\/promenadappen$/);
  await checkPage(t, sara, 'product page (controller admin)');
  await sara.click('#approve');
  await sara.waitForURL(/\/approve$/);
  await checkPage(t, sara, 'approve form');
  await sara.check('#access-bookings-read');
  await sara.click('#review');
  await sara.waitForSelector('#what-changes');
  t.regex(await text(sara, '#what-changes'), /Region Sandbox börjar dela bokningar \(läsa\) med Promenadappen/);
  await checkHere(t, sara, 'approve confirmation (sv)');
  // The same confirmation in English (a page rendered by a POST: reached again through the form).
  await sara.goto(`${gw.url}/admin/products/promenadappen/approve?lang=en`);
  await sara.check('#access-bookings-read');
  await sara.click('#review');
  await sara.waitForSelector('#what-changes');
  t.is(await sara.getAttribute('html', 'lang'), 'en');
  t.regex(await text(sara, '#what-changes'), /Region Sandbox will start sharing bookings \(read\) with Promenadappen/);
  await checkHere(t, sara, 'approve confirmation (en)');
  await sara.click('#confirm');
  await sara.waitForURL(/\/admin\/products\/promenadappen\?done=approved$/);
  t.regex(await text(sara, '#notice'), /The approval is saved/);
  await sara.goto(`${gw.url}/admin/products/promenadappen?lang=sv`);
  t.regex(await text(sara, '#live-access'), /Region Sandbox: bokningar \(läsa\)/);
  await sara.goto(`${gw.url}/admin/pending`);
  t.is(await sara.locator('#pending-promenadappen').count(), 0, 'decided: no longer waiting');

  await sara.goto(`${gw.url}/admin/products/promenadappen`);
  await sara.click('#product-history');
  await sara.waitForSelector('#audit');
  t.regex(await text(sara, '#audit'), /Sara Sjöström \(SE2321000016-A1B2\) \(Administratör för personuppgiftsansvarig\) godkände produkten/);
  // The raw entry is one click away.
  const raw = sara.locator('#audit details').first();
  await raw.locator('summary').click();
  t.regex(await raw.textContent() ?? '', /"action": "approval.grant"/);
  // Search by actor and action.
  await sara.goto(`${gw.url}/admin/audit`);
  await sara.fill('#f-actor', 'SE2321000016-A1B2');
  await sara.selectOption('#f-action', 'approval');
  await sara.click('#search');
  await sara.waitForURL(/actor=SE2321000016-A1B2/);
  t.true(await sara.locator('#audit tbody tr[data-action="approval.grant"]').count() >= 1);
  t.is(await sara.locator('#audit tbody tr[data-action^="product."]').count(), 0);
  await checkPage(t, sara, 'audit overview, searched');

  await sara.goto(`${gw.url}/admin/products/promenadappen`);
  await sara.locator('#approvals tr[data-status=active]', { hasText: 'Region Sandbox' }).getByRole('link', { name: /Återkalla/ }).click();
  await sara.waitForSelector('#what-changes');
  await checkPage(t, sara, 'revoke confirmation');
  t.regex(await sara.getAttribute('#confirm', 'class') ?? '', /danger/);
  await sara.fill('#reason', 'Produkten behöver inte våra bokningar');
  await sara.click('#confirm');
  await sara.waitForURL(/\/admin\/products\/promenadappen\?done=revoked$/);
  t.regex(await text(sara, '#notice'), /Godkännandet är återkallat/);
  t.is(await sara.locator('#approvals tr[data-status=revoked]', { hasText: 'Region Sandbox' }).count(), 1);
  await sara.click('#product-history');
  await sara.waitForSelector('#audit');
  t.regex(await text(sara, '#audit'), /återkallade ett godkännande[\s\S]*Anledning: Produkten behöver inte våra bokningar/);

  // A containment suspension at Region Sandbox: listed on the product page, lifted through a confirmation.
  const suspension = await gw.pdp!.containment.trip({ productId: 'demo-rp', clientId: 'demo-rp', controllerId: 'region-sandbox', reason: 'suspicious_denials' });
  t.truthy(suspension);
  await sara.goto(`${gw.url}/admin/products/demo-rp?lang=sv`);
  t.regex(await text(sara, '#suspensions'), /Region Sandbox stängde av produkten/);
  await checkPage(t, sara, 'lift a suspension: confirmation', `${gw.url}${await sara.getAttribute(`#lift-${suspension!.id}`, 'href') ?? ''}`);
  await sara.click('#confirm');
  await sara.waitForURL(/\/admin\/products\/demo-rp\?done=lifted$/);
  t.regex(await text(sara, '#notice'), /Avstängningen är hävd/);
  t.is(await sara.locator('#suspensions').count(), 0);

  // The controller administrator's other screens.
  for (const path of ['/admin/controllers/region-sandbox', '/admin/controllers/region-sandbox/policy', '/admin/controllers/region-sandbox/jump-policy',
    '/admin/products/demo-rp', '/admin/products/demo-rp/automatic/region-sandbox/stop', '/admin/products/stegraknaren', '/admin/products/no-such-product']) {
    await checkPage(t, sara, path, `${gw.url}${path}`);
  }
  // Automatic sharing and explicit approvals side by side on demo-rp, without contradiction.
  await sara.goto(`${gw.url}/admin/products/demo-rp`);
  t.is(await sara.locator('#approvals tr[data-status=automatic][data-controller=region-sandbox]').count(), 1);
  t.regex(await text(sara, '#live-access'), /Region Sandbox/);
  // A suspended product: the approve button says when an approval would take effect.
  await sara.goto(`${gw.url}/admin/products/stegraknaren`);
  t.regex(await text(sara, '#approve-later'), /först när den är aktiv/);
  // The policy change goes through a confirmation (a POST page, checked as it is).
  for (const lang of ['en', 'sv'] as const) {
    await sara.goto(`${gw.url}/admin/controllers/region-sandbox/policy?lang=${lang}`);
    await sara.click('#review');
    await sara.waitForSelector('#what-changes');
    await checkHere(t, sara, `policy confirmation (${lang})`);
    await sara.goto(`${gw.url}/admin/controllers/region-sandbox/jump-policy?lang=${lang}`);
    await sara.click('#review');
    await sara.waitForSelector('#what-changes');
    await checkHere(t, sara, `jump-policy confirmation (${lang})`);
  }
  // Saving the jump policy as it is: the change goes through, and the controller page says so.
  await sara.click('#confirm');
  await sara.waitForURL(/\/admin\/controllers\/region-sandbox\?done=jumpPolicy$/);
  t.regex(await text(sara, '#notice'), /Hopp-policyn är sparad/);
  t.is(await sara.locator('#jump-policy').count(), 1);
  await sara.click('#logout');
  await sara.waitForURL(/\/session\/end/);
  await sara.click('button[name=logout][value=yes]');
  await sara.waitForURL(`${gw.url}/admin/signed-out`);
  await checkPage(t, sara, 'signed out');
  await saraContext.close();
  t.deepEqual(cspErrors, [], 'no CSP violations');
});

async function signOut(page: Page, t: ExecutionContext): Promise<void> {
  await page.goto(`${gw.url}/admin/?lang=sv`);
  await page.click('#logout');
  await page.waitForURL(/\/session\/end/);
  await page.click('button[name=logout][value=yes]');
  await page.waitForURL(`${gw.url}/admin/signed-out`);
  t.pass();
}
