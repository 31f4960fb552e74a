// GET /audit/checkpoints and GET /audit/jwks on a running gateway: the checkpoints it signed (of the
// seeded registry's audit chain and of the decision audit) verify with the audit key it publishes,
// which is none of its OIDC signing keys; bad queries are a 400 problem, never a 500.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { verifyCheckpoint } from '../../src/audit/checkpoint.ts';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway } from '../helpers/gateway.ts';

let gw: Gateway;
test.before(async () => {
  gw = await startTestGateway();
});
test.after.always(async () => gw?.close());

const get = async (path: string) => {
  const res = await fetch(`${gw.url}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() as Record<string, unknown> };
};

test.serial('the published checkpoints verify with the published audit key, and pin the heads in the database', async (t) => {
  const pdp = gw.pdp!;
  await pdp.audit.record({ id: randomUUID(), decidedAt: new Date().toISOString(), decision: 'deny', reasons: ['controller_not_approved'], interface: 'decide', controllerId: 'region-x' });
  await pdp.audit.drain();
  const written = await gw.audit.checkpointer.checkpoint();
  t.deepEqual(written.map((c) => c.chain).sort(), ['decision', 'registry']);

  const jwks = await get('/audit/jwks');
  t.is(jwks.status, 200);
  const keys = jwks.body.keys as JWK[];
  t.true(keys.length >= 1 && keys.every((k) => !('d' in k)), 'public keys only');
  const oidc = (await get('/jwks')).body.keys as JWK[];
  t.false(oidc.some((k) => keys.some((a) => a.kid === k.kid || (a.x === k.x && a.x !== undefined))), 'the audit key is none of the OIDC keys');

  const listed = await get('/audit/checkpoints');
  t.is(listed.status, 200);
  const items = listed.body.checkpoints as Array<{ chain: string; seq: number; jws: unknown }>;
  t.is(items.length, 2);
  const db = gw.registryDb!.db;
  const registryHead = (await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head')).rows[0]!;
  const decisionHead = (await db.query<{ seq: number; total: number; hash: string }>('SELECT seq, total, hash FROM decision_audit_head')).rows[0]!;
  for (const item of items) {
    const check = await verifyCheckpoint(item.jws, keys);
    if (!check.ok) return t.fail(check.detail);
    const head = item.chain === 'registry' ? registryHead : decisionHead;
    t.like(check.checkpoint, { chain: item.chain, seq: Number(head.seq), head: head.hash });
    t.like(await verifyCheckpoint(item.jws, oidc), { ok: false, reason: 'bad_signature' }, 'not under an OIDC key');
  }
  t.like(items.find((i) => i.chain === 'decision'), { seq: Number(decisionHead.seq) });
  t.is(Number(decisionHead.total), 1);

  const later = await get(`/audit/checkpoints?chain=registry&after=${registryHead.seq}`);
  t.deepEqual(later.body.checkpoints, []);
  t.is(((await get('/audit/checkpoints?chain=decision')).body.checkpoints as unknown[]).length, 1);
  // Nothing new: the next run signs nothing.
  t.deepEqual(await gw.audit.checkpointer.checkpoint(), []);
});

test.serial('bad queries are a 400 problem', async (t) => {
  for (const q of ['chain=bogus', 'after=-1', 'limit=0', 'limit=5000', 'after=abc', 'chain=registry&chain=decision', 'after=%00']) {
    const r = await get(`/audit/checkpoints?${q}`);
    t.is(r.status, 400, q);
    t.regex(r.type, /application\/problem\+json/, q);
  }
});
