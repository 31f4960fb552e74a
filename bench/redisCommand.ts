// What node-redis's own command timeout costs per command (issue 14, item 1): `node bench/redisCommand.ts`.
// GETs against a redis-server of its own, 16 in flight, with and without `commandOptions.timeout`
// (an AbortSignal.timeout per command), rounds alternating; CPU time of this process per command.
import { createClient } from 'redis';
import { startRedisServer } from '../test/helpers/redisServer.ts';

const N = Number(process.argv[2] ?? 40_000);
const server = await startRedisServer();
async function cpuPerCommand(options: Parameters<typeof createClient>[0]): Promise<number> {
  const client = createClient({ url: server.url, disableOfflineQueue: true, ...options });
  client.on('error', () => undefined);
  await client.connect();
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = 0; i < N / 16; i += 1) await client.get('bench:x');
  }));
  const used = process.cpuUsage(before);
  await client.close();
  return (used.user + used.system) / N;
}
const variants: Array<[string, Parameters<typeof createClient>[0]]> = [
  ['no command timeout (the store now)', {}],
  ['commandOptions.timeout 2000 ms (before)', { commandOptions: { timeout: 2000 } }],
];
const samples = variants.map(() => [] as number[]);
for (let round = 0; round < 5; round += 1) for (const [i, [, o]] of variants.entries()) samples[i]?.push(await cpuPerCommand(o));
for (const [i, [name]] of variants.entries()) {
  const sorted = [...(samples[i] ?? [])].sort((a, b) => a - b);
  process.stdout.write(`${name}: ${sorted[2]?.toFixed(1)} µs CPU per GET (median of 5)\n`);
}
await server.stop();
