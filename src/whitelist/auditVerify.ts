// `npm run audit:verify [-- --checkpoints FILE ... --jwks FILE]`: walks the registry's audit chain and
// the decision audit's batch chain (the configured PostgreSQL, or the sandbox PGlite) and checks both
// against the signed checkpoints: the configured (or the sandbox's) checkpoint file and any copies
// given with --checkpoints, verified with the audit public key (audit.keyFile, or --jwks with the JWKS
// a controller fetched from /audit/jwks). Reports the first broken entry or batch and every rejected
// checkpoint. Exit 0 when intact, 1 when broken, 2 when it cannot run.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadVerificationKeys } from '../audit/auditKey.ts';
import { defaultCheckpointFile, readCheckpointFile } from '../audit/sinks.ts';
import { describeVerification, NoAuditKey, verifyAudit, type CheckpointSource } from '../audit/verify.ts';
import { systemClock } from '../clock.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { openRegistryDb } from './registry.ts';

async function main(): Promise<number> {
  let config;
  let args;
  try {
    args = parseArgs({ options: { checkpoints: { type: 'string', multiple: true, default: [] }, jwks: { type: 'string' } } }).values;
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
  const sources: CheckpointSource[] = [];
  const own = defaultCheckpointFile(config);
  // The sandbox's own file may not exist yet; a file someone names must.
  if (own && (config.audit.checkpoints.file || existsSync(own))) sources.push({ name: own, lines: readCheckpointFile(own) });
  for (const file of args.checkpoints ?? []) sources.push({ name: file, lines: readCheckpointFile(file) });
  const keys = await loadVerificationKeys({ jwksFile: args.jwks, keyFile: config.audit.keyFile, sandboxDir: config.sandboxDir });

  const db = await openRegistryDb(config);
  try {
    const report = await verifyAudit({
      db, decisions: true, sources, keys: keys?.keys, now: systemClock.now(), retentionMonths: config.pdp.audit.retentionMonths,
    });
    process.stdout.write(`${describeVerification(report).join('\n')}\n`);
    if (!sources.length) process.stdout.write('no checkpoint file: configure audit.checkpoints.file or pass --checkpoints\n');
    return report.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof NoAuditKey) {
      process.stderr.write(`audit:verify could not run: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await db.close();
  }
}

process.exitCode = await main().catch((err: Error) => {
  process.stderr.write(`audit:verify could not run: ${err.message}\n`);
  return 2;
});
