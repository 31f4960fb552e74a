// The outer app on its own, around a real oidc-provider: one owner per request, one error boundary
// (problem+json for gateway routes, the RFC's errors for OAuth endpoints), and the cross-cutting
// headers on both. Serial: one test counts what the provider's chain saw.
import test from 'ava';
import Router from '@koa/router';
import Provider from 'oidc-provider';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { outerApp, type Mount } from '../../src/http/app.ts';
import { problem } from '../../src/http/problem.ts';
import { createLogger } from '../../src/log.ts';

let base: string;
let close: () => void;
const providerRuns: string[] = [];

test.before(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(base, { cookies: { keys: ['test-cookie-key'] }, clients: [], features: { devInteractions: { enabled: false } } });
  provider.use(async (ctx, next) => {
    providerRuns.push(ctx.path);
    if (ctx.get('x-explode')) throw new Error('secret internals at provider.js:1');
    await next();
  });
  const router = new Router({ prefix: '/feature' });
  router.get('/boom', () => {
    throw new Error('password=hunter2 in the connection string');
  });
  router.get('/refused', () => {
    throw problem(409, 'version_conflict', 'Changed by someone else', 'reload and try again');
  });
  router.get('/fine', (ctx) => {
    ctx.body = { requestId: ctx.state.requestId, owner: ctx.state.owner };
  });
  const mounts: Mount[] = [{ name: 'feature', under: ['/feature'], routes: router.routes() }];
  const app = outerApp({
    provider, trustProxy: false, hsts: false, logger: createLogger({ level: 'silent' }),
    metrics: async (_ctx, next) => next(), mounts,
  });
  server.on('request', app.callback());
  close = () => server.close();
});
test.after.always(() => close?.());

test.serial('an unexpected error in a gateway route is a 500 problem+json that reveals nothing', async (t) => {
  const res = await fetch(`${base}/feature/boom`);
  t.is(res.status, 500);
  t.regex(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const text = await res.text();
  t.deepEqual(JSON.parse(text), { status: 500, type: 'urn:gateway:problem:internal', title: 'Internal error' });
  t.notRegex(text, /hunter2|at |\.ts/);
});

test.serial('a refusal a gateway route throws keeps its status and reason', async (t) => {
  const res = await fetch(`${base}/feature/refused`);
  t.is(res.status, 409);
  t.regex(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  t.like(await res.json(), { type: 'urn:gateway:problem:version_conflict', detail: 'reload and try again' });
});

test.serial('a path no route answers is a 404 problem+json, whether a module owns it or not', async (t) => {
  for (const path of ['/feature/nothing-here', '/nowhere']) {
    const res = await fetch(`${base}${path}`);
    t.is(res.status, 404, path);
    t.regex(res.headers.get('content-type') ?? '', /^application\/problem\+json/, path);
    t.like(await res.json(), { type: 'urn:gateway:problem:not_found' }, path);
  }
});

test.serial('an OAuth endpoint answers bad input with its RFC error, not problem+json', async (t) => {
  const res = await fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  t.is(res.status, 400);
  t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = await res.json() as { error?: string; type?: string };
  t.is(body.error, 'invalid_request');
  t.is(body.type, undefined);
});

test.serial('an error escaping oidc-provider\'s own handlers is an RFC server_error that reveals nothing', async (t) => {
  const res = await fetch(`${base}/token`, { method: 'POST', headers: { 'x-explode': '1' } });
  t.is(res.status, 500);
  t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
  const text = await res.text();
  t.is((JSON.parse(text) as { error: string }).error, 'server_error');
  t.notRegex(text, /secret|provider\.js/);
});

test.serial('gateway routes never run through the provider\'s chain; OAuth paths do', async (t) => {
  providerRuns.length = 0;
  const res = await fetch(`${base}/feature/fine`);
  t.like(await res.json(), { owner: 'gateway' });
  t.deepEqual(providerRuns, []);
  await fetch(`${base}/.well-known/openid-configuration`);
  t.deepEqual(providerRuns, ['/.well-known/openid-configuration']);
});

test.serial('security headers and the request id cover both owners; a hostile request id is replaced', async (t) => {
  for (const path of ['/feature/fine', '/jwks']) {
    const res = await fetch(`${base}${path}`, { headers: { 'x-request-id': 'abc-123' } });
    t.is(res.headers.get('x-content-type-options'), 'nosniff', path);
    t.is(res.headers.get('x-request-id'), 'abc-123', path);
  }
  const res = await fetch(`${base}/feature/fine`, { headers: { 'x-request-id': 'a b<script>' } });
  const id = res.headers.get('x-request-id') ?? '';
  t.regex(id, /^[0-9a-f-]{36}$/);
  t.like(await res.json(), { requestId: id });
});
