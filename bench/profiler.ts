// A CPU profile of a bench server from the moment it is ready until run.ts stops it (SIGTERM), so its
// start-up (sandbox certificates, module loading) stays out of it: BENCH_CPU_PROF=<file> (run.ts sets
// it with --cpu-prof=<dir>). Without it, SIGTERM just ends the process.
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

export async function profileUntilStopped(): Promise<void> {
  const file = process.env.BENCH_CPU_PROF;
  if (!file) {
    process.once('SIGTERM', () => process.exit(0));
    return;
  }
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  process.once('SIGTERM', () => {
    void session.post('Profiler.stop').then(({ profile }) => {
      writeFileSync(file, JSON.stringify(profile));
      process.exit(0);
    });
  });
}
