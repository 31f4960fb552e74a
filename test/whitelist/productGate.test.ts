// ProductGate on its own: one gate run per request and client, however often the request asks; none
// kept without a request; a registry that cannot be read is "no such client" and "no access", for that
// request only (the next one reads again).
import test from 'ava';
import { ManualClock } from '../../src/clock.ts';
import { toClientMetadata } from '../../src/idp/provider.ts';
import { createLogger } from '../../src/log.ts';
import type { RegistrySnapshot } from '../../src/whitelist/model.ts';
import { ProductGate } from '../../src/whitelist/productGate.ts';
import { NOW, approval, product, snapshot } from './snapshotFixture.ts';

function gateOver(read: () => Promise<RegistrySnapshot>) {
  let reads = 0;
  const gate = new ProductGate({
    cache: { snapshot: () => { reads += 1; return read(); } },
    clock: new ManualClock(NOW),
    logger: createLogger({ level: 'silent' }),
    staticClientIds: new Set(['gateway-admin']),
    toMetadata: toClientMetadata,
  });
  return { gate, reads: () => reads };
}

const approved = snapshot({ products: [product('p1'), product('p2')], approvals: [approval('a1', 'region-a', 'p1'), approval('a2', 'region-a', 'p2')] });

test('one run per request and client: the client lookup and every details hook share it', async (t) => {
  const { gate, reads } = gateOver(async () => approved);
  const request = {};
  const [metadata, details, again] = await Promise.all([gate.clientMetadata('p1-client', request), gate.liveDetails('p1-client', request), gate.check('p1-client', request)]);
  t.is(metadata?.client_id, 'p1-client');
  t.deepEqual(details, [{ type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['region-a'] }]);
  t.true(again.ok);
  t.is(gate.runs, 1);
  t.is(reads(), 1);

  await gate.check('p2-client', request);
  t.is(gate.runs, 2, 'another client in the same request is its own run');
  await gate.check('p1-client', {});
  t.is(gate.runs, 3, 'another request runs it again');
  await gate.check('p1-client');
  await gate.check('p1-client');
  t.is(gate.runs, 5, 'without a request nothing is kept');
  t.deepEqual(await gate.liveDetails('gateway-admin', {}), [], 'the operator\'s own clients are not products: no run');
  t.is(gate.runs, 5);
});

test('a registry that cannot be read refuses the client and its access for that request; the next request reads again', async (t) => {
  let down = true;
  const { gate } = gateOver(async () => {
    if (down) throw new Error('connection refused');
    return approved;
  });
  const request = {};
  t.like(await gate.check('p1-client', request), { ok: false, reason: 'registry_unavailable' });
  t.is(await gate.clientMetadata('p1-client', request), undefined);
  t.is(await gate.liveDetails('p1-client', request), undefined);
  t.is((await gate.run('p1-client', request)).snapshot, undefined);
  t.is(gate.runs, 1);
  down = false;
  t.like(await gate.check('p1-client', request), { ok: false, reason: 'registry_unavailable' }, 'one request, one answer');
  t.like(await gate.check('p1-client', {}), { ok: true, product: { id: 'p1' } });
  t.is((await gate.run('p1-client', {})).snapshot, approved);
});
