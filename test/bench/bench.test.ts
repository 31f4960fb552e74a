// `npm run bench` must keep working: a short run prints every row with no failed request. The
// figures themselves are judged by the benchmark (it exits non-zero below its targets), not here.
import test from 'ava';
import { execFile } from 'node:child_process';

test('the benchmark runs and prints its table, every row beside its baseline', async (t) => {
  const root = new URL('../..', import.meta.url).pathname;
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    // Unpinned (--pin=0): pinning puts every server on one core, which on a loaded shared machine makes
    // this run, which checks the table and not the figures, slower than its time allows.
    execFile(process.execPath, ['bench/run.ts', '--pin=0', '--rounds=1', '--token-requests=100', '--token-concurrency=4', '--signins=4', '--signin-concurrency=2', '--min-token-ratio=0', '--pdp-requests=100', '--pdp-concurrency=4'],
      { cwd: root, timeout: 300_000 }, (err, stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr }));
  });
  t.is(code, 0, stderr);
  const rows = stdout.split('\n').filter((l) => l.startsWith('| token') || l.startsWith('| sign-in') || l.startsWith('| PDP') || l.startsWith('| jump'));
  t.true(rows.length >= 8, stdout);
  // The decision point beside the no-op Koa endpoint, in both forms (issue 4).
  for (const form of ['/pdp/v1/decide', 'auth-request']) {
    t.true(rows.some((r) => r.includes(form) && r.includes('no-op Koa endpoint (baseline)')), form);
    t.true(rows.some((r) => r.includes(form) && r.includes('| PDP, in-memory store')), form);
  }
  t.true(rows.some((r) => r.includes('bare oidc-provider (baseline)')));
  // A jump beside a plain sign-in on the same gateway, same run (issue 11).
  t.true(rows.some((r) => r.startsWith('| jump') && r.includes('plain BankID sign-in (baseline)')), stdout);
  t.true(rows.some((r) => r.startsWith('| jump') && r.includes('ticket + silent sign-in')), stdout);
  // The token endpoint for a registry product, through the token gate (issue 3).
  t.true(rows.some((r) => r.startsWith('| token') && r.includes('product through the token gate')), stdout);
  for (const row of rows) {
    const cells = row.split('|').map((c) => c.trim());
    t.is(cells[7], '0', `no failures: ${row}`);
    t.true(Number(cells[3]) > 0, `req/s measured: ${row}`);
    t.regex(cells[8] ?? '', /^\d+\.\d\d$/, `a ratio: ${row}`);
  }
});
