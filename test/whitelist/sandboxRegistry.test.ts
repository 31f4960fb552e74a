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
  t.is(await second.registryDb!.store.revision(), seeded + 1, 'nothing re-seeded');
  t.truthy(await second.registryDb!.store.getFramework('kept-fw'));
  t.true((await second.registryDb!.store.verifyAudit()).ok);
  await second.close();
});
