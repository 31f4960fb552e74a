// A checkpoint: the audit key's signature over where a chain stood — its newest link's sequence number
// and hash, how many records it holds, when — plus the hash of every link since the previous
// checkpoint, so a rewrite is located to the exact entry even when the rewriter recomputed every hash
// after it. It is a flattened JWS (RFC 7515 §7.2.2): one JSON object, one line of the checkpoint file,
// one item of GET /audit/checkpoints, verifiable by anyone holding the published public key.
import { createLocalJWKSet, FlattenedSign, flattenedVerify, type FlattenedJWS, type JWK } from 'jose';
import { z } from 'zod';
import type { AuditSigner } from './auditKey.ts';
import { signCompact } from '../idp/keys/signer.ts';

/** The two chains: the registry's audit log (entries) and the decision audit (batches of decisions). */
export const chainName = z.enum(['registry', 'decision']);
export type ChainName = z.output<typeof chainName>;

/** The JWS `typ` of a checkpoint: a token of some other kind signed by the same key is not one. */
export const CHECKPOINT_TYP = 'audit-checkpoint+json';
/** Links a checkpoint lists at most; the checkpointer writes several when more are pending. */
export const MAX_LINKS = 1000;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hex digest');

export const checkpointPayload = z.object({
  /** The issuer of the gateway that wrote it. */
  iss: z.string(),
  chain: chainName,
  /** Sequence number of the newest link covered (an audit entry, or a decision batch). */
  seq: z.number().int().positive(),
  /** That link's hash: the head of the chain at `time`. */
  head: sha256Hex,
  /** Records in the chain up to and including `seq`: entries, or decision rows. */
  count: z.number().int().nonnegative(),
  /** The first link listed in `links` (the one after the previous checkpoint). */
  from: z.number().int().positive(),
  /** The hash of every link `from`..`seq`, in order; the last one is `head`. */
  links: z.array(sha256Hex).min(1).max(MAX_LINKS),
  /** When it was signed (ISO 8601). */
  time: z.string(),
}).refine((p) => p.links.length === p.seq - p.from + 1 && p.links[p.links.length - 1] === p.head, {
  message: 'links must cover from..seq and end at head',
});
export type Checkpoint = z.output<typeof checkpointPayload>;

export type SignedCheckpoint = FlattenedJWS;

export async function signCheckpoint(signer: AuditSigner, checkpoint: Checkpoint): Promise<SignedCheckpoint> {
  if ('sign' in signer) {
    // A key outside this process (an HSM): the same flattened JWS, its signature made there.
    const compact = signCompact(signer, checkpoint, { typ: CHECKPOINT_TYP }).split('.');
    return { protected: compact[0] ?? '', payload: compact[1] ?? '', signature: compact[2] ?? '' };
  }
  return new FlattenedSign(new TextEncoder().encode(JSON.stringify(checkpoint)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: CHECKPOINT_TYP })
    .sign(signer.key);
}

export type CheckpointVerdict =
  | { ok: true; checkpoint: Checkpoint; kid: string }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_type' | 'bad_payload'; detail: string };

const flattened = z.object({ protected: z.string(), payload: z.string(), signature: z.string() });

/** A checkpoint as stored: a flattened JWS object, or (a copy someone kept) its compact serialisation. */
export function asFlattened(value: unknown): SignedCheckpoint | undefined {
  if (typeof value === 'string') {
    const parts = value.split('.');
    if (parts.length !== 3) return undefined;
    const [p, payload, signature] = parts as [string, string, string];
    return { protected: p, payload, signature };
  }
  const parsed = flattened.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Verifies one checkpoint against the audit public keys; never throws for bad input. */
export async function verifyCheckpoint(value: unknown, keys: JWK[]): Promise<CheckpointVerdict> {
  const jws = asFlattened(value);
  if (!jws) return { ok: false, reason: 'malformed', detail: 'not a JWS' };
  let verified;
  try {
    verified = await flattenedVerify(jws, createLocalJWKSet({ keys }), { algorithms: ['ES256', 'ES384', 'PS256', 'EdDSA'] });
  } catch (err) {
    return { ok: false, reason: 'bad_signature', detail: `not signed by the audit key (${(err as Error).message})` };
  }
  const header = verified.protectedHeader ?? {};
  if (header.typ !== CHECKPOINT_TYP) return { ok: false, reason: 'wrong_type', detail: `typ is ${header.typ ?? 'absent'}, not ${CHECKPOINT_TYP}` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch {
    return { ok: false, reason: 'bad_payload', detail: 'the payload is not JSON' };
  }
  const payload = checkpointPayload.safeParse(json);
  if (!payload.success) return { ok: false, reason: 'bad_payload', detail: payload.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ') };
  return { ok: true, checkpoint: payload.data, kid: header.kid ?? '' };
}
