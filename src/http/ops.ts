// Operations endpoints: liveness, readiness (the store answers) and Prometheus metrics.
import cluster from 'node:cluster';
import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { Registry, collectDefaultMetrics, Histogram } from 'prom-client';
import type { HotStore } from '../store/hotStore.ts';
import { metricsRegistry } from './metrics.ts';

export interface Ops {
  router: Router;
  /** Times every request by route class; labels never carry ids, tokens or people. */
  metricsMiddleware: Middleware;
  registry: Registry;
}

/** Route classes for the metrics label: a bounded set, so an attacker cannot explode cardinality. */
function routeClass(path: string): string {
  if (path.startsWith('/interaction/')) return 'interaction';
  if (path.startsWith('/sandbox/')) return 'sandbox';
  if (path.startsWith('/admin/')) return 'admin';
  if (path.startsWith('/pdp/')) return 'pdp';
  const known = ['/auth', '/token', '/request', '/me', '/jwks', '/token/introspection', '/token/revocation', '/session/end', '/.well-known/openid-configuration', '/healthz', '/readyz', '/metrics', '/'];
  return known.includes(path) ? path : 'other';
}

/** Something else readiness depends on (the registry's database); ping throws when it cannot answer. */
export interface ReadinessCheck {
  name: string;
  ping(): Promise<void>;
}

/**
 * Who may read /metrics. The metrics name products and reasons, never people, but they still tell an
 * outsider how the service runs: only a scraper holding the token reads them, or anyone in the
 * sandbox, and a production gateway without a token does not serve them at all.
 */
export type MetricsAccess = { token: string } | 'open' | 'off';

/** The bearer token compared in constant time (both sides hashed first, so lengths do not leak either). */
function holdsToken(authorization: string, token: string): boolean {
  const m = /^Bearer ([^\s]+)$/i.exec(authorization);
  if (!m?.[1]) return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(m[1]), digest(token));
}

export function createOps(store: HotStore, checks: ReadinessCheck[] = [], metricsAccess: MetricsAccess = 'open'): Ops {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'HTTP request duration by route class and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const router = new Router();
  router.get('/healthz', (ctx) => {
    // Under GATEWAY_WORKERS, which worker answered (operators checking the spread; the workers test).
    ctx.body = cluster.isWorker && cluster.worker ? { status: 'ok', worker: cluster.worker.id } : { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const failing: string[] = [];
    try {
      await store.ping();
    } catch {
      failing.push('store');
    }
    for (const check of checks) {
      try {
        await check.ping();
      } catch {
        failing.push(check.name);
      }
    }
    if (!failing.length) {
      ctx.body = { status: 'ready', store: store.kind };
      return;
    }
    ctx.status = 503;
    ctx.set('retry-after', '1');
    ctx.body = { status: 'unavailable', store: store.kind, failing };
  });
  router.get('/metrics', async (ctx) => {
    if (metricsAccess === 'off') {
      ctx.status = 404;
      ctx.body = { status: 'not_served', detail: 'set http.metricsTokenFile to serve /metrics' };
      return;
    }
    if (metricsAccess !== 'open' && !holdsToken(ctx.get('authorization'), metricsAccess.token)) {
      ctx.status = 401;
      ctx.set('www-authenticate', 'Bearer realm="metrics"');
      ctx.body = { status: 'unauthorized' };
      return;
    }
    ctx.type = registry.contentType;
    ctx.set('cache-control', 'no-store');
    // This instance's request timings and runtime, then the process's gateway metrics (src/http/metrics.ts).
    ctx.body = `${await registry.metrics()}\n${await metricsRegistry.metrics()}`;
  });

  const metricsMiddleware: Middleware = async (ctx, next) => {
    const end = duration.startTimer();
    try {
      await next();
    } finally {
      end({ route: routeClass(ctx.path), method: ctx.method, status: String(ctx.status) });
    }
  };
  return { router, metricsMiddleware, registry };
}
