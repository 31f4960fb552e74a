// The route table that turns an original request into a decision target (auth-request and the PEP).
import test from 'ava';
import { RouteTable, sandboxRoutes, upstreamUrl } from '../../src/scopes/routeTable.ts';

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
    ['GET', '/fhir/region-a/Immunization?patient=198003121236&patient=197501012343'],
    ['GET', '/fhir/region-a/Immunization'],
    ['GET', '/fhir/region-a/../region-b/Immunization?patient=198003121236'],
    ['GET', '/fhir/region%2Da/Immunization?patient=198003121236'],
    ['GET', '/fhir/Region-A/Immunization?patient=198003121236'],
    ['GET', '/fhir/region-a/Immunization/x?patient=198003121236'],
    ['GET', 'http://evil.example/fhir/region-a/Immunization?patient=198003121236'],
  ] as const) t.is(table.match(method, uri), undefined, `${method} ${uri}`);
});

test('the upstream URL fills the placeholders and passes other query parameters on', (t) => {
  const target = table.match('POST', '/booking/kommun-b/198003121236?notify=sms')!;
  t.is(upstreamUrl(target, '/booking/kommun-b/198003121236?notify=sms').href, 'http://api.internal/kommun-b/bookings/198003121236?notify=sms');
  const sandbox = new RouteTable(sandboxRoutes('http://gw.test'));
  const s = sandbox.match('GET', '/data/region-sandbox/lab-results?citizen=198003121236')!;
  t.is(upstreamUrl(s, '/data/region-sandbox/lab-results?citizen=198003121236').href, 'http://gw.test/sandbox/data/region-sandbox/lab-results?citizen=198003121236');
});
