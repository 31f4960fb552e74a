// The gateway's own Prometheus metrics (issue 14, item 8; docs/operations.md, "Metrics"): sign-ins,
// tokens, decisions, limit trips and suspensions, the upstream e-IDs, Redis and PostgreSQL, and the
// audit backlog. They live in one registry per process (the process is one gateway; /metrics serves
// it beside the request timings and the runtime's metrics of src/http/ops.ts), so a module records an
// event with one call and no registry threaded through its dependencies.
//
// Labels are bounded: methods, grants, reasons and operations are the code's own closed sets, and the
// one label that comes from data — the product — is a product's id (or its client id), never a person,
// capped at MAX_PRODUCTS distinct values so that no caller can grow the series without end.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const metricsRegistry = new Registry();

/** Distinct values one data-derived label may take; the rest are counted as `other`. */
export const MAX_PRODUCTS = 500;
const seenProducts = new Set<string>();
/** A label value safe to emit: a product id of the usual charset, among the first MAX_PRODUCTS seen. */
export function productLabel(id: string | undefined): string {
  if (!id || !/^[A-Za-z0-9._:-]{1,64}$/.test(id)) return 'unknown';
  if (seenProducts.has(id)) return id;
  if (seenProducts.size >= MAX_PRODUCTS) return 'other';
  seenProducts.add(id);
  return id;
}

/** An upstream's error code (BankID's camelCase words, Freja's numbers) as a label; anything else `other`. */
export function errorLabel(code: string | undefined): string {
  return code && /^[A-Za-z0-9_]{1,40}$/.test(code) ? code : 'other';
}

/** A reason code as a label: the code's own snake_case words, anything else `other`. */
export function reasonLabel(reason: string | undefined): string {
  return reason && /^[a-z][a-z0-9_]{0,63}$/.test(reason) ? reason : 'other';
}

const seconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const upstreamSeconds = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const signIns = new Counter({
  name: 'gateway_signins_total',
  help: 'Sign-ins finished at the gateway, by e-ID method and outcome (completed, or the refusal reason)',
  labelNames: ['method', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const tokens = new Counter({
  name: 'gateway_tokens_total',
  help: 'Token endpoint answers by grant type, product (client id) and outcome (issued, or the OAuth error code)',
  labelNames: ['grant', 'product', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const decisions = new Counter({
  name: 'gateway_pdp_decisions_total',
  help: 'Policy decisions by form (decide, auth-request, pep), decision and reason',
  labelNames: ['form', 'decision', 'reason'] as const,
  registers: [metricsRegistry],
});

export const limitTrips = new Counter({
  name: 'gateway_limit_trips_total',
  help: 'Exposure limits tripped (breach containment), by reason',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

export const suspensions = new Counter({
  name: 'gateway_suspensions_total',
  help: 'Products suspended at a controller by breach containment, by reason',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

export const upstreamDuration = new Histogram({
  name: 'gateway_upstream_request_duration_seconds',
  help: 'Calls to the upstream e-IDs (BankID, Freja eID) and SAML responses handled, by upstream and operation',
  labelNames: ['upstream', 'operation'] as const,
  buckets: upstreamSeconds,
  registers: [metricsRegistry],
});

export const upstreamErrors = new Counter({
  name: 'gateway_upstream_errors_total',
  help: 'Failed calls to, or refused answers from, the upstream e-IDs, by upstream, operation and error code',
  labelNames: ['upstream', 'operation', 'error'] as const,
  registers: [metricsRegistry],
});

export const redisDuration = new Histogram({
  name: 'gateway_redis_operation_duration_seconds',
  help: 'Hot-store operations on Redis (each may be several commands), by operation and outcome',
  labelNames: ['operation', 'outcome'] as const,
  buckets: seconds,
  registers: [metricsRegistry],
});

export const dbDuration = new Histogram({
  name: 'gateway_db_query_duration_seconds',
  help: 'Statements and transactions on the registry database (postgres or pglite), by kind and outcome',
  labelNames: ['db', 'kind', 'outcome'] as const,
  buckets: seconds,
  registers: [metricsRegistry],
});

/** Times one promise into a histogram with an outcome label; the result or error passes through. */
export async function timed<T, L extends string>(histogram: Histogram<L>, labels: Partial<Record<L, string>>, work: () => Promise<T>): Promise<T> {
  const end = histogram.startTimer(labels);
  try {
    const result = await work();
    end({ outcome: 'ok' } as Partial<Record<L, string>>);
    return result;
  } catch (err) {
    end({ outcome: 'error' } as Partial<Record<L, string>>);
    throw err;
  }
}

/** Times a call to an upstream e-ID; a failure is counted under its error code too. */
export async function upstreamCall<T>(upstream: string, operation: string, work: () => Promise<T>, errorCode: (err: unknown) => string): Promise<T> {
  const end = upstreamDuration.startTimer({ upstream, operation });
  try {
    return await work();
  } catch (err) {
    upstreamErrors.inc({ upstream, operation, error: errorLabel(errorCode(err)) });
    throw err;
  } finally {
    end();
  }
}

// --- audit backlog -------------------------------------------------------------------------------
// Read at scrape time from whatever this process runs: the decision audit's queue (the Redis stream or
// the in-memory one) and the checkpointer's last successful run.

const queueSources = new Set<() => Promise<number>>();
/** The decision audit registers its queue length while it runs; the returned function unregisters it. */
export function watchDecisionAuditQueue(pending: () => Promise<number>): () => void {
  queueSources.add(pending);
  return () => queueSources.delete(pending);
}

new Gauge({
  name: 'gateway_decision_audit_queue_length',
  help: 'Decision audit records queued and not yet written to PostgreSQL',
  registers: [metricsRegistry],
  async collect() {
    let total = 0;
    for (const pending of queueSources) total += await pending().catch(() => 0);
    this.set(total);
  },
});

const checkpointRuns = new Map<object, { startedAt: number; lastOk: number | undefined }>();
/** The checkpointer registers itself when it starts; `ok` marks a run that left every chain checkpointed. */
export function watchCheckpoints(owner: object, now: number): { ok(at: number): void; stop(): void } {
  checkpointRuns.set(owner, { startedAt: now, lastOk: undefined });
  return {
    ok: (at) => { const run = checkpointRuns.get(owner); if (run) run.lastOk = at; },
    stop: () => { checkpointRuns.delete(owner); },
  };
}

new Gauge({
  name: 'gateway_audit_checkpoint_lag_seconds',
  help: 'Seconds since the audit chains were last checkpointed by this instance (since start while none has been)',
  registers: [metricsRegistry],
  collect() {
    const now = Date.now();
    let lag = 0;
    for (const run of checkpointRuns.values()) lag = Math.max(lag, (now - (run.lastOk ?? run.startedAt)) / 1000);
    this.set(lag);
  },
});

export const checkpointFailures = new Counter({
  name: 'gateway_audit_checkpoint_failures_total',
  help: 'Audit checkpoint runs that failed (a sink or the database unavailable, or a chain that changed)',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

// --- tokens --------------------------------------------------------------------------------------

const GRANTS = new Set(['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code',
  'urn:openid:params:grant-type:ciba', 'urn:ietf:params:oauth:grant-type:token-exchange']);

/** The token endpoint's context as far as the counter reads it (oidc-provider's KoaContextWithOIDC). */
interface TokenContext {
  oidc?: { params?: { grant_type?: unknown }; client?: { clientId: string; product_id?: unknown } };
}

/** Counts one token endpoint answer: the grant (a known one, else `other`), the product, the outcome. */
export function countToken(ctx: TokenContext, outcome: string): void {
  const grant = typeof ctx.oidc?.params?.grant_type === 'string' && GRANTS.has(ctx.oidc.params.grant_type) ? ctx.oidc.params.grant_type : 'other';
  const client = ctx.oidc?.client;
  const product = typeof client?.product_id === 'string' ? client.product_id : client?.clientId;
  tokens.inc({ grant, product: productLabel(product), outcome: outcome === 'issued' ? outcome : reasonLabel(outcome) });
}

/** An e-ID method id (bankid, freja, siths-saml, …) as a label; anything else `other`. */
export function methodLabel(method: unknown): string {
  return typeof method === 'string' && /^[a-z][a-z0-9-]{0,31}$/.test(method) ? method : 'other';
}

// --- decisions, limits, suspensions --------------------------------------------------------------

/** One decision of the decision point: its form (decide, auth-request, pep), permit or deny, its first reason. */
export function countDecision(form: string, decision: 'permit' | 'deny', reason: string | undefined): void {
  decisions.inc({ form: methodLabel(form), decision, reason: reasonLabel(reason) });
}
