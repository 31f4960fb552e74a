// The decision point's HTTP forms and the built-in enforcement proxy:
//   POST /pdp/v1/decide             JSON target + the access token and its DPoP proof (htu = this URL)
//   GET|POST /pdp/v1/auth-request   nginx auth_request / Envoy ext_authz (HTTP service): the original
//                                   request's method and URI map through the route table; the DPoP
//                                   proof's htu is the original public URL
//   /pep/<route>                    decide, then forward to the route's upstream data API
// A permit carries the target for the data API in headers; Authorization and DPoP never go upstream.
import { Readable } from 'node:stream';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { sendProblem } from '../http/problem.ts';
import type { Logger } from '../log.ts';
import type { Decision, DecisionRequest, Permit, PolicyDecisionPoint } from './pdp.ts';
import { RouteTable, pathOf, upstreamUrl } from './routeTable.ts';

export interface PdpHttpOptions {
  pdp: PolicyDecisionPoint;
  issuer: string;
  /** Origin the clients of nginx/Envoy address (auth-request's htu); default the issuer. */
  publicOrigin: string;
  routes: RouteTable;
  upstreamTimeoutMs: number;
  retryAfterSeconds: number;
  mtlsCertificateHeader?: string | undefined;
  logger: Logger;
}

/** Larger Authorization or DPoP headers are not tokens or proofs we issue or accept. */
const MAX_CREDENTIAL_HEADER = 8192;

// RFC 9110 §7.6.1 hop-by-hop fields, plus what identifies the caller to us and must not reach the API.
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'authorization', 'dpop', 'cookie', 'content-length', 'accept-encoding', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']);
const NOT_RETURNED = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'set-cookie', 'content-length']);

export function permitHeaders(decision: Permit) {
  const o = decision.obligations;
  return {
    'x-controller': o.controller,
    'x-dataset': o.dataset,
    'x-action': o.action,
    'x-citizen-pseudonym': o.citizenPseudonym,
    'x-product': o.product,
    'x-decision-id': decision.id,
  };
}

type PermitHeaders = ReturnType<typeof permitHeaders>;

function header(ctx: Context, name: string): string | undefined {
  const v = ctx.get(name);
  return v ? v : undefined;
}

function oversized(ctx: Context): boolean {
  return (ctx.get('authorization').length > MAX_CREDENTIAL_HEADER) || (ctx.get('dpop').length > MAX_CREDENTIAL_HEADER);
}

function credentials(ctx: Context, certificateHeader: string | undefined): Pick<DecisionRequest['http'], 'authorization' | 'dpop' | 'clientCertificate'> {
  const cert = certificateHeader ? header(ctx, certificateHeader) : undefined;
  return {
    authorization: header(ctx, 'authorization'),
    dpop: header(ctx, 'dpop'),
    ...(cert ? { clientCertificate: decodeURIComponent(cert) } : {}),
  };
}

/** A denial as the HTTP forms answer it: problem+json with the decision, a challenge, Retry-After. */
function sendDenial(ctx: Context, decision: Decision, retryAfterSeconds: number, status = decision.status): void {
  if (decision.challenge) ctx.set('WWW-Authenticate', decision.challenge);
  if (status === 503) ctx.set('Retry-After', String(retryAfterSeconds));
  if (status === 429) ctx.set('Retry-After', '1');
  ctx.set('X-Deny-Reason', decision.reasons.join(' '));
  sendProblem(ctx, { status, type: decision.reasons[0], title: 'Access denied', detail: `denied by ${decision.check ?? 'the decision point'}: ${decision.reasons.join(', ')}`,
    decision: 'deny', reasons: decision.reasons, decisionId: decision.id });
}

export function pdpRouter(o: PdpHttpOptions): Router {
  const router = new Router();

  router.post('/pdp/v1/decide', bodyParser({ enableTypes: ['json'], jsonLimit: '4kb', encoding: 'utf-8' }), async (ctx) => {
    if (oversized(ctx)) return sendProblem(ctx, { status: 431, type: 'header_too_large', title: 'Credential header too large', decision: 'deny', reasons: ['header_too_large'] });
    const body = (ctx.request as unknown as { body?: unknown }).body;
    const target = body && typeof body === 'object' && !Array.isArray(body) ? (body as { target?: unknown }).target : undefined;
    if (!target || typeof target !== 'object' || Array.isArray(target)) {
      return sendProblem(ctx, { status: 400, type: 'target_missing', title: 'Bad request', detail: 'send {"target": {"controller", "dataset", "citizen", "action"}}', decision: 'deny', reasons: ['target_missing'] });
    }
    const decision = await o.pdp.decide({
      interface: 'decide',
      http: { method: 'POST', url: `${o.issuer}/pdp/v1/decide`, ...credentials(ctx, o.mtlsCertificateHeader) },
      target: target as DecisionRequest['target'],
    });
    if (decision.decision === 'permit') {
      ctx.body = { decision: 'permit', reasons: decision.reasons, decisionId: decision.id, obligations: { headers: permitHeaders(decision) } };
      return;
    }
    // A policy deny is a well-formed answer to a well-formed question: 200 with decision "deny".
    if (decision.status === 403 || decision.status === 429) {
      ctx.body = { decision: 'deny', reasons: decision.reasons, check: decision.check, decisionId: decision.id };
      if (decision.status === 429) {
        ctx.status = 429;
        ctx.set('Retry-After', '1');
      }
      return;
    }
    sendDenial(ctx, decision, o.retryAfterSeconds);
  });

  // nginx: `auth_request /pdp/v1/auth-request;` with X-Original-Method and X-Original-URI.
  // Envoy ext_authz (HTTP service, path_prefix /pdp/v1/auth-request): the original method, and the
  // original path appended to the prefix.
  const authRequest = async (ctx: Context) => {
    if (oversized(ctx)) {
      ctx.set('X-Deny-Reason', 'header_too_large');
      ctx.status = 403;
      return;
    }
    const prefix = '/pdp/v1/auth-request';
    const originalUri = header(ctx, 'x-original-uri') ?? (ctx.path.length > prefix.length ? ctx.originalUrl.slice(prefix.length) : undefined);
    const method = (header(ctx, 'x-original-method') ?? (header(ctx, 'x-original-uri') ? 'GET' : ctx.method)).toUpperCase();
    const target = originalUri ? o.routes.match(method, originalUri) : undefined;
    if (!originalUri || !target) {
      ctx.set('X-Deny-Reason', originalUri ? 'route_unknown' : 'original_uri_missing');
      ctx.status = 403;
      return;
    }
    const decision = await o.pdp.decide({
      interface: 'auth-request',
      http: { method, url: `${o.publicOrigin}${pathOf(originalUri)}`, ...credentials(ctx, o.mtlsCertificateHeader) },
      target: { controller: target.controller, dataset: target.dataset, citizen: target.citizen, action: target.action },
    });
    if (decision.decision === 'permit') {
      for (const [k, v] of Object.entries(permitHeaders(decision))) ctx.set(k, v);
      ctx.status = 200;
      ctx.body = '';
      return;
    }
    // nginx passes on only 401 and 403 (anything else is its own 500): a bad target is a 403 here.
    const status = decision.status === 401 || decision.status === 503 ? decision.status : 403;
    sendDenial(ctx, decision, o.retryAfterSeconds, status);
  };
  router.get('/pdp/v1/auth-request', authRequest);
  router.post('/pdp/v1/auth-request', authRequest);
  router.all('/pdp/v1/auth-request/*rest', authRequest);

  router.all('/pep/*rest', async (ctx) => {
    if (oversized(ctx)) return sendProblem(ctx, { status: 431, type: 'header_too_large', title: 'Credential header too large' });
    const uri = ctx.originalUrl.slice('/pep'.length);
    const target = o.routes.match(ctx.method, uri);
    if (!target?.route.upstream) return sendProblem(ctx, { status: 404, type: 'route_unknown', title: 'No such data API route', decision: 'deny', reasons: ['route_unknown'] });
    const decision = await o.pdp.decide({
      interface: 'pep',
      http: { method: ctx.method, url: `${o.issuer}${ctx.path}`, ...credentials(ctx, o.mtlsCertificateHeader) },
      target: { controller: target.controller, dataset: target.dataset, citizen: target.citizen, action: target.action },
    });
    if (decision.decision !== 'permit') return sendDenial(ctx, decision, o.retryAfterSeconds);
    await forward(ctx, upstreamUrl(target, uri), permitHeaders(decision), o);
  });

  return router;
}

async function forward(ctx: Context, url: URL, extra: PermitHeaders, o: PdpHttpOptions): Promise<void> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(ctx.headers)) {
    if (v === undefined || NOT_FORWARDED.has(k) || k.startsWith('x-original-')) continue;
    // Connection may name further hop-by-hop fields (RFC 9110 §7.6.1).
    if (ctx.get('connection').toLowerCase().split(/\s*,\s*/).includes(k)) continue;
    headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  const hasBody = !['GET', 'HEAD'].includes(ctx.method);
  let res: Response;
  try {
    res = await fetch(url, {
      method: ctx.method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(o.upstreamTimeoutMs),
      ...(hasBody ? { body: Readable.toWeb(ctx.req) as ReadableStream, duplex: 'half' } : {}),
    } as RequestInit);
  } catch (err) {
    const timeout = (err as Error).name === 'TimeoutError';
    o.logger.warn({ upstream: url.origin, reason: timeout ? 'timeout' : 'unreachable' }, 'PEP upstream failed');
    return sendProblem(ctx, { status: timeout ? 504 : 502, type: timeout ? 'upstream_timeout' : 'upstream_unreachable', title: 'The data API did not answer' });
  }
  ctx.status = res.status;
  res.headers.forEach((v, k) => {
    if (!NOT_RETURNED.has(k)) ctx.set(k, v);
  });
  ctx.set('x-controller', extra['x-controller']);
  ctx.set('x-decision-id', extra['x-decision-id']);
  // Streamed through: the proxy never holds a whole response (the timeout covers the headers).
  ctx.body = res.body ? Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) : '';
}
