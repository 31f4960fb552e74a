// The sandbox keeps its registry across restarts: PGlite under the sandbox folder, seeded once.
import test from 'ava';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway } from '../helpers/gateway.ts';
import { SYSTEM } from '../../src/whitelist/service.ts';

const dir = mkdtempSync(join(tmpdir(), 'registry-sandbox-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test('a restarted sandbox finds its registry as it left it, and does not seed again', async (t) => {
  const first = await startTestGateway({ overrides: { registry: { pglite: join(dir, 'registry') } } });
  const seeded = await first.registryDb!.store.revision();
  t.true(seeded > 20, 'seeded on first start');
  await first.registryDb!.service.createFramework(SYSTEM, { id: 'kept-fw', name: 'Kept' });
  await first.close();
  t.true(existsSync(join(dir, 'registry', 'PG_VERSION')));

  const second = await startTestGateway({ overrides: { registry: { pglite: join(dir, 'registry') } } });
  // The second start listens on another port: the demo apps' registered URIs follow the issuer (one
  // audited update of each demo product's client: the demo RP and the shared sign-in demo's three);
  // nothing is created again.
  const after = (await second.registryDb!.store.listAudit({})).filter((e) => e.seq > seeded + 1);
  t.deepEqual(after.map((e) => [e.objectType, e.objectId, e.actor]).sort(), [
    ['product', 'demo-municipal-app', 'system'], ['product', 'demo-portal', 'system'], ['product', 'demo-region-app', 'system'], ['product', 'demo-rp', 'system'],
  ], 'nothing re-seeded');
  t.deepEqual(after.filter((e) => !String(e.action).endsWith('.update')).map((e) => e.action), [], 'updates only, no creations');
  t.is((await second.registryDb!.store.getProduct('demo-rp'))!.client.redirectUris[0], `${second.url}/sandbox/rp/callback`);
  t.truthy(await second.registryDb!.store.getFramework('kept-fw'));
  t.true((await second.registryDb!.store.verifyAudit()).ok);
  await second.close();
});

test('a PGlite registry folder is one process\'s: audit:verify refuses it while the sandbox runs, and verifies it after', async (t) => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const run = promisify(execFile);
  const folder = join(dir, 'locked');
  const gw = await startTestGateway({ overrides: { registry: { pglite: folder } } });
  const env = { ...process.env, GATEWAY__registry__pglite: folder };
  const busy = await t.throwsAsync(run(process.execPath, ['src/whitelist/auditVerify.ts'], { env })) as Error & { code?: number; stderr?: string };
  t.is(busy.code, 2);
  t.regex(busy.stderr ?? '', /in use by process \d+/);
  await gw.close();
  const { stdout } = await run(process.execPath, ['src/whitelist/auditVerify.ts'], { env });
  t.regex(stdout, /audit chain intact: \d+ entries/);
});

test('the gateway is not ready while the registry\'s database cannot answer', async (t) => {
  const gw = await startTestGateway();
  t.deepEqual(await (await fetch(`${gw.url}/readyz`)).json(), { status: 'ready', store: 'memory' });
  await gw.registryDb!.db.close();
  const res = await fetch(`${gw.url}/readyz`);
  t.is(res.status, 503);
  t.deepEqual(((await res.json()) as { failing: string[] }).failing, ['registry']);
  await gw.close();
});
