// `npm run audit:verify`: walks the registry's audit chain (the configured PostgreSQL, or the sandbox
// PGlite) and reports the first broken link. Exit 0 when intact, 1 when broken, 2 when it cannot run.
import { ConfigError, loadConfig } from '../config.ts';
import { verifyAuditChain } from './audit.ts';
import { openRegistryDb } from './registry.ts';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const db = await openRegistryDb(config);
  try {
    const report = await verifyAuditChain(db);
    if (report.ok) {
      process.stdout.write(`audit chain intact: ${report.entries} entries\n`);
      return 0;
    }
    const broken = report.firstBroken;
    process.stdout.write(`audit chain BROKEN at entry ${broken.seq} (${broken.reason}): ${broken.detail}; ${report.entries} entries before it verify\n`);
    return 1;
  } finally {
    await db.close();
  }
}

process.exitCode = await main().catch((err: Error) => {
  process.stderr.write(`audit:verify could not run: ${err.message}\n`);
  return 2;
});
