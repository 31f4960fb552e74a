// Verifies both audit chains against the signed checkpoints (audit:verify). The evidence comes from
// outside the database — checkpoint files (the sink's, and any copy a controller kept) and the audit
// public key — never from the database being checked, so someone with every database right but not
// the audit key cannot make a rewritten or shortened chain pass: each checkpoint pins the hash of every
// link it lists and the record count at its head. A checkpoint that does not verify is reported (a
// forged or damaged checkpoint is itself evidence of tampering with the sink), and not used.
import type { JWK } from 'jose';
import { verifyAuditChain, type ChainReport } from '../whitelist/audit.ts';
import type { Db } from '../whitelist/db/db.ts';
import { verifyDecisionChain, type DecisionChainReport } from '../scopes/decisionChain.ts';
import { Anchors } from './anchors.ts';
import { verifyCheckpoint, type Checkpoint, type ChainName } from './checkpoint.ts';
import type { CheckpointLine } from './sinks.ts';

export interface CheckpointSource {
  /** A file name, for the report. */
  name: string;
  lines: CheckpointLine[];
}

export interface RejectedCheckpoint {
  source: string;
  line: number;
  reason: string;
  detail: string;
}

export interface ChainCoverage {
  checkpoints: number;
  /** The newest link a checkpoint covers (0: none). */
  upTo: number;
}

export interface AuditVerification {
  ok: boolean;
  rejected: RejectedCheckpoint[];
  coverage: Record<ChainName, ChainCoverage>;
  registry: ChainReport;
  decision: DecisionChainReport | undefined;
}

export class NoAuditKey extends Error {
  constructor(checkpoints: number) {
    super(`${checkpoints} checkpoints to check, but no audit public key: set audit.keyFile or pass --jwks with the published /audit/jwks`);
    this.name = 'NoAuditKey';
  }
}

export interface VerifyOptions {
  db: Db;
  /** Whether the decision audit is checked too (its tables are in `db`). */
  decisions: boolean;
  sources: CheckpointSource[];
  keys: JWK[] | undefined;
  now: number;
  retentionMonths: number;
}

/** Every checkpoint of every source: verified ones kept, the others reported. */
export async function readCheckpoints(sources: CheckpointSource[], keys: JWK[] | undefined): Promise<{ valid: Checkpoint[]; rejected: RejectedCheckpoint[] }> {
  const total = sources.reduce((n, s) => n + s.lines.length, 0);
  if (total && !keys?.length) throw new NoAuditKey(total);
  const valid: Checkpoint[] = [];
  const rejected: RejectedCheckpoint[] = [];
  for (const source of sources) {
    for (const line of source.lines) {
      if (line.error !== undefined) {
        rejected.push({ source: source.name, line: line.line, reason: 'malformed', detail: line.error });
        continue;
      }
      const check = await verifyCheckpoint(line.value, keys ?? []);
      if (check.ok) valid.push(check.checkpoint);
      else rejected.push({ source: source.name, line: line.line, reason: check.reason, detail: check.detail });
    }
  }
  return { valid, rejected };
}

export async function verifyAudit(o: VerifyOptions): Promise<AuditVerification> {
  const { valid, rejected } = await readCheckpoints(o.sources, o.keys);
  const registryAnchors = new Anchors('registry', valid);
  const decisionAnchors = new Anchors('decision', valid);
  // One snapshot per chain: a gateway writing meanwhile cannot make a head look removed.
  const registry = await o.db.transaction((tx) => verifyAuditChain(tx, { anchors: registryAnchors }), { isolation: 'repeatable read' });
  const decision = o.decisions
    ? await o.db.transaction((tx) => verifyDecisionChain(tx, { now: o.now, retentionMonths: o.retentionMonths, anchors: decisionAnchors }), { isolation: 'repeatable read' })
    : undefined;
  return {
    ok: !rejected.length && registry.ok && (decision?.ok ?? true),
    rejected,
    coverage: {
      registry: { checkpoints: registryAnchors.checkpoints, upTo: registryAnchors.lastSeq },
      decision: { checkpoints: decisionAnchors.checkpoints, upTo: decisionAnchors.lastSeq },
    },
    registry,
    decision,
  };
}

/** The report audit:verify prints, one line per finding. */
export function describeVerification(v: AuditVerification): string[] {
  const lines: string[] = [];
  for (const r of v.rejected) lines.push(`checkpoint REJECTED: ${r.source} line ${r.line} (${r.reason}): ${r.detail}`);
  const against = (c: ChainCoverage, unit: string) => (c.checkpoints ? `, checked against ${c.checkpoints} signed checkpoints up to ${unit} ${c.upTo}` : ', no checkpoint yet (checked against itself only)');
  const r = v.registry;
  if (r.ok) lines.push(`audit chain intact: ${r.entries} entries${against(v.coverage.registry, 'entry')}`);
  else lines.push(`audit chain BROKEN at entry ${r.firstBroken.seq} (${r.firstBroken.reason}): ${r.firstBroken.detail}; ${r.entries} entries before it verify`);
  const d = v.decision;
  if (d?.ok) {
    lines.push(`decision audit intact: ${d.batches} batches, ${d.rows} decisions${d.expired ? ` (${d.expired} batches past retention)` : ''}${against(v.coverage.decision, 'batch')}`
      + (d.unchained ? `; ${d.unchained} decisions written before chaining are not covered` : ''));
  } else if (d) {
    lines.push(`decision audit BROKEN at batch ${d.firstBroken.seq} (${d.firstBroken.reason}): ${d.firstBroken.detail}; ${d.batches} batches before it verify`);
  }
  return lines;
}
