// The webhook delivery on its own (src/scopes/containmentWebhook.ts): bounded attempts with doubling
// waits (recorded, never slept through: the test's sleep takes notes), a body that cannot be made yet
// (the decision audit unreadable) retried like a failed POST, a refusal that retrying cannot change not
// retried, and the signer's token shape.
import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { CONTAINMENT_EVENT_TYP, deliverWithRetries, gatewayEventSigner, type AttemptOutcome, type ContainmentEvent } from '../../src/scopes/containmentWebhook.ts';

/** A receiver answering the given statuses in turn (the last one from then on). */
async function receiver(statuses: number[]) {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(statuses[Math.min(calls++, statuses.length - 1)] ?? 500).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, calls: () => calls, close: () => server.close() };
}

function run(url: string, attempts: number, body: () => Promise<string> = async () => 'x.y.z') {
  const waits: number[] = [];
  const outcomes: AttemptOutcome[] = [];
  const done = deliverWithRetries({ url, attempts, backoffMs: 100, timeoutMs: 2000, body, onAttempt: (o) => { outcomes.push(o); }, sleep: async (ms) => { waits.push(ms); } });
  return { done, waits, outcomes };
}

test('a receiver that never takes it: exactly the configured attempts, waits doubling, then it gives up', async (t) => {
  const r = await receiver([503]);
  const { done, waits, outcomes } = run(r.url, 4);
  t.like(await done, { attempt: 4, status: 503, delivered: false, final: true });
  t.is(r.calls(), 4);
  t.deepEqual(waits, [100, 200, 400]);
  t.deepEqual(outcomes.map((o) => o.final), [false, false, false, true]);
  r.close();
});

test('a 429 is retried and the next answer taken; a receiver nobody runs is unreachable until the attempts are spent', async (t) => {
  const r = await receiver([429, 202]);
  const { done, outcomes } = run(r.url, 5);
  t.like(await done, { attempt: 2, status: 202, delivered: true });
  t.deepEqual(outcomes.map((o) => o.status), [429, 202]);
  r.close();
  const dead = await receiver([204]);
  dead.close();
  t.like(await run(dead.url, 2).done, { attempt: 2, error: 'unreachable', delivered: false, final: true });
});

test('a 4xx refusal is final; a 3xx is not followed and is retried like a failure', async (t) => {
  const gone = await receiver([400]);
  t.like(await run(gone.url, 5).done, { attempt: 1, status: 400, final: true, delivered: false });
  t.is(gone.calls(), 1);
  gone.close();
  const moved = await receiver([307, 204]);
  t.like(await run(moved.url, 3).done, { attempt: 2, status: 204, delivered: true });
  moved.close();
});

test('a body that cannot be made yet (the audit unreadable) is a failed attempt, made again on the next one; nothing is sent without it', async (t) => {
  const r = await receiver([204]);
  let tries = 0;
  const { done, outcomes } = run(r.url, 3, async () => {
    tries += 1;
    if (tries < 2) throw new Error('audit down');
    return 'signed';
  });
  t.like(await done, { attempt: 2, delivered: true });
  t.deepEqual(outcomes[0], { attempt: 1, error: 'report_unavailable', delivered: false, final: false });
  t.is(r.calls(), 1, 'the first attempt sent nothing');
  const never = run(r.url, 2, async () => { throw new Error('audit down'); });
  t.like(await never.done, { attempt: 2, error: 'report_unavailable', final: true });
  t.is(r.calls(), 1);
  r.close();
});

test('the signer: typ containment-event+jwt, the key\'s kid, iss, aud = controller, iat, jti; verifiable with the public JWKS only', async (t) => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const priv = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig' };
  const kid = await calculateJwkThumbprint(priv);
  const pub = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid };
  const signer = await gatewayEventSigner({ keys: [{ ...priv, kid }] }, 'https://gw.example.test');
  const event: ContainmentEvent = {
    event: 'product_suspended', suspensionId: 's1', productId: 'p1', controllerId: 'region-a', reason: 'suspicious_denials', suspendedAt: '2026-06-01T00:00:00.000Z',
    windowSeconds: 600, windowStart: '2026-05-31T23:50:00.000Z', windowEnd: '2026-06-01T00:00:01.000Z', citizensInWindow: 1, citizens: ['acc-1'],
  };
  const token = await signer.sign(event, Date.parse('2026-06-01T00:00:01Z'));
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys: [pub] }), {
    issuer: 'https://gw.example.test', audience: 'region-a', typ: CONTAINMENT_EVENT_TYP, currentDate: new Date('2026-06-01T00:00:02Z'),
  });
  t.deepEqual(protectedHeader, { alg: 'ES256', kid, typ: CONTAINMENT_EVENT_TYP });
  t.like(payload, { ...event, iat: Date.parse('2026-06-01T00:00:01Z') / 1000 });
  t.is(typeof payload.jti, 'string');
  await t.throwsAsync(jwtVerify(token, createLocalJWKSet({ keys: [pub] }), { typ: 'at+jwt' }), undefined, 'explicitly typed: it passes for no other token');
  await t.throwsAsync(gatewayEventSigner({ keys: [{ ...priv }] }, 'https://gw.example.test'), undefined, 'a key without a kid cannot be picked from /jwks');
});
