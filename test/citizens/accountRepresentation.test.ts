// /account and representation wired together (issue 12, items 2, 4 and 5): the page's "Ombud och
// företrädare" section lists the signed-in citizen's real relations from the representation module
// (Bertil: his children Ella and Filip, not Gustav who is 16; Anna: her agent Helena), and the
// principal's routes under /account/representation answer for the account page's session only.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { snapshot } from '../whitelist/snapshotFixture.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { browserThroughBankId } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';
import { TestRegistry, memoryDb } from '../scopes/pdpFixture.ts';

const ANNA = '198003121236';
const BERTIL = '197501012343';
const HELENA = '196802247897';

let db: PgliteDb;
let gw: Gateway;

test.before(async () => {
  db = await memoryDb();
  gw = await startTestGateway({ registry: new TestRegistry(snapshot()), db, overrides: { store: { keyPrefix: `acrep${randomUUID().slice(0, 8)}:` } } });
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
});

async function accountSignIn(pn: string): Promise<{ ua: UserAgent; page: string }> {
  const ua = new UserAgent(gw.url);
  const callback = await browserThroughBankId(gw, new URL(`${gw.url}/account/login`), pn, `${gw.url}/account/callback`, ua);
  const page = await ua.follow(callback.href);
  if (page.status !== 200 || !page.text.includes('id="signed-in-as"')) throw new Error(`not on the account page: ${page.status} ${page.url}`);
  return { ua, page: page.text };
}

const section = (page: string): string => page.slice(page.indexOf('id="representation"'));

test.serial('a guardian sees the children he may act for on /account, and not the one who acts alone', async (t) => {
  const { page } = await accountSignIn(BERTIL);
  const s = section(page);
  t.regex(s, /Ella Berg, vårdnadshavare/);
  t.regex(s, /Filip Berg, vårdnadshavare/);
  t.notRegex(s, /Gustav/);
});

test.serial('an agent appointed by the principal shows on both pages, with the mandate in words', async (t) => {
  const { ua } = await accountSignIn(ANNA);
  const appointed = await ua.request('/account/representation/mandates', {
    headers: { origin: new URL(gw.url).origin },
    json: { agent: HELENA, types: ['bookings'], expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() },
  });
  t.is(appointed.status, 201, appointed.text);
  const annaPage = await ua.follow('/account');
  t.regex(section(annaPage.text), /Helena Holm, ombud \(bokningar\)/);
  const { page: helenaPage } = await accountSignIn(HELENA);
  t.regex(section(helenaPage), /Anna Andersson, ombud \(bokningar\)/);
});

test.serial('the representation routes need the account page\'s session, and a write from another origin is refused', async (t) => {
  const anonymous = new UserAgent(gw.url);
  const listed = await anonymous.request('/account/representation');
  t.is(listed.status, 401);
  t.notRegex(listed.text, /\d{12}/);
  const { ua } = await accountSignIn(ANNA);
  const own = await ua.request('/account/representation');
  t.is(own.status, 200);
  const foreign = await ua.request('/account/representation/mandates', { headers: { origin: 'https://evil.example' }, json: { agent: HELENA, types: ['bookings'] } });
  t.is(foreign.status, 403);
});
