// Prometheus metrics (issue 14, item 8): after a whole sign-in-and-decide run (test/helpers/observedRun.ts)
// /metrics counts the sign-in by method and outcome, the tokens by grant and product, the decisions by
// reason, the upstream and store latencies and the audit backlog; it names no person and no token; a
// caller cannot grow its labels without end; the Grafana dashboard (config/grafana/gateway.json) queries
// only metrics that exist; and /metrics is served only as configured (token, sandbox, off).
import test from 'ava';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { observedRun, ANNA, BERTIL, type ObservedRun } from '../helpers/observedRun.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { createOps } from '../../src/http/ops.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import { systemClock } from '../../src/clock.ts';
import { MAX_PRODUCTS, productLabel } from '../../src/http/metrics.ts';

let run: ObservedRun;
let text: string;
test.before(async () => {
  run = await observedRun();
  const res = await fetch(`${run.gw.url}/metrics`);
  text = await res.text();
});
test.after.always(async () => {
  await run?.close();
});

/** The value of one series, or undefined when it is not there. */
function value(name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

test('the run is counted: sign-in, tokens, decisions', (t) => {
  t.true((value('gateway_signins_total', { method: 'bankid', outcome: 'completed' }) ?? 0) >= 1);
  t.true((value('gateway_tokens_total', { grant: 'authorization_code', product: run.productId, outcome: 'issued' }) ?? 0) >= 1, 'the product\'s id, not a person');
  t.true((value('gateway_tokens_total', { grant: 'authorization_code', outcome: 'invalid_client' }) ?? 0) >= 1, 'a refused token request by its error');
  t.true((value('gateway_pdp_decisions_total', { form: 'decide', decision: 'permit', reason: 'permitted' }) ?? 0) >= 1);
  t.true((value('gateway_pdp_decisions_total', { form: 'decide', decision: 'deny', reason: 'citizen_not_token_subject' }) ?? 0) >= 1);
  t.true((value('gateway_pdp_decisions_total', { form: 'decide', decision: 'deny', reason: 'dpop_missing' }) ?? 0) >= 1);
});

test('latencies and the audit backlog are there', (t) => {
  t.true((value('gateway_redis_operation_duration_seconds_count', { operation: 'get', outcome: 'ok' }) ?? 0) > 0, 'Redis');
  t.true((value('gateway_db_query_duration_seconds_count', { db: 'pglite', kind: 'statement', outcome: 'ok' }) ?? 0) > 0, 'the database');
  t.not(value('gateway_decision_audit_queue_length', {}), undefined, 'the decision audit queue');
  const lag = value('gateway_audit_checkpoint_lag_seconds', {});
  t.true(lag !== undefined && lag >= 0 && lag < 60, `the checkpoint lag (${lag})`);
  t.regex(text, /# TYPE gateway_upstream_request_duration_seconds histogram/);
  t.regex(text, /# TYPE gateway_limit_trips_total counter/);
  t.regex(text, /# TYPE gateway_suspensions_total counter/);
});

test('/metrics names no person and no token', (t) => {
  for (const secret of [ANNA, ANNA.slice(2), BERTIL, 'Anna', 'Andersson', ...run.secrets]) t.false(text.includes(secret));
  t.notRegex(text, /eyJ[A-Za-z0-9_-]{8,}\./);
});

test('labels stay bounded: grants, clients and products a caller makes up are not new series', async (t) => {
  const series = () => text.split('\n').filter((l) => l.startsWith('gateway_tokens_total{')).length;
  const before = series();
  for (let i = 0; i < 30; i += 1) {
    await fetch(`${run.gw.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: `made-up-${i}`, client_id: `nobody-${i}` }),
    });
  }
  text = await (await fetch(`${run.gw.url}/metrics`)).text();
  t.true(series() <= before + 2, `token series ${before} -> ${series()}`);
  t.false(text.includes('made-up-'), 'no made-up grant as a label');
  t.false(text.includes('nobody-'), 'no made-up client as a label');
  // The product label is capped: past MAX_PRODUCTS distinct ids the rest are "other".
  for (let i = 0; i < MAX_PRODUCTS + 5; i += 1) productLabel(`p-cap-${i}`);
  t.is(productLabel('p-one-too-many'), 'other');
  t.is(productLabel('19800312-1236 Anna'), 'unknown', 'anything that is not an id is no label');
});

test('the Grafana dashboard queries only metrics /metrics has', (t) => {
  const dashboard = JSON.parse(readFileSync(new URL('../../config/grafana/gateway.json', import.meta.url), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  const exposed = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram'
    ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name ?? ''])));
  const queried = dashboard.panels.flatMap((p) => p.targets.flatMap((q) => [...q.expr.matchAll(/\b((?:gateway|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1] ?? '')));
  t.true(queried.length >= 12, 'every panel queries');
  t.deepEqual(queried.filter((name) => !exposed.has(name)), [], 'metrics the dashboard asks for and /metrics does not have');
  // And the check can fail: a name the gateway does not have is caught.
  t.false(exposed.has('gateway_signins'));
});

async function opsServer(access: Parameters<typeof createOps>[2]) {
  const ops = createOps(new MemoryStore(systemClock), [], access);
  const app = new Koa();
  app.use(ops.router.routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

test('/metrics is served only to its token, open in the sandbox, and not at all in production without one', async (t) => {
  const guarded = await opsServer({ token: 'a-scraper-token-of-32-characters' });
  try {
    t.is((await fetch(`${guarded.url}/metrics`)).status, 401);
    t.is((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong-token' } })).status, 401);
    t.is((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer a-scraper-token-of-32-characterz' } })).status, 401);
    const ok = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer a-scraper-token-of-32-characters' } });
    t.is(ok.status, 200);
    t.regex(await ok.text(), /gateway_signins_total/);
  } finally {
    await guarded.close();
  }
  const off = await opsServer('off');
  try {
    t.is((await fetch(`${off.url}/metrics`)).status, 404);
  } finally {
    await off.close();
  }
  // Wired from the configuration: http.metricsTokenFile guards a real gateway's /metrics.
  const dir = mkdtempSync(join(tmpdir(), 'metrics-token-'));
  writeFileSync(join(dir, 'token'), 'configured-scraper-token-0123456789\n');
  const gw = await startTestGateway({ overrides: { http: { host: '127.0.0.1', port: 0, metricsTokenFile: join(dir, 'token') } } });
  try {
    t.is((await fetch(`${gw.url}/metrics`)).status, 401);
    t.is((await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer configured-scraper-token-0123456789' } })).status, 200);
  } finally {
    await gw.close();
  }
});
