// What the signed checkpoints say a chain must hold: the hash of every link they list and the record
// count at each checkpoint. A chain walk asks at every link; the database cannot answer for them,
// because only the audit key could have signed them. A chain that recomputed every hash after a
// rewritten entry still differs from the checkpoint at that entry; a chain that lost its tail ends
// before the newest checkpoint's link.
import type { Checkpoint, ChainName } from './checkpoint.ts';

export interface AnchorProblem {
  seq: number;
  /**
   * rewritten: a link's hash is not the one a checkpoint signed; count_mismatch: the records up to a
   * checkpointed link are not as many as signed (rows removed and recounted); truncated: the chain
   * ends before a checkpointed link; checkpoint_conflict: two validly signed checkpoints disagree (the
   * chain was rewritten and checkpointed again, or the audit key was misused).
   */
  reason: 'rewritten' | 'count_mismatch' | 'truncated' | 'checkpoint_conflict';
  detail: string;
}

/** The questions a chain walk asks; `none` for a walk without checkpoints. */
export interface ChainAnchors {
  /** A problem with link `seq` (its stored hash, the record count through it), or undefined. */
  check(seq: number, hash: string, count: number): AnchorProblem | undefined;
  /** Once the walk has ended at `lastSeq` (0: empty chain): a checkpoint beyond it is a truncation. */
  afterEnd(lastSeq: number): AnchorProblem | undefined;
}

export const noAnchors: ChainAnchors = { check: () => undefined, afterEnd: () => undefined };

const signed = (c: Checkpoint) => `the checkpoint signed at ${c.time} for ${c.chain} link ${c.seq}`;

export class Anchors implements ChainAnchors {
  readonly chain: ChainName;
  readonly #hashes = new Map<number, { hash: string; by: Checkpoint }>();
  readonly #counts = new Map<number, { count: number; by: Checkpoint }>();
  /** The lowest link two checkpoints disagree about. */
  readonly conflict: AnchorProblem | undefined;
  /** The newest checkpointed link. */
  readonly lastSeq: number;
  readonly checkpoints: number;

  constructor(chain: ChainName, checkpoints: readonly Checkpoint[]) {
    this.chain = chain;
    let conflict: AnchorProblem | undefined;
    const note = (p: AnchorProblem) => { if (!conflict || p.seq < conflict.seq) conflict = p; };
    let lastSeq = 0;
    let n = 0;
    for (const c of checkpoints) {
      if (c.chain !== chain) continue;
      n += 1;
      lastSeq = Math.max(lastSeq, c.seq);
      c.links.forEach((hash, i) => {
        const seq = c.from + i;
        const known = this.#hashes.get(seq);
        if (!known) this.#hashes.set(seq, { hash, by: c });
        else if (known.hash !== hash) note({ seq, reason: 'checkpoint_conflict', detail: `${signed(known.by)} and ${signed(c)} disagree about link ${seq}: it was rewritten and checkpointed again` });
      });
      const counted = this.#counts.get(c.seq);
      if (!counted) this.#counts.set(c.seq, { count: c.count, by: c });
      else if (counted.count !== c.count) note({ seq: c.seq, reason: 'checkpoint_conflict', detail: `${signed(counted.by)} and ${signed(c)} disagree about the count through link ${c.seq}` });
    }
    this.conflict = conflict;
    this.lastSeq = lastSeq;
    this.checkpoints = n;
  }

  check(seq: number, hash: string, count: number): AnchorProblem | undefined {
    if (this.conflict?.seq === seq) return this.conflict;
    const expected = this.#hashes.get(seq);
    if (expected && expected.hash !== hash) {
      return { seq, reason: 'rewritten', detail: `link ${seq} is not the one ${signed(expected.by)} recorded: it was changed (the hashes after it recomputed) or replaced` };
    }
    const counted = this.#counts.get(seq);
    if (counted && counted.count !== count) {
      return { seq, reason: 'count_mismatch', detail: `${count} records up to link ${seq}, but ${signed(counted.by)} counted ${counted.count}: records were removed or added` };
    }
    return undefined;
  }

  afterEnd(lastSeq: number): AnchorProblem | undefined {
    if (this.lastSeq <= lastSeq) return undefined;
    return { seq: lastSeq + 1, reason: 'truncated', detail: `the chain ends at link ${lastSeq}, but a checkpoint covers up to link ${this.lastSeq}: links ${lastSeq + 1}..${this.lastSeq} were removed` };
  }
}
