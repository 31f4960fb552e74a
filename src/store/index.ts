import type { Clock } from '../clock.ts';
import type { RedisTopologyConfig } from '../config.ts';
import type { HotStore } from './hotStore.ts';
import { MemoryStore } from './memoryStore.ts';
import { RedisStore } from './redisStore.ts';

export type { HotStore };

/** Redis when a URL (or a Sentinel or Cluster topology) is configured; otherwise the embedded in-memory store (the sandbox default). */
export async function createHotStore(options: { redisUrl?: string | undefined; keyPrefix?: string; redis?: RedisTopologyConfig }, clock: Clock): Promise<HotStore> {
  if (options.redis && options.redis.mode !== 'standalone') return RedisStore.connect({ topology: options.redis, keyPrefix: options.keyPrefix });
  if (options.redisUrl) return RedisStore.connect({ url: options.redisUrl, keyPrefix: options.keyPrefix });
  return new MemoryStore(clock);
}
