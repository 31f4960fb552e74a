// The one admin API route table against what is really served: the routes on the Koa router's stack
// and the paths and methods of the OpenAPI document it serves must be the same set, in both
// directions, so a route added beside the table, or a table entry left undocumented, fails here.
import test from 'ava';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { adminApiRouter, type AdminApiDeps } from '../../src/whitelist/api/router.ts';
import { API_BASE, paramNames } from '../../src/whitelist/api/route.ts';
import { routes } from '../../src/whitelist/api/routes.ts';

// The router only reaches its dependencies when a request is authenticated; listing and documenting
// the routes needs none of them, so stand-ins that would throw on use are enough here.
const unused = new Proxy({}, { get: (_t, key) => { throw new Error(`not used in this test: ${String(key)}`); } });
const deps = (parts: { registry: boolean; exposure: boolean }): AdminApiDeps => ({
  provider: unused as never,
  service: parts.registry ? ({ store: unused } as never) : undefined,
  exposure: parts.exposure ? (unused as never) : undefined,
  roles: unused as never,
  accounts: unused as never,
  store: unused as never,
  clock: { now: () => Date.now() } as never,
  logger: { info() {}, warn() {}, error() {} } as never,
  adminClients: ['gateway-cli'],
});

/** "get /controllers/{id}" for every layer under the API base, leaving out the catch-all 404. */
function servedByRouter(router: ReturnType<typeof adminApiRouter>): string[] {
  return router.stack.flatMap((layer) => {
    const path = String(layer.path);
    if (!path.startsWith(`${API_BASE}/`) || path.includes('{*')) return [];
    const openApiPath = path.slice(API_BASE.length).replace(/:(\w+)/g, '{$1}');
    return layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m.toLowerCase()} ${openApiPath}`);
  }).sort();
}

async function servedDocument(router: ReturnType<typeof adminApiRouter>): Promise<{ paths: Record<string, Record<string, unknown>> }> {
  const app = new Koa();
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/api/openapi.json`);
    return (await res.json()) as { paths: Record<string, Record<string, unknown>> };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const documented = (doc: { paths: Record<string, Record<string, unknown>> }): string[] =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`)).sort();

for (const [name, parts] of [
  ['the registry and the exposure routes', { registry: true, exposure: true }],
  ['the registry routes alone (no decision point)', { registry: true, exposure: false }],
  ['the exposure routes alone (a registry from elsewhere)', { registry: false, exposure: true }],
] as const) {
  test(`every route served is documented and every documented route is served: ${name}`, async (t) => {
    const router = adminApiRouter(deps(parts));
    const served = servedByRouter(router);
    const doc = documented(await servedDocument(router));
    t.true(served.length > 0);
    t.deepEqual(served.filter((r) => !doc.includes(r)), [], 'served, but not in the OpenAPI document');
    t.deepEqual(doc.filter((r) => !served.includes(r)), [], 'in the OpenAPI document, but not served');
    const expected = routes.filter((r) => (r.service === 'registry' ? parts.registry : parts.exposure)).map((r) => `${r.method} ${r.path}`).sort();
    t.deepEqual(served, expected, 'the router serves exactly its table\'s routes for the services it was given');
  });
}

test('the whole table is served when every service is given, exposure routes included', (t) => {
  const served = servedByRouter(adminApiRouter(deps({ registry: true, exposure: true })));
  t.is(served.length, routes.length);
  for (const r of ['get /approvals/{id}/limits', 'put /approvals/{id}/limits', 'get /controllers/{id}/cohorts', 'post /controllers/{id}/cohorts',
    'get /controllers/{id}/cohorts/{cohortId}', 'put /controllers/{id}/cohorts/{cohortId}', 'delete /controllers/{id}/cohorts/{cohortId}',
    'get /suspensions', 'get /suspensions/{id}/report', 'post /suspensions/{id}/lift']) t.true(served.includes(r), r);
  t.is(new Set(served).size, served.length, 'no method and path twice');
});

test('a router with nowhere to read roles from is refused at start', (t) => {
  t.throws(() => adminApiRouter({ ...deps({ registry: false, exposure: true }), roles: undefined }), { instanceOf: TypeError });
});

test('every route validates each of its path parameters against the id pattern', (t) => {
  for (const r of routes) {
    const names = paramNames(r.path);
    const good = Object.fromEntries(names.map((n) => [n, 'region-a']));
    t.true(r.params.safeParse(good).success, `${r.method} ${r.path}`);
    for (const bad of ['a\u0000b', 'A-B', '../x', 'x', 'a b', `a${'b'.repeat(63)}`]) {
      for (const n of names) t.false(r.params.safeParse({ ...good, [n]: bad }).success, `${r.method} ${r.path} ${n}=${JSON.stringify(bad)}`);
    }
    t.false(r.params.safeParse({ ...good, extra: 'x' }).success, 'no parameter the path does not name');
  }
  t.true(routes.find((r) => r.path === '/roles/{id}')?.params.safeParse({ id: crypto.randomUUID() }).success, 'a server-made UUID is an id');
});
