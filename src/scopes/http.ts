// The decision point's HTTP forms and the built-in enforcement proxy:
//   POST /pdp/v1/decide             JSON target + the access token and its DPoP proof (htu = this URL)
//   GET|POST /pdp/v1/auth-request   nginx auth_request / Envoy ext_authz (HTTP service): the original
//                                   request's method and URI map through the route table; the DPoP
//                                   proof's htu is the original public URL
//   /pep/<route>                    decide, then forward to the route's upstream data API
// A permit carries the target for the data API in one signed header, the decision assertion
// (Gateway-Decision, src/scopes/decisionAssertion.ts), bound to the request it permits. The PEP forwards
// only an allow-list of the product's request headers (content negotiation, conditional requests, the
// body's description, trace context): never its credentials, nor anything that could claim an identity,
// a forwarding path or a client certificate to the data API (X-Citizen, X-User, X-Forwarded-*,
// X-SSL-Client-Cert, Forwarded, Cookie...), whatever the API would make of them.
import type { IncomingMessage } from 'node:http';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { sendProblem } from '../http/problem.ts';
import { countDecision } from '../http/metrics.ts';
import type { Logger } from '../log.ts';
import type { Decision, DecisionRequest, Permit, PolicyDecisionPoint } from './pdp.ts';
import { DECISION_ASSERTION_HEADER, type DecisionSigner } from './decisionAssertion.ts';
import { UpstreamTimeout, type UpstreamClient } from './upstreamClient.ts';
import { RouteTable, isRefusal, pathOf, queryOf, upstreamUrl, type QueryRefusal, type RouteTarget } from './routeTable.ts';
import { stripFields } from '../citizens/protectedIdentity.ts';

export interface PdpHttpOptions {
  pdp: PolicyDecisionPoint;
  issuer: string;
  /** Origin the clients of nginx/Envoy address (auth-request's htu); default the issuer. */
  publicOrigin: string;
  routes: RouteTable;
  /** Signs the decision assertion a permit sends upstream. */
  signer: DecisionSigner;
  /** The PEP's client to the data APIs (its timeout, its TLS client certificate). */
  upstream: UpstreamClient;
  retryAfterSeconds: number;
  mtlsCertificateHeader?: string | undefined;
  logger: Logger;
  /** Response fields removed for a citizen with protected identity, per data set (lower-case names). */
  protectedFields: (dataset: string) => ReadonlySet<string>;
}

/** Larger Authorization or DPoP headers are not tokens or proofs we issue or accept. */
const MAX_CREDENTIAL_HEADER = 8192;

/**
 * The product's request headers the PEP passes on, and no others. An allow-list, not a deny-list: a data
 * API may read any header as a claim (X-Citizen, X-User, X-Real-IP, X-Client-Id, X-SSL-Client-Cert,
 * Forwarded...), and no list of such names is ever complete. What it may read from the gateway is in
 * the signed assertion. Content-Length goes with a body only (upstreamHeaders). The response is
 * streamed back undecoded, so Accept-Encoding can be the product's.
 */
export const FORWARDED_REQUEST_HEADERS = new Set([
  'accept', 'accept-language', 'accept-encoding', 'content-type', 'content-encoding', 'content-language',
  'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'if-range', 'range', 'cache-control', 'prefer',
  'traceparent', 'tracestate',
]);
/** Longer values of those are not content negotiation: dropped, not forwarded. */
const MAX_FORWARDED_VALUE = 1024;
const NOT_RETURNED = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'set-cookie', 'content-length']);

/** What the decision tells a caller of auth-request and /decide, informational: an upstream trusts only the assertion. */
export function permitHeaders(decision: Permit) {
  const o = decision.obligations;
  return {
    'x-controller': o.controller,
    'x-dataset': o.dataset,
    'x-action': o.action,
    'x-citizen-pseudonym': o.citizenPseudonym,
    'x-product': o.product,
    'x-decision-id': decision.id,
    // Informational, as the rest: the data API reads protected_identity from the signed assertion.
    'x-protected-identity': String(o.protectedIdentity !== false),
    // Who acted for the citizen, when someone did (src/citizens/representation/).
    ...(o.actor ? { 'x-actor-pseudonym': o.actor.pseudonym, 'x-actor-relation': o.actor.relation } : {}),
  };
}

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

/** A query that could be read as another target: refused before any decision (nothing to audit: no target). */
function sendQueryRefusal(ctx: Context, refusal: QueryRefusal, status: 400 | 403 = 400): void {
  ctx.set('X-Deny-Reason', refusal.refused);
  sendProblem(ctx, { status, type: refusal.refused, title: 'Ambiguous query', detail: refusal.detail, decision: 'deny', reasons: [refusal.refused] });
}

/** The data API's identity for the assertion's aud: the route's, else the upstream's origin, else the public origin. */
function audienceOf(target: RouteTarget, fallback: string): string {
  return target.route.audience ?? fallback;
}

/** Every HTTP form decides through here, so /metrics counts each decision once, by form and reason. */
async function decided(pdp: PolicyDecisionPoint, request: DecisionRequest): Promise<Decision> {
  const decision = await pdp.decide(request);
  countDecision(request.interface, decision.decision, decision.reasons[0]);
  return decision;
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
    const decision = await decided(o.pdp, {
      interface: 'decide',
      http: { method: 'POST', url: `${o.issuer}/pdp/v1/decide`, ...credentials(ctx, o.mtlsCertificateHeader) },
      target: target as DecisionRequest['target'],
    });
    if (decision.decision === 'permit') {
      ctx.body = { decision: 'permit', reasons: decision.reasons, decisionId: decision.id, obligations: { headers: permitHeaders(decision), protectedIdentity: decision.obligations.protectedIdentity !== false } };
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
    // nginx passes on only 401 and 403: an ambiguous query is a 403 here, with its reason.
    if (isRefusal(target)) return sendQueryRefusal(ctx, target, 403);
    if (!originalUri || !target) {
      ctx.set('X-Deny-Reason', originalUri ? 'route_unknown' : 'original_uri_missing');
      ctx.status = 403;
      return;
    }
    const decision = await decided(o.pdp, {
      interface: 'auth-request',
      http: { method, url: `${o.publicOrigin}${pathOf(originalUri)}`, ...credentials(ctx, o.mtlsCertificateHeader) },
      target: { controller: target.controller, dataset: target.dataset, citizen: target.citizen, action: target.action },
    });
    if (decision.decision === 'permit') {
      for (const [k, v] of Object.entries(permitHeaders(decision))) ctx.set(k, v);
      // The data API receives the original URI as nginx/Envoy pass it on: the assertion is bound to it.
      ctx.set(DECISION_ASSERTION_HEADER, o.signer.sign(decision, { method, path: pathOf(originalUri), query: queryOf(originalUri), audience: audienceOf(target, o.publicOrigin) }));
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
    if (isRefusal(target)) return sendQueryRefusal(ctx, target);
    if (!target?.route.upstream) return sendProblem(ctx, { status: 404, type: 'route_unknown', title: 'No such data API route', decision: 'deny', reasons: ['route_unknown'] });
    const decision = await decided(o.pdp, {
      interface: 'pep',
      http: { method: ctx.method, url: `${o.issuer}${ctx.path}`, ...credentials(ctx, o.mtlsCertificateHeader) },
      target: { controller: target.controller, dataset: target.dataset, citizen: target.citizen, action: target.action },
    });
    if (decision.decision !== 'permit') return sendDenial(ctx, decision, o.retryAfterSeconds);
    const url = upstreamUrl(target, uri);
    const assertion = o.signer.sign(decision, { method: ctx.method, path: url.pathname, query: url.search, audience: audienceOf(target, url.origin) });
    await forward(ctx, url, decision, assertion, o);
  });

  return router;
}

/** The headers the data API receives: the allow-listed ones of the product's request, and the assertion. */
export function upstreamHeaders(incoming: Record<string, string | string[] | undefined>, assertion: string, withBody: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  // The body is streamed on as it arrives; its length, when the product gave one (Node's parser holds
  // the body to it), saves the data API a chunked upload. Without it, the upload is chunked.
  const length = incoming['content-length'];
  if (withBody && typeof length === 'string' && /^\d{1,15}$/.test(length)) headers['content-length'] = length;
  // Connection may name further hop-by-hop fields (RFC 9110 §7.6.1): not passed on, even if allowed.
  const connection = String(incoming.connection ?? '').toLowerCase().split(/\s*,\s*/);
  for (const [k, v] of Object.entries(incoming)) {
    if (v === undefined || !FORWARDED_REQUEST_HEADERS.has(k) || connection.includes(k)) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    if (value.length <= MAX_FORWARDED_VALUE) headers[k] = value;
  }
  headers[DECISION_ASSERTION_HEADER] = assertion;
  return headers;
}

async function forward(ctx: Context, url: URL, decision: Permit, assertion: string, o: PdpHttpOptions): Promise<void> {
  const hasBody = !['GET', 'HEAD'].includes(ctx.method);
  const withheld = decision.obligations.protectedIdentity !== false;
  const headers = upstreamHeaders(ctx.headers, assertion, hasBody);
  // The answer about a protected person is read and filtered here, so it is asked for unencoded.
  if (withheld) headers['accept-encoding'] = 'identity';
  let res: IncomingMessage;
  try {
    res = await o.upstream.send(url, ctx.method, headers, hasBody ? ctx.req : undefined);
  } catch (err) {
    const timeout = err instanceof UpstreamTimeout;
    o.logger.warn({ upstream: url.origin, reason: timeout ? 'timeout' : 'unreachable', code: (err as NodeJS.ErrnoException).code }, 'PEP upstream failed');
    return sendProblem(ctx, { status: timeout ? 504 : 502, type: timeout ? 'upstream_timeout' : 'upstream_unreachable', title: 'The data API did not answer' });
  }
  const connection = String(res.headers.connection ?? '').toLowerCase().split(/\s*,\s*/);
  const passOn = () => {
    ctx.status = res.statusCode ?? 502;
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined || NOT_RETURNED.has(k) || connection.includes(k)) continue;
      ctx.set(k, v);
    }
  };
  ctx.set('x-controller', decision.obligations.controller);
  ctx.set('x-decision-id', decision.id);
  if (withheld) return withholdContact(ctx, res, o.protectedFields(decision.obligations.dataset), o.logger, passOn);
  passOn();
  // Streamed through: the proxy never holds a whole response (the timeout covers the headers).
  ctx.body = res;
}

/** The most of a response about a protected person the proxy reads to filter it. */
export const MAX_FILTERED_BODY = 8 * 1024 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json(?:\s*;|$)/i;

/**
 * A response about a person with protected identity: read whole, its address and contact fields
 * removed, and sent on. What cannot be filtered is not sent: a body that is not JSON, is encoded,
 * does not parse or is too large gets a 502 (fail closed), never the unfiltered bytes.
 */
async function withholdContact(ctx: Context, res: IncomingMessage, fields: ReadonlySet<string>, logger: Logger, passOn: () => void): Promise<void> {
  ctx.set('x-protected-identity', 'true');
  // Nothing of the upstream's answer, headers included, goes out until it has been filtered.
  const unfilterable = (why: string) => {
    res.destroy();
    logger.warn({ reason: why }, 'PEP: response about a protected person cannot be filtered; not sent');
    sendProblem(ctx, { status: 502, type: 'protected_identity_unfilterable', title: 'The data API\'s answer cannot be filtered',
      detail: `address and contact are withheld for this person, and this answer cannot be filtered (${why})` });
  };
  const encoding = String(res.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') return unfilterable('encoded');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res) {
      size += (chunk as Buffer).length;
      if (size > MAX_FILTERED_BODY) return unfilterable('too large');
      chunks.push(chunk as Buffer);
    }
  } catch {
    return unfilterable('interrupted');
  }
  if (size === 0) {
    passOn();
    const status = ctx.status;
    ctx.body = '';
    ctx.status = status;
    return;
  }
  if (!JSON_TYPE.test(String(res.headers['content-type'] ?? ''))) return unfilterable('not JSON');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return unfilterable('malformed JSON');
  }
  const { value } = stripFields(parsed, fields);
  passOn();
  // The body changes: validators and digests of the upstream's body would describe another one.
  for (const h of ['etag', 'content-md5', 'digest', 'repr-digest', 'content-digest', 'content-range', 'accept-ranges']) ctx.remove(h);
  const status = ctx.status;
  ctx.body = JSON.stringify(value);
  ctx.status = status;
}
