// N workers of a bench server behind one port (node:cluster, as GATEWAY_WORKERS runs the gateway), for
// the "2 workers vs 1" rows of run.ts: BENCH_WORKERS=N, BENCH_SCRIPT=bench/gateway.ts or bench/pdp.ts.
// The workers share one sandbox folder (the same keys and secrets, as a deployment's workers share
// files) and, for the figures to mean anything, Redis (BENCH_REDIS_URL): a token one worker issued is
// checked by another. The first worker starts alone (it generates the sandbox files), then the rest.
// Prints READY <url> once every worker is listening.
import cluster from 'node:cluster';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../test/helpers/net.ts';

const script = process.env.BENCH_SCRIPT ?? 'bench/gateway.ts';
if (cluster.isPrimary) {
  const workers = Number(process.env.BENCH_WORKERS ?? 2);
  const env = { BENCH_PORT: String(await freePort()), BENCH_SANDBOX_DIR: mkdtempSync(join(tmpdir(), 'bench-workers-')) };
  // Worker output comes to the primary, which prints one READY for all of them.
  cluster.setupPrimary({ silent: true });
  let url = '';
  for (let i = 0; i < workers; i += 1) {
    const worker = cluster.fork(env);
    worker.process.stderr?.pipe(process.stderr);
    url = await new Promise<string>((ready, fail) => {
      let out = '';
      worker.process.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /READY (\S+)/.exec(out);
        if (m) ready(m[1] ?? '');
      });
      worker.once('exit', (code) => fail(new Error(`bench worker exited with ${code}`)));
    });
  }
  process.stdout.write(`READY ${url}\n`);
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  await import(resolve(script));
}
