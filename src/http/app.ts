// The outer Koa app: it owns the HTTP server, runs the cross-cutting middleware once, and hands each
// request to exactly one owner — the feature modules' mounts by path, everything else to
// oidc-provider. A gateway route never runs through the provider's middleware chain, and an OAuth
// request only pays for a few string comparisons before it reaches the provider.
import { randomUUID } from 'node:crypto';
import Koa, { type Middleware, type ParameterizedContext } from 'koa';
import type Router from '@koa/router';
import type Provider from 'oidc-provider';
import { inRequest, type Logger } from '../log.ts';
import { errorBoundary, problem } from './problem.ts';
import { securityHeaders } from './securityHeaders.ts';

/** Who answers a request: the gateway's own routes (problem+json) or oidc-provider (the RFCs' errors). */
export type Owner = 'gateway' | 'oauth';

/** What every request carries in ctx.state, set before any route runs. */
export interface GatewayState {
  /** The caller's X-Request-Id when it is a sane token, else a fresh one; echoed on the response. */
  requestId: string;
  owner: Owner;
}

export type GatewayContext = ParameterizedContext<GatewayState>;
export type GatewayMiddleware = Middleware<GatewayState>;

/** A feature module's routes and the paths they own. */
export interface Mount {
  /** What is mounted, for whoever reads the assembly. */
  name: string;
  /** Subtrees owned: '/admin' owns /admin and /admin/... */
  under?: readonly string[];
  /** Single paths owned. */
  paths?: readonly string[];
  routes: ReturnType<Router['routes']>;
  /**
   * Its routes check every path parameter with their own schemas, after authenticating (the admin
   * API's route table): the shared path check leaves its paths to them, so a refusal names the
   * parameter and an anonymous caller learns nothing about its ids.
   */
  checksOwnPaths?: boolean;
}

/**
 * Whether a mount owns a path. Its routers match case-insensitively and allow one trailing slash
 * (@koa/router's defaults), so ownership is decided the same way: `/healthz/` still reaches health.
 */
const owns = (mount: Mount, rawPath: string): boolean => {
  const lower = rawPath.toLowerCase();
  const path = lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
  return (mount.paths?.includes(path) ?? false)
    || (mount.under?.some((p) => path === p || (path.startsWith(p) && path.charCodeAt(p.length) === 47 /* '/' */)) ?? false);
};

/** A request id from a proxy is kept only when it cannot smuggle anything into logs or headers. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIds(): GatewayMiddleware {
  return async (ctx, next) => {
    const offered = ctx.get('x-request-id');
    ctx.state.requestId = REQUEST_ID.test(offered) ? offered : randomUUID();
    ctx.set('x-request-id', ctx.state.requestId);
    // Everything the request runs, to its deepest await, logs with its id (src/log.ts).
    await inRequest(ctx.state.requestId, next);
  };
}

/** Longest path and query taken; anything longer is no URL of this gateway (414). */
const MAX_PATH = 2048;
const MAX_QUERY = 8192;
/** A NUL or control byte, raw or percent-encoded: no id, path or parameter of this gateway has one. */
const CONTROL_IN_PATH = /[\u0000-\u001f\u007f]|%(?:[01][0-9a-f]|7f)/i;
const NUL_IN_QUERY = /\u0000|%00/;

/**
 * The checks every route's parameters share, before any route reads them: a path or query too long,
 * a control byte or a broken percent-encoding in the path, a NUL anywhere in the query. Each route's
 * own schema then checks the charset and length of its ids; this keeps what no schema should ever
 * see (and a database refuses with an error) out of all of them, in the owner's error shape.
 */
function hostileUrl(ctx: GatewayContext, owners: readonly Mount[]): void {
  const path = ctx.path;
  const query = ctx.querystring;
  if (path.length > MAX_PATH || query.length > MAX_QUERY) throw problem(414, 'uri_too_long', 'URI too long', `paths up to ${MAX_PATH} and queries up to ${MAX_QUERY} characters`);
  if (NUL_IN_QUERY.test(query)) throw problem(400, 'query_invalid', 'Bad request', 'the query has a NUL byte');
  if (owners.some((m) => m.checksOwnPaths)) return;
  let broken = CONTROL_IN_PATH.test(path);
  if (!broken) {
    try {
      decodeURIComponent(path);
    } catch {
      broken = true;
    }
  }
  if (broken) throw problem(400, 'path_invalid', 'Bad request', 'the path has a control character or a broken percent-encoding');
}

/**
 * Runs the mounts that own the path, in the order given (several may share a subtree, e.g. /admin);
 * a path no mount owns goes to oidc-provider's own chain, with this app's context.
 */
function dispatch(mounts: readonly Mount[], provider: Provider): GatewayMiddleware {
  const providerChain = composeProvider(provider);
  return async (ctx, next) => {
    const owners = mounts.filter((m) => owns(m, ctx.path));
    ctx.state.owner = owners.length ? 'gateway' : 'oauth';
    hostileUrl(ctx, owners);
    if (!owners.length) {
      await providerChain(ctx, next);
      return;
    }
    const run = async (i: number): Promise<void> => {
      const mount = owners[i];
      if (!mount) return next();
      // A router adds its own params and router to the context it is given; the state is ours.
      await mount.routes(ctx as Parameters<Mount['routes']>[0], () => run(i + 1));
    };
    await run(0);
  };
}

/**
 * oidc-provider is a Koa app: its middleware runs as one step of this chain, on this app's context
 * (same cookie keys and proxy setting), so the outer headers, timing and boundary cover it too.
 */
function composeProvider(provider: Provider): GatewayMiddleware {
  const chain: readonly Middleware[] = provider.middleware;
  return (ctx, next) => {
    const step = async (i: number): Promise<void> => {
      const fn = chain[i];
      if (!fn) return next();
      await fn(ctx, () => step(i + 1));
    };
    return step(0);
  };
}

export interface OuterAppOptions {
  provider: Provider;
  trustProxy: boolean;
  hsts: boolean;
  logger: Logger;
  /** Request timing (ops); outermost, so it sees every answer. */
  metrics: Middleware;
  mounts: readonly Mount[];
}

export function outerApp(o: OuterAppOptions): Koa<GatewayState> {
  const app = new Koa<GatewayState>();
  app.proxy = o.trustProxy;
  // The provider's cookie keys: its chain runs on this app's contexts, and so do the gateway's signed cookies.
  if (o.provider.keys) app.keys = o.provider.keys;
  // The error boundary answers every error inside the chain; Koa's own handler would log those a
  // second time, with a stack. What escapes it (the cross-cutting middleware before it, a broken
  // response stream) is logged here, message only.
  app.silent = true;
  app.on('error', (err: unknown, ctx?: GatewayContext) => {
    o.logger.error({ err: err instanceof Error ? err.message : typeof err, path: ctx?.path, requestId: ctx?.state.requestId }, 'error outside the error boundary');
  });
  app.use(o.metrics as GatewayMiddleware);
  app.use(securityHeaders({ hsts: o.hsts }));
  app.use(requestIds());
  app.use(errorBoundary(o.logger));
  app.use(dispatch(o.mounts, o.provider));
  return app;
}
