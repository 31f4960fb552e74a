// The key ring's stages and transitions (src/idp/keys/keyRing.ts), on their own: what every instance
// derives from the record and the clock, and what the keys CLI may and may not do to it.
import test from 'ava';
import { activateNow, activeEntry, initialRing, parseRing, pruneRing, publishedEntries, rotateRing, stageOf } from '../../src/idp/keys/keyRing.ts';

const T0 = Date.parse('2026-06-01T10:00:00Z');
const A = { kid: 'kid-a', id: 'aa' };
const B = { kid: 'kid-b', id: 'bb' };
const opts = { publishSeconds: 60, retainSeconds: 600 };

test('the first key is active at once', (t) => {
  const ring = initialRing(A, T0);
  t.is(activeEntry(ring, T0)?.kid, 'kid-a');
  t.deepEqual(publishedEntries(ring, T0).map((k) => k.kid), ['kid-a']);
});

test('a rotation publishes the new key first, switches at activateAt, keeps the old one retainSeconds, then retires it', (t) => {
  const r = rotateRing(initialRing(A, T0), B, { now: T0, ...opts });
  if (!r.ok) return t.fail(r.reason);
  const at = (s: number) => T0 + s * 1000;
  const stages = (now: number) => r.ring.keys.map((k) => `${k.kid}:${stageOf(r.ring, k, now)}`);
  t.deepEqual(stages(at(1)), ['kid-a:active', 'kid-b:published']);
  t.is(activeEntry(r.ring, at(59))?.kid, 'kid-a', 'the new key signs nothing before its time');
  t.deepEqual(stages(at(60)), ['kid-a:retiring', 'kid-b:active']);
  t.deepEqual(publishedEntries(r.ring, at(659)).map((k) => k.kid), ['kid-a', 'kid-b']);
  t.deepEqual(stages(at(660)), ['kid-a:retired', 'kid-b:active']);
  t.deepEqual(publishedEntries(r.ring, at(660)).map((k) => k.kid), ['kid-b']);
});

test('a second rotation while one key is only published is refused; so is a rotation of an empty ring', (t) => {
  const r = rotateRing(initialRing(A, T0), B, { now: T0, ...opts });
  if (!r.ok) return t.fail(r.reason);
  t.like(rotateRing(r.ring, { kid: 'kid-c', id: 'cc' }, { now: T0 + 1000, ...opts }), { ok: false, reason: 'rotation_pending' });
  t.like(rotateRing({ version: 1, keys: [] }, B, { now: T0, ...opts }), { ok: false, reason: 'no_active_key' });
  t.like(rotateRing(r.ring, { kid: 'kid-c', id: 'cc' }, { now: T0 + 61_000, ...opts }), { ok: true }, 'once it signs, the next rotation may start');
});

test('activate: refused before two refreshes have passed since publication, then the key signs at once', (t) => {
  const r = rotateRing(initialRing(A, T0), B, { now: T0, ...opts });
  if (!r.ok) return t.fail(r.reason);
  t.like(activateNow(r.ring, { now: T0 + 19_000, refreshSeconds: 10, retainSeconds: 600 }), { ok: false, reason: 'too_early' });
  const a = activateNow(r.ring, { now: T0 + 20_000, refreshSeconds: 10, retainSeconds: 600 });
  if (!a.ok) return t.fail(a.reason);
  t.is(activeEntry(a.ring, T0 + 20_000)?.kid, 'kid-b');
  const previous = a.ring.keys.find((k) => k.kid === 'kid-a');
  t.is(previous && stageOf(a.ring, previous, T0 + 20_000), 'retiring');
  t.like(activateNow(a.ring, { now: T0 + 21_000, refreshSeconds: 10, retainSeconds: 600 }), { ok: false, reason: 'nothing_published' });
});

test('prune removes only retired keys', (t) => {
  const r = rotateRing(initialRing(A, T0), B, { now: T0, ...opts });
  if (!r.ok) return t.fail(r.reason);
  t.deepEqual(pruneRing(r.ring, T0 + 100_000).retired, []);
  const pruned = pruneRing(r.ring, T0 + 660_000);
  t.deepEqual(pruned.retired.map((k) => k.kid), ['kid-a']);
  t.deepEqual(pruned.ring.keys.map((k) => k.kid), ['kid-b']);
});

test('a record that is not a key ring is refused with a reason', (t) => {
  t.throws(() => parseRing('not json'), { message: /not JSON/ });
  t.throws(() => parseRing(JSON.stringify({ version: 2, keys: [] })), { message: /not valid/ });
  t.throws(() => parseRing(JSON.stringify({ version: 1, keys: [{ kid: 'k', id: 'XYZ', createdAt: 'x', activateAt: 'y' }] })), { message: /not valid/ });
});
