// The checkpoint sinks outside the database: the HTTP sink POSTs each checkpoint as a flattened JWS
// (application/jose+json, with the configured Authorization) and a refusal keeps the checkpoint
// unpublished and retried; the file sink appends one line a checkpoint; the checkpointer writes a last
// checkpoint when it stops (the gateway's shutdown).
import test from 'ava';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAuditKeys } from '../../src/audit/auditKey.ts';
import { registryChain } from '../../src/audit/chains.ts';
import { Checkpointer } from '../../src/audit/checkpointer.ts';
import { verifyCheckpoint } from '../../src/audit/checkpoint.ts';
import { defaultCheckpointFile, FileSink, HttpSink, readCheckpointFile } from '../../src/audit/sinks.ts';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import { DatasetCatalogue } from '../../src/whitelist/datasets.ts';
import { migrate } from '../../src/whitelist/db/migrate.ts';
import { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { RegistryService, SYSTEM } from '../../src/whitelist/service.ts';
import { RegistryStore } from '../../src/whitelist/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'audit-sinks-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const logger = createLogger({ level: 'silent' });
const config = loadConfig({ env: {} });

async function registryWith(entries: number) {
  const db = await PgliteDb.open();
  await migrate(db);
  const service = new RegistryService({
    store: new RegistryStore(db, systemClock), hot: new MemoryStore(systemClock), clock: systemClock, catalogue: new DatasetCatalogue(config.datasets), sandbox: true,
    authnMethods: Object.keys(config.loa.providers), acrValues: ['http://id.elegnamnden.se/loa/1.0/loa3'], logger,
  });
  for (let i = 0; i < entries; i += 1) await service.createFramework(SYSTEM, { id: `fw-${i}`, name: `F${i}` });
  return { db, service };
}

const read = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let body = '';
  req.on('data', (c: Buffer) => { body += c.toString(); });
  req.on('end', () => resolve(body));
});

test('the HTTP sink posts each checkpoint; a refusal leaves it unpublished, and the next run delivers it', async (t) => {
  const received: Array<{ type: string | undefined; auth: string | undefined; body: string }> = [];
  let refuse = true;
  const server = createServer((req, res) => {
    void read(req).then((body) => {
      received.push({ type: req.headers['content-type'], auth: req.headers.authorization, body });
      res.statusCode = refuse ? 503 : 201;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const authFile = join(dir, 'sink-auth');
  writeFileSync(authFile, 'Bearer write-once\n');
  const keys = await loadAuditKeys({ sandboxDir: dir, mayGenerate: true });
  const { db } = await registryWith(2);
  const sink = new HttpSink({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/checkpoints`, authorizationFile: authFile, timeoutMs: 30_000 });
  const checkpointer = new Checkpointer({ chains: [registryChain(db)], keys, sinks: [sink], clock: systemClock, logger, issuer: 'https://gw.test', intervalMs: 60_000 });
  try {
    await t.throwsAsync(checkpointer.checkpoint(), { message: /answered 503/ });
    t.is((await db.query('SELECT 1 FROM audit_checkpoints')).rows.length, 0, 'not published while the sink refuses');
    refuse = false;
    const [written] = await checkpointer.checkpoint();
    t.like(written, { chain: 'registry', seq: 2, from: 1 });
    t.is(received.length, 2);
    const last = received[1]!;
    t.is(last.type, 'application/jose+json');
    t.is(last.auth, 'Bearer write-once');
    t.like(await verifyCheckpoint(JSON.parse(last.body), keys.publicJwks.keys), { ok: true, checkpoint: { seq: 2 } });
  } finally {
    server.close();
    await db.close();
  }
});

test('stopping the checkpointer writes a last checkpoint to the file, one JSON line each', async (t) => {
  const keys = await loadAuditKeys({ sandboxDir: dir, mayGenerate: true });
  const { db, service } = await registryWith(1);
  const file = join(dir, 'stop.jsonl');
  const checkpointer = new Checkpointer({ chains: [registryChain(db)], keys, sinks: [new FileSink(file)], clock: systemClock, logger, issuer: 'https://gw.test', intervalMs: 3_600_000 });
  checkpointer.start();
  await checkpointer.checkpoint();
  await service.createFramework(SYSTEM, { id: 'fw-late', name: 'Late' });
  await checkpointer.stop();
  const lines = readCheckpointFile(file);
  t.is(lines.length, 2);
  t.true(readFileSync(file, 'utf8').endsWith('}\n'));
  const last = await verifyCheckpoint(lines[1]!.value, keys.publicJwks.keys);
  t.like(last, { ok: true, checkpoint: { seq: 2, from: 2, count: 2 } });
  await db.close();
});

test('the sandbox checkpoint file is one per database; production has none unless configured', (t) => {
  const sandbox = loadConfig({ env: {}, overrides: { sandboxDir: '/s' } });
  t.is(defaultCheckpointFile(sandbox), '/s/audit/checkpoints.jsonl');
  const a = defaultCheckpointFile(loadConfig({ env: { DATABASE_URL: 'postgres://u@db1:5432/gw' }, overrides: { sandboxDir: '/s' } }));
  const b = defaultCheckpointFile(loadConfig({ env: { DATABASE_URL: 'postgres://u@db2:5432/gw' }, overrides: { sandboxDir: '/s' } }));
  t.regex(a ?? '', /^\/s\/audit\/checkpoints-[0-9a-f]{12}\.jsonl$/);
  t.not(a, b);
  t.is(defaultCheckpointFile(loadConfig({ env: {}, overrides: { registry: { pglite: 'memory' } } })), undefined);
  t.is(defaultCheckpointFile(loadConfig({ env: { NODE_ENV: 'production' } })), undefined);
  t.is(defaultCheckpointFile(loadConfig({ env: { NODE_ENV: 'production' }, overrides: { audit: { checkpoints: { file: '/worm/cp.jsonl' } } } })), '/worm/cp.jsonl');
});
