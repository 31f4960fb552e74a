// Audit anchoring as one module: the dedicated audit key, the checkpointer over both chains and its
// sinks, and the read-only publication of what it signed. GET /audit/checkpoints and GET /audit/jwks
// are public: they hold hashes, counts and times, nothing about a person, a product or a controller,
// and controllers keep their own copies to check the operator with (docs/security-model.md).
import Router from '@koa/router';
import type { JWK } from 'jose';
import { z } from 'zod';
import { ConfigError, type Config, type Pkcs11Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Mount } from '../http/app.ts';
import { problem } from '../http/problem.ts';
import type { Db } from '../whitelist/db/db.ts';
import { hsmAuditKeys, loadAuditKeys, sharesKeyWith, type AuditKeys } from './auditKey.ts';
import { decisionChain, registryChain, type AuditChain } from './chains.ts';
import { Checkpointer } from './checkpointer.ts';
import { chainName, type ChainName } from './checkpoint.ts';
import { defaultCheckpointFile, FileSink, HttpSink, type CheckpointSink } from './sinks.ts';

export interface AuditDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  /** The registry's database (its audit_log), when a registry of record runs. */
  registryDb: Db | undefined;
  /** The decision audit's database, when the decision point runs. */
  decisionDb: Db | undefined;
  /** The OIDC signing keys: the audit key must not be one of them. */
  signingJwks: { keys: JWK[] };
  /** The HSM, when the keys are there: the audit key is its `auditKeyLabel` key pair. */
  pkcs11?: Pkcs11Config | undefined;
  fetch?: typeof fetch;
}

export interface AuditAnchoring {
  checkpointer: Checkpointer;
  keys: AuditKeys;
  sinks: CheckpointSink[];
  mounts: Mount[];
  closers: Array<() => Promise<void>>;
}

export function checkpointSinks(config: Config, fetchImpl?: typeof fetch): CheckpointSink[] {
  const sinks: CheckpointSink[] = [];
  const file = defaultCheckpointFile(config);
  if (file) sinks.push(new FileSink(file));
  const { httpUrl, httpAuthorizationFile, httpTimeoutMs } = config.audit.checkpoints;
  if (httpUrl) sinks.push(new HttpSink({ url: httpUrl, authorizationFile: httpAuthorizationFile, timeoutMs: httpTimeoutMs, ...(fetchImpl ? { fetch: fetchImpl } : {}) }));
  return sinks;
}

/** A parameter given twice is refused, not read as one of its values. */
const one = (v: unknown) => (Array.isArray(v) ? 'repeated' : v);
const listQuery = z.object({
  chain: z.preprocess(one, chainName.optional()),
  after: z.preprocess(one, z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0)),
  limit: z.preprocess(one, z.coerce.number().int().min(1).max(1000).default(100)),
});

export async function auditModule(deps: AuditDeps): Promise<AuditAnchoring> {
  const { config, clock, logger } = deps;
  let keys: AuditKeys;
  try {
    keys = deps.pkcs11
      ? hsmAuditKeys(deps.pkcs11)
      : await loadAuditKeys({ keyFile: config.audit.keyFile, sandboxDir: config.sandboxDir, mayGenerate: config.mode === 'sandbox' });
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  if (config.mode === 'production' && keys.generated) throw new ConfigError(['audit.keyFile: production needs a provisioned audit key, not one the sandbox generated']);
  if (await sharesKeyWith(keys, deps.signingJwks)) throw new ConfigError(['audit.keyFile: the audit key is one of the OIDC signing keys (keys.jwksFile); checkpoints need a dedicated key']);

  const chains: AuditChain[] = [];
  if (deps.registryDb) chains.push(registryChain(deps.registryDb));
  if (deps.decisionDb) chains.push(decisionChain(deps.decisionDb));
  let sinks: CheckpointSink[];
  try {
    sinks = checkpointSinks(config, deps.fetch);
  } catch (err) {
    throw new ConfigError([`audit.checkpoints: ${(err as Error).message}`]);
  }
  const checkpointer = new Checkpointer({ chains, keys, sinks, clock, logger, issuer: config.issuer, intervalMs: config.audit.checkpointIntervalSeconds * 1000 });

  const router = new Router();
  router.get('/audit/jwks', (ctx) => {
    ctx.set('cache-control', 'public, max-age=300');
    ctx.body = keys.publicJwks;
  });
  router.get('/audit/checkpoints', async (ctx) => {
    const query = listQuery.safeParse(ctx.query);
    if (!query.success) throw problem(400, 'bad_request', 'Bad request', 'chain is registry or decision; after and limit (1..1000) are whole numbers, each given once');
    const { chain, after, limit } = query.data;
    const wanted = chains.filter((c) => !chain || c.name === chain);
    const items: Array<{ chain: ChainName; seq: number; signed: unknown }> = [];
    try {
      for (const c of wanted) {
        const rows = (await c.db.query<{ seq: string | number; signed: unknown }>(
          'SELECT seq, signed FROM audit_checkpoints WHERE chain = $1 AND seq > $2 ORDER BY seq, id LIMIT $3', [c.name, after, limit])).rows;
        items.push(...rows.map((r) => ({ chain: c.name, seq: Number(r.seq), signed: r.signed })));
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'audit checkpoints unreadable');
      ctx.set('Retry-After', '5');
      throw problem(503, 'unavailable', 'Service unavailable', 'the checkpoints cannot be read right now');
    }
    ctx.set('cache-control', 'no-cache');
    // Each item's `signed` is the flattened JWS; chain and seq beside it are for paging only, unsigned.
    ctx.body = { checkpoints: items.map((i) => ({ chain: i.chain, seq: i.seq, jws: i.signed })), jwks_uri: `${config.issuer}/audit/jwks` };
  });

  checkpointer.start();
  return {
    checkpointer,
    keys,
    sinks,
    mounts: [{ name: 'audit checkpoints', under: ['/audit'], routes: router.routes() }],
    closers: [async () => { await checkpointer.stop(); keys.release?.(); }],
  };
}
