// The simulated BankID app in real Chromium: a plain form that needs no JavaScript, driven by its labels,
// and axe-core finds nothing serious on the form, the error state or the result page.
import test from 'ava';
import type { Browser } from 'playwright-core';
import { ManualClock } from '../../../src/clock.ts';
import { bankIdAppRouter } from '../../../src/federation/bankid/simulator/app.ts';
import { OrderBook } from '../../../src/federation/bankid/simulator/orders.ts';
import { launchChromium, seriousAxeViolations } from '../../helpers/browser.ts';
import { personas, serveRouter } from './fixtures.ts';

const orders = new OrderBook({ clock: new ManualClock() });
let app: { url: string; close: () => Promise<void> };
let browser: Browser;

test.before(async () => {
  app = await serveRouter(bankIdAppRouter(orders, personas));
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await app?.close();
});

test('a tester completes an order with the form alone (no script on the page), and every state passes axe', async (t) => {
  // axe runs as a script, so JavaScript stays on; the page itself ships none, which is checked.
  const context = await browser.newContext({ locale: 'sv-SE' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const axe = async (name: string) => t.deepEqual(await seriousAxeViolations(page), [], name);

  // An unknown token first: the form comes back with the reason.
  await page.goto(`${app.url}/sandbox/bankid/app?autostarttoken=nope`);
  t.is(await page.getAttribute('html', 'lang'), 'sv');
  t.is(await page.locator('script').count(), 0);
  await axe('form (sv)');
  await page.getByLabel('Testperson').selectOption('198003121236');
  await page.getByRole('button', { name: 'Skicka' }).click();
  await page.waitForSelector('[role=alert]');
  await axe('form with an error (sv)');

  const order = orders.create({ endUserIp: '127.0.0.1' });
  await page.getByLabel('Autostarttoken').fill(order.autoStartToken);
  await page.getByLabel('Testperson').selectOption('198003121236');
  await page.getByLabel('Identifiera (ordern slutförs)').check();
  await page.getByRole('button', { name: 'Skicka' }).click();
  await page.waitForSelector('text=Ordern är avslutad');
  await axe('result page (sv)');
  t.is(orders.get(order.orderRef)?.status, 'complete');

  await page.goto(`${app.url}/sandbox/bankid/app?lang=en`);
  t.is(await page.getAttribute('html', 'lang'), 'en');
  await axe('form (en)');
});
