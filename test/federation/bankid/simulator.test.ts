// The simulator's wire format, as BankID's: mutual TLS with the RP CA only, POST + exactly
// application/json, and `{ errorCode, details }` with BankID's HTTP statuses for everything else.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import test from 'ava';
import { loadPkcs12 } from '../../../src/federation/bankid/client.ts';
import { startBankIdSimulator, type BankIdSimulator } from '../../../src/federation/bankid/simulator/server.ts';
import { personas, rawCall, tempCerts } from './fixtures.ts';

type Certs = Awaited<ReturnType<typeof tempCerts>>;

let certs: Certs;
let otherCerts: Certs;
let sim: BankIdSimulator;
let ca: string;
let rp: { key: string; cert: string };

test.before(async () => {
  [certs, otherCerts] = await Promise.all([tempCerts(), tempCerts()]);
  sim = await startBankIdSimulator({ port: 0, certs, personas, requestTimeoutMs: 300 });
  ca = readFileSync(certs.bankid.serverCaCert, 'utf8');
  const p12 = loadPkcs12(readFileSync(certs.bankid.rpP12), certs.passphrase);
  rp = { key: p12.keyPem, cert: p12.certChainPem };
});
test.after.always(async () => sim?.close());

const ordersFrom = (ip: string): number => sim.orders.pending().filter((o) => o.endUserIp === ip).length;

test('a caller with the sandbox RP certificate gets an order', async (t) => {
  const res = await rawCall(`${sim.url}/auth`, { ca, ...rp, body: JSON.stringify({ endUserIp: '198.51.100.1' }) });
  t.is(res.status, 200);
  t.deepEqual(Object.keys(res.json as object).sort(), ['autoStartToken', 'orderRef', 'qrStartSecret', 'qrStartToken']);
});

test('a caller without a client certificate is refused in the TLS handshake', async (t) => {
  await t.throwsAsync(rawCall(`${sim.url}/auth`, { ca, body: JSON.stringify({ endUserIp: '198.51.100.2' }) }));
  t.is(ordersFrom('198.51.100.2'), 0);
});

test('a caller with a certificate from another CA is refused in the TLS handshake', async (t) => {
  const foreign = loadPkcs12(readFileSync(otherCerts.bankid.rpP12), otherCerts.passphrase);
  await t.throwsAsync(rawCall(`${sim.url}/auth`, { ca, key: foreign.keyPem, cert: foreign.certChainPem, body: JSON.stringify({ endUserIp: '198.51.100.3' }) }));
  t.is(ordersFrom('198.51.100.3'), 0);
});

const errors: Array<{ name: string; path?: string; method?: string; headers?: Record<string, string>; body?: string; status: number; errorCode: string; details?: RegExp }> = [
  { name: 'malformed JSON', body: '{"endUserIp":', status: 400, errorCode: 'invalidParameters', details: /JSON/ },
  { name: 'a JSON array', body: '[]', status: 400, errorCode: 'invalidParameters' },
  { name: 'missing endUserIp', body: '{}', status: 400, errorCode: 'invalidParameters', details: /endUserIp/ },
  { name: 'endUserIp not an IP address', body: '{"endUserIp":"my laptop"}', status: 400, errorCode: 'invalidParameters', details: /endUserIp/ },
  { name: 'requirement.personalNumber not a personnummer', body: '{"endUserIp":"198.51.100.4","requirement":{"personalNumber":"198003121235"}}', status: 400, errorCode: 'invalidParameters', details: /requirement\.personalNumber/ },
  { name: 'userVisibleData not base64', body: '{"endUserIp":"198.51.100.4","userVisibleData":"hej hej!"}', status: 400, errorCode: 'invalidParameters', details: /userVisibleData/ },
  { name: 'collect without orderRef', path: '/collect', body: '{}', status: 400, errorCode: 'invalidParameters', details: /orderRef/ },
  { name: 'charset parameter on the content type', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"endUserIp":"198.51.100.4"}', status: 415, errorCode: 'unsupportedMediaType' },
  { name: 'form content type', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'endUserIp=198.51.100.4', status: 415, errorCode: 'unsupportedMediaType' },
  { name: 'GET', method: 'GET', headers: {}, status: 405, errorCode: 'methodNotAllowed' },
  { name: 'unknown method path', path: '/identify', body: '{}', status: 404, errorCode: 'notFound' },
];

for (const c of errors) {
  test(`${c.name}: ${c.status} ${c.errorCode}`, async (t) => {
    const res = await rawCall(`${sim.url}${c.path ?? '/auth'}`, { ca, ...rp, method: c.method ?? 'POST', headers: c.headers ?? { 'content-type': 'application/json' }, ...(c.body !== undefined ? { body: c.body } : {}) });
    t.is(res.status, c.status);
    const body = res.json as { errorCode: string; details: string };
    t.is(body.errorCode, c.errorCode);
    t.is(typeof body.details, 'string');
    if (c.details) t.regex(body.details, c.details);
    t.is(ordersFrom('198.51.100.4'), 0);
  });
}

test('another API version path is notFound', async (t) => {
  const res = await rawCall(sim.url.replace('/rp/v6.0', '/rp/v5.1/auth'), { ca, ...rp, body: '{"endUserIp":"198.51.100.5"}' });
  t.is(res.status, 404);
  t.is((res.json as { errorCode: string }).errorCode, 'notFound');
});

test('a body that never finishes arriving: 408 requestTimeout', async (t) => {
  const res = await new Promise<{ status: number; json: unknown }>((resolve, reject) => {
    const req = request(`${sim.url}/auth`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' }, ca, ...rp, agent: false }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.write('{"endUserIp":');
  });
  t.is(res.status, 408);
  t.is((res.json as { errorCode: string }).errorCode, 'requestTimeout');
});

test('the simulator never echoes a rejected value in details', async (t) => {
  const res = await rawCall(`${sim.url}/auth`, { ca, ...rp, body: '{"endUserIp":"198.51.100.6","requirement":{"personalNumber":"19800312123X"}}' });
  t.is(res.status, 400);
  t.false(JSON.stringify(res.json).includes('19800312123X'));
});
