// What a per-operation deadline costs (issue 14, item 1): `node bench/deadline.ts`. The Redis store
// guards every operation with a deadline (src/store/redisStore.ts). Measured on already-settled work, 16
// operations in flight as in the bench's PDP rows, so only the guard itself is timed: none, one timer,
// race and finally per operation (the first version), node-redis's own command timeout (which the
// store's clients no longer set), and the shared FIFO queue the store uses now.
import { withDeadline } from '../src/store/redisStore.ts';

function timerPerOperation<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => setImmediate(() => reject(new Error(`no answer within ${ms} ms`))), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** node-redis's own command timeout (commandOptions.timeout): an AbortSignal.timeout and a listener per command. */
function abortSignalPerCommand<T>(work: Promise<T>, ms: number): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const listener = () => undefined;
  signal.addEventListener('abort', listener, { once: true });
  return work.finally(() => signal.removeEventListener('abort', listener));
}

const N = 300_000;
async function perOperation(guard: (work: Promise<number>) => Promise<number>): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = 0; i < N / 16; i += 1) await guard(Promise.resolve(i));
  }));
  return ((performance.now() - t0) * 1000) / N;
}

const variants: Array<[string, (work: Promise<number>) => Promise<number>]> = [
  ['no deadline', (w) => w],
  ["node-redis's command timeout (AbortSignal.timeout)", (w) => abortSignalPerCommand(w, 2000)],
  ['a timer per operation', (w) => timerPerOperation(w, 2000)],
  ['shared FIFO queue (the store)', (w) => withDeadline(w, 2000)],
];
const samples = variants.map(() => [] as number[]);
for (let round = 0; round < 5; round += 1) for (const [i, [, guard]] of variants.entries()) samples[i]?.push(await perOperation(guard));
for (const [i, [name]] of variants.entries()) {
  const sorted = [...(samples[i] ?? [])].sort((a, b) => a - b);
  process.stdout.write(`${name}: ${sorted[2]?.toFixed(2)} µs per operation (median of 5)\n`);
}
