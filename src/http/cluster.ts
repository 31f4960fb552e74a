// Every core (docs/operations.md, "Workers and graceful drain"): the primary process forks
// GATEWAY_WORKERS workers that share the one listening port (node:cluster hands connections round-robin)
// and keep all state in Redis and PostgreSQL, so any worker can serve any request. The primary holds no
// state and serves nothing; it restarts a worker that dies, backing off when they keep dying, and on
// SIGTERM passes the drain on to every worker and exits when the last one has.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../log.ts';

/** Exit code of a worker that refused its configuration: restarting it cannot help. */
export const CONFIG_REFUSED = 2;

export interface WorkerPoolOptions {
  workers: number;
  logger: Logger;
  /** First restart delay, doubled per death in a row up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A worker that lived this long resets the back-off (it was not crashing on start-up). */
  healthyAfterMs?: number;
}

/** The restart delay after `deaths` quick deaths in a row. */
export function restartDelay(deaths: number, backoffMs: number, maxBackoffMs: number): number {
  return Math.min(backoffMs * 2 ** Math.max(0, deaths - 1), maxBackoffMs);
}

/** Runs in the primary: forks the workers and looks after them until SIGTERM or SIGINT. */
export function runWorkerPool(options: WorkerPoolOptions): void {
  const { logger } = options;
  const backoffMs = options.backoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 15_000;
  const healthyAfterMs = options.healthyAfterMs ?? 30_000;
  const startedAt = new Map<Worker, number>();
  let quickDeaths = 0;
  let stopping = false;
  let exitCode = 0;

  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
    logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker started');
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
    startedAt.delete(worker);
    if (stopping) {
      logger.info({ worker: worker.id, exitCode: code, signal }, 'worker drained');
      if (startedAt.size === 0) {
        logger.info('every worker drained; exiting');
        process.exit(exitCode);
      }
      return;
    }
    if (code === CONFIG_REFUSED) {
      // The configuration is wrong for every worker alike; the worker said why on stderr.
      logger.fatal({ worker: worker.id }, 'a worker refused the configuration; stopping');
      stopping = true;
      exitCode = CONFIG_REFUSED;
      for (const w of startedAt.keys()) w.process.kill('SIGTERM');
      if (startedAt.size === 0) process.exit(CONFIG_REFUSED);
      return;
    }
    quickDeaths = lived >= healthyAfterMs ? 1 : quickDeaths + 1;
    const delay = restartDelay(quickDeaths, backoffMs, maxBackoffMs);
    logger.error({ worker: worker.id, exitCode: code, signal, livedMs: lived, restartInMs: delay }, 'worker died; restarting');
    setTimeout(() => { if (!stopping) fork(); }, delay).unref();
  });

  // The same signal goes on: SIGTERM drains with the readiness delay, SIGINT (Ctrl-C) without.
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: startedAt.size }, 'draining every worker');
    for (const worker of startedAt.keys()) worker.process.kill(signal);
    if (startedAt.size === 0) process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  for (let i = 0; i < options.workers; i += 1) fork();
}
