// `npm start`: the gateway with the configuration from GATEWAY_CONFIG and the environment. With no
// configuration at all it is the sandbox: in-memory store, generated keys, BankID simulator, demo RP.
// GATEWAY_WORKERS=N (default: every core in production, 1 in the sandbox) runs N workers behind the one
// port (src/http/cluster.ts); each worker, like a single process, drains on SIGTERM.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { loadConfig, ConfigError, productionProblems, workerCount, workerProblems } from './config.ts';
import { createLogger } from './log.ts';
import { startGateway } from './gateway.ts';
import { CONFIG_REFUSED, runWorkerPool } from './http/cluster.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(CONFIG_REFUSED);
    }
    throw err;
  }
  const logger = createLogger({ level: config.log.level });
  const workers = workerCount(config, availableParallelism());
  // Before any worker is forked, so a refusal is said once, not once per worker. Production's own
  // problems come first: they already demand the Redis and PostgreSQL that workers need.
  const refused = config.mode === 'production'
    ? productionProblems(config, { generatedKeys: false, generatedSecrets: false })
    : workerProblems(config, workers);
  if (refused.length) {
    process.stderr.write(`refusing to start: ${new ConfigError(refused).message}\n`);
    process.exit(CONFIG_REFUSED);
  }
  if (workers > 1 && cluster.isPrimary) {
    logger.info({ workers, mode: config.mode }, 'starting workers');
    runWorkerPool({ workers, logger });
    return;
  }
  let gateway;
  try {
    gateway = await startGateway(config, { logger });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`refusing to start: ${err.message}\n`);
      process.exit(CONFIG_REFUSED);
    }
    logger.fatal({ err: (err as Error).message }, 'start-up failed');
    process.exit(1);
  }
  const worker = cluster.worker?.id;
  logger.info({ issuer: gateway.url, mode: config.mode, store: gateway.store.kind, bankid: gateway.sandboxBankId ? 'simulator' : 'configured', ...(worker ? { worker } : {}) }, 'gateway listening');
  if (config.mode === 'sandbox' && !worker) {
    process.stdout.write(`\nSandbox gateway ready: open ${gateway.url}/ (demo app: ${gateway.url}/sandbox/rp)\n\n`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    // A second signal (the primary's, after the process group's) changes nothing: the drain is under way.
    if (stopping) return;
    stopping = true;
    // SIGINT is someone at a terminal (Ctrl-C): no load balancer to tell, so no readiness delay.
    const delayMs = signal === 'SIGTERM' ? config.http.drainDelayMs : 0; // (and a lost primary: nothing to tell)
    logger.info({ signal, drainDelayMs: delayMs, ...(worker ? { worker } : {}) }, 'draining');
    await gateway.drain({ delayMs, timeoutMs: config.http.drainTimeoutMs });
    logger.info({ ...(worker ? { worker } : {}) }, 'drained; exiting');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A worker whose primary is gone (killed outright) gets no more connections: it drains and ends
  // rather than linger holding Redis and database connections.
  if (cluster.isWorker) process.once('disconnect', () => void stop('disconnect'));
}

await main();
