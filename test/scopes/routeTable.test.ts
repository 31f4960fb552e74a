// The route table that turns an original request into a decision target (auth-request and the PEP).
import test from 'ava';
import { RouteTable, baseName, canonicalQuery, isRefusal, sandboxRoutes, upstreamUrl, type RouteTarget } from '../../src/scopes/routeTable.ts';

const table = new RouteTable([
  { method: 'GET', pattern: '/fhir/{controller}/Immunization?patient={citizen}', dataset: 'vaccinations', action: 'read' },
  { method: 'POST', pattern: '/booking/{controller}/{citizen}', dataset: 'bookings', action: 'write', upstream: 'http://api.internal/{controller}/bookings/{citizen}' },
]);

test('a matching request becomes a target; the data set and action come from the route, never from the request', (t) => {
  t.like(table.match('GET', '/fhir/region-a/Immunization?patient=198003121236&_count=10'),
    { controller: 'region-a', citizen: '198003121236', dataset: 'vaccinations', action: 'read' });
  t.like(table.match('post', '/booking/kommun-b/198003121236'), { controller: 'kommun-b', dataset: 'bookings', action: 'write' });
});

test('what does not match exactly is no route', (t) => {
  for (const [method, uri] of [
    ['POST', '/fhir/region-a/Immunization?patient=198003121236'],
    ['GET', '/fhir/region-a/Immunization'],
    ['GET', '/fhir/region-a/../region-b/Immunization?patient=198003121236'],
    ['GET', '/fhir/region%2Da/Immunization?patient=198003121236'],
    ['GET', '/fhir/Region-A/Immunization?patient=198003121236'],
    ['GET', '/fhir/region-a/Immunization/x?patient=198003121236'],
    ['GET', 'http://evil.example/fhir/region-a/Immunization?patient=198003121236'],
  ] as const) t.is(table.match(method, uri), undefined, `${method} ${uri}`);
});

const target = (m: ReturnType<RouteTable['match']>): RouteTarget => {
  if (!m || isRefusal(m)) throw new Error(`not a target: ${JSON.stringify(m)}`);
  return m;
};

test('a query that names a citizen, controller or data set twice, or under another spelling, is refused with a reason', (t) => {
  const sandbox = new RouteTable(sandboxRoutes('http://gw.test'));
  const A = '198003121236';
  const B = '197501012343';
  for (const [tbl, uri] of [
    [table, `/fhir/region-a/Immunization?patient=${A}&patient=${B}`],
    [table, `/fhir/region-a/Immunization?patient=${A}&patient[]=${B}`],
    [table, `/fhir/region-a/Immunization?patient=${A}&patient%5B%5D=${B}`],
    [table, `/fhir/region-a/Immunization?patient=${A}&Patient=${B}`],
    [table, `/fhir/region-a/Immunization?patient=${A}&patient:identifier=${B}`],
    [table, `/fhir/region-a/Immunization?patient=${A}&patient.identifier=${B}`],
    [table, `/fhir/region-a/Immunization?patient=${A}&citizen=${B}`],
    [table, `/fhir/region-a/Immunization?patient=${A}&controller=region-b`],
    [table, `/fhir/region-a/Immunization?patient=${A}&dataset=lab-results`],
    [table, `/fhir/region-a/Immunization?_count=1;patient=${B}&patient=${A}`],
    [table, `/fhir/region-a/Immunization?patient=${A}&patient%00=${B}`],
    [table, `/booking/kommun-b/${A}?citizen=${B}`],
    [table, `/booking/kommun-b/${A}?controller[0]=region-a`],
    [sandbox, `/data/region-sandbox/bookings?citizen=${A}&citizen[]=${B}`],
    [sandbox, `/data/region-sandbox/bookings?citizen[]=${B}&citizen=${A}`],
    [sandbox, `/data/region-sandbox/bookings?citizen=${A}&citizen=${B}`],
    [sandbox, `/data/region-sandbox/bookings?citizen=${A}&citizen[0]=${B}`],
    [sandbox, `/data/region-sandbox/bookings?citizen=${A}&controller[0]=region-a`],
    [sandbox, `/data/region-sandbox/bookings?citizen=${A}&dataset[]=lab-results`],
  ] as const) {
    const m = tbl.match(tbl === table && uri.startsWith('/booking') ? 'POST' : 'GET', uri);
    t.like(m, { refused: 'query_ambiguous' }, uri);
    t.false(JSON.stringify(m).includes(B), `${uri}: the refusal does not repeat a personnummer`);
  }
  // Other parameters pass, and a route's own key once is what it is.
  t.like(sandbox.match('GET', `/data/region-sandbox/bookings?citizen=${A}&_count=10&sort=date`), { citizen: A });
  t.is(baseName('Citizen[0]'), 'citizen');
  t.is(baseName('patient:missing'), 'patient');
});

test('the canonical query is sorted by name, stable, form-encoded', (t) => {
  t.is(canonicalQuery('?b=2&a=1&b=1'), 'a=1&b=2&b=1');
  t.is(canonicalQuery('x=a%20b&c=%3B'), 'c=%3B&x=a+b');
  t.is(canonicalQuery(''), '');
  t.is(canonicalQuery('x=1;citizen=2'), 'x=1%3Bcitizen%3D2', 'a ; is data, encoded, never a separator');
});

test('the upstream URL fills the placeholders and passes other query parameters on, canonical', (t) => {
  const target0 = target(table.match('POST', '/booking/kommun-b/198003121236?notify=sms&lang=sv'));
  t.is(upstreamUrl(target0, '/booking/kommun-b/198003121236?notify=sms&lang=sv').href, 'http://api.internal/kommun-b/bookings/198003121236?lang=sv&notify=sms');
  const sandbox = new RouteTable(sandboxRoutes('http://gw.test'));
  const s = target(sandbox.match('GET', '/data/region-sandbox/lab-results?citizen=198003121236'));
  t.is(upstreamUrl(s, '/data/region-sandbox/lab-results?citizen=198003121236').href, 'http://gw.test/sandbox/data/region-sandbox/lab-results?citizen=198003121236');
});
