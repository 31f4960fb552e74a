// The sandbox's demo relying party fetches the signed-in citizen's data through the built-in PEP from
// the sandbox controllers' mock data APIs, and shows per item which controller is responsible
// (docs/domain.md, rule 5). What the controllers did not approve is shown as denied, with the reason.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { DEMO_RP_CLIENT_ID } from '../../src/sandbox/demoRp.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { approval, controller, product, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { browserThroughBankId } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';
import { TestRegistry, memoryDb, startPdpGateway } from './pdpFixture.ts';
import { startTestGateway } from '../helpers/gateway.ts';

const ANNA = '198003121236';
let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let gw: Gateway;

test.before(async () => {
  redis = await redisForTests();
  db = await memoryDb();
  const registry = new TestRegistry(snapshot({
    controllers: [
      controller('region-sandbox', ['bookings', 'vaccinations', 'lab-results'], { name: 'Region Sandbox' }),
      controller('sandvik-kommun', ['bookings', 'home-care-decisions'], { name: 'Sandvik kommun (sandlåda)' }),
      controller('vardbolaget', ['bookings'], { name: 'Vårdbolaget AB (sandlåda)' }),
    ],
    products: [product('demo-rp', {
      client: { clientId: DEMO_RP_CLIENT_ID, redirectUris: [], postLogoutRedirectUris: [], tokenEndpointAuthMethod: 'private_key_jwt', grantTypes: ['authorization_code'], scope: 'openid' },
      requestedAccess: [{ dataset: 'bookings', actions: ['read'] }, { dataset: 'vaccinations', actions: ['read'] }, { dataset: 'home-care-decisions', actions: ['read'] }],
    })],
    approvals: [
      approval('a1', 'region-sandbox', 'demo-rp', { access: [{ dataset: 'bookings', actions: ['read'] }, { dataset: 'vaccinations', actions: ['read'] }] }),
      approval('a2', 'sandvik-kommun', 'demo-rp', { access: [{ dataset: 'home-care-decisions', actions: ['read'] }] }),
    ],
  }));
  gw = await startPdpGateway(registry, db, redis.url);
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
  await redis?.stop();
});

test('the demo app shows the citizen\'s data from each approving controller through the PEP, each item with its controller', async (t) => {
  const ua = new UserAgent(gw.url);
  const start = await ua.request('/sandbox/rp/login', { form: {} });
  t.truthy(start.location);
  const callback = await browserThroughBankId(gw, new URL(start.location!), ANNA, `${gw.url}/sandbox/rp/callback`, ua);
  const page = await ua.request(callback.href);
  t.is(page.status, 200, page.text.slice(0, 500));
  const rows = [...page.text.matchAll(/<tr( class="denied")? data-controller="([^"]+)" data-dataset="([^"]+)">(.*?)<\/tr>/g)]
    .map((m) => ({ denied: Boolean(m[1]), controller: m[2]!, dataset: m[3]!, cells: m[4]! }));
  const got = (controllerId: string, dataset: string) => rows.filter((r) => r.controller === controllerId && r.dataset === dataset);
  t.true(got('region-sandbox', 'bookings').length > 0 && got('region-sandbox', 'bookings').every((r) => !r.denied && r.cells.includes('Region Sandbox')));
  t.true(got('region-sandbox', 'vaccinations').every((r) => !r.denied && r.cells.includes('Region Sandbox')));
  t.true(got('sandvik-kommun', 'home-care-decisions').every((r) => !r.denied && r.cells.includes('Sandvik kommun (sandlåda)')));
  t.true(got('sandvik-kommun', 'home-care-decisions').length > 0);
  t.like(got('region-sandbox', 'lab-results')[0], { denied: true });
  t.true(got('region-sandbox', 'lab-results')[0]!.cells.includes('dataset_not_covered'));
  t.like(got('vardbolaget', 'bookings')[0], { denied: true });
  t.true(got('vardbolaget', 'bookings')[0]!.cells.includes('controller_not_approved'));
});

test('in the seeded sandbox registry (as npm start runs it) the demo app gets its approved data sets through the PEP', async (t) => {
  const sandbox = await startTestGateway({ overrides: { store: { redisUrl: redis.url, keyPrefix: `seeded${Date.now()}:` } } });
  try {
    const ua = new UserAgent(sandbox.url);
    const start = await ua.request('/sandbox/rp/login', { form: {} });
    const callback = await browserThroughBankId(sandbox, new URL(start.location!), ANNA, `${sandbox.url}/sandbox/rp/callback`, ua);
    const page = await ua.request(callback.href);
    const rows = [...page.text.matchAll(/<tr( class="denied")? data-controller="([^"]+)" data-dataset="([^"]+)">(.*?)<\/tr>/g)]
      .map((m) => ({ denied: Boolean(m[1]), controller: m[2]!, dataset: m[3]!, cells: m[4]! }));
    t.log(rows.map((r) => `${r.controller}/${r.dataset}: ${r.denied ? 'denied' : 'item'}`).join(', '));
    t.true(rows.some((r) => r.controller === 'region-sandbox' && r.dataset === 'bookings' && !r.denied && r.cells.includes('Region Sandbox')));
    t.true(rows.some((r) => r.controller === 'sandvik-kommun' && r.dataset === 'home-care-decisions' && !r.denied));
    t.true(rows.some((r) => r.controller === 'vardbolaget' && r.denied));
  } finally {
    await sandbox.close();
  }
});
