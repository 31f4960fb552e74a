// The key ring: which OIDC signing keys exist, and when each one is published, signs and retires.
// One record (JSON) kept in the HSM itself, beside the keys (pkcs11.ts writeData): every instance
// that can use the keys can read it, so no database or Redis has to be reachable or consistent for
// signing, and a rotation is one write that every instance picks up at its next refresh.
//
// Stages follow from the record and the clock alone, the same on every instance:
//   published  now < activateAt          in /jwks, signs nothing yet (verifiers learn it first)
//   active     the latest activateAt <= now, not retired: signs
//   retiring   superseded, now < retireAt: in /jwks so the tokens it signed still verify
//   retired    now >= retireAt: in no /jwks; `keys prune` destroys it in the HSM
import { z } from 'zod';

const entry = z.object({
  kid: z.string().min(1),
  /** CKA_ID of the key pair in the token, hex. */
  id: z.string().regex(/^[0-9a-f]{2,64}$/),
  createdAt: z.iso.datetime(),
  activateAt: z.iso.datetime(),
  retireAt: z.iso.datetime().optional(),
});
const record = z.object({ version: z.literal(1), keys: z.array(entry).max(16) });

export type RingEntry = z.infer<typeof entry>;
export type RingRecord = z.infer<typeof record>;
export type KeyStage = 'published' | 'active' | 'retiring' | 'retired';

export function parseRing(text: string): RingRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('key ring: the record in the token is not JSON');
  }
  const parsed = record.safeParse(json);
  if (!parsed.success) throw new Error(`key ring: the record in the token is not valid (${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''})`);
  return parsed.data;
}

const ms = (iso: string) => Date.parse(iso);

/** The key that signs at `now`: of the keys not retired, the one activated last. */
export function activeEntry(ring: RingRecord, now: number): RingEntry | undefined {
  let best: RingEntry | undefined;
  for (const k of ring.keys) {
    if (ms(k.activateAt) > now || (k.retireAt && ms(k.retireAt) <= now)) continue;
    if (!best || ms(k.activateAt) > ms(best.activateAt)) best = k;
  }
  return best;
}

export function stageOf(ring: RingRecord, k: RingEntry, now: number): KeyStage {
  if (k.retireAt && ms(k.retireAt) <= now) return 'retired';
  if (ms(k.activateAt) > now) return 'published';
  return activeEntry(ring, now) === k ? 'active' : 'retiring';
}

/** The keys a verifier must know at `now` (every stage but retired), in record order. */
export function publishedEntries(ring: RingRecord, now: number): RingEntry[] {
  return ring.keys.filter((k) => stageOf(ring, k, now) !== 'retired');
}

/** The first key of a new ring: active at once (nothing was signed before it, no verifier to warn). */
export function initialRing(key: { kid: string; id: string }, now: number): RingRecord {
  const at = new Date(now).toISOString();
  return { version: 1, keys: [{ ...key, createdAt: at, activateAt: at }] };
}

export type RotationRefusal = 'no_active_key' | 'rotation_pending';

/**
 * A rotation: the new key is published now and signs from now + publishSeconds; the key active now
 * retires retainSeconds after that. Refused while an earlier rotation's key is still only published
 * (two pending keys would make the order of activation a guess).
 */
export function rotateRing(ring: RingRecord, key: { kid: string; id: string }, o: { now: number; publishSeconds: number; retainSeconds: number }):
  { ok: true; ring: RingRecord; activateAt: string } | { ok: false; reason: RotationRefusal } {
  const current = activeEntry(ring, o.now);
  if (!current) return { ok: false, reason: 'no_active_key' };
  if (ring.keys.some((k) => stageOf(ring, k, o.now) === 'published')) return { ok: false, reason: 'rotation_pending' };
  const activate = o.now + o.publishSeconds * 1000;
  const activateAt = new Date(activate).toISOString();
  const retireAt = new Date(activate + o.retainSeconds * 1000).toISOString();
  const keys = ring.keys.map((k) => (k === current ? { ...k, retireAt } : k));
  keys.push({ ...key, createdAt: new Date(o.now).toISOString(), activateAt });
  return { ok: true, ring: { version: 1, keys }, activateAt };
}

export type ActivationRefusal = 'nothing_published' | 'too_early';

/**
 * `keys activate`: the published key signs from now on, instead of at its planned time — allowed
 * once every instance has had two refreshes to learn it (else one instance would sign with a key
 * another does not yet publish).
 */
export function activateNow(ring: RingRecord, o: { now: number; refreshSeconds: number; retainSeconds: number }):
  { ok: true; ring: RingRecord; kid: string } | { ok: false; reason: ActivationRefusal; notBefore?: string } {
  const pending = ring.keys.find((k) => stageOf(ring, k, o.now) === 'published');
  if (!pending) return { ok: false, reason: 'nothing_published' };
  const notBefore = ms(pending.createdAt) + 2 * o.refreshSeconds * 1000;
  if (o.now < notBefore) return { ok: false, reason: 'too_early', notBefore: new Date(notBefore).toISOString() };
  const current = activeEntry(ring, o.now);
  const at = new Date(o.now).toISOString();
  const retireAt = new Date(o.now + o.retainSeconds * 1000).toISOString();
  const keys = ring.keys.map((k) => (k === pending ? { ...k, activateAt: at } : k === current ? { ...k, retireAt } : k));
  return { ok: true, ring: { version: 1, keys }, kid: pending.kid };
}

/** The ring without its retired keys, and those keys (whose key pairs `keys prune` destroys). */
export function pruneRing(ring: RingRecord, now: number): { ring: RingRecord; retired: RingEntry[] } {
  const retired = ring.keys.filter((k) => stageOf(ring, k, now) === 'retired');
  return { ring: { version: 1, keys: ring.keys.filter((k) => !retired.includes(k)) }, retired };
}
