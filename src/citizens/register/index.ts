// Which population register this gateway asks, behind the cache. The sandbox reads its personas; a
// production gateway has no register client yet (source `none`), so every lookup is unavailable and
// every caller fails closed (docs/security-model.md, "Protected identity").
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import { CachedRegister } from './cache.ts';
import { RegisterUnavailable, type PopulationRegister } from './register.ts';
import { SandboxRegister } from './sandbox.ts';

export type { PopulationRegister, RegisterRecord, Guardianship, GuardianshipBlock, ProtectionMark, PostalAddress, Contact } from './register.ts';
export { RegisterUnavailable, isProtected } from './register.ts';

export interface PopulationRegisterParts {
  /** What the gateway asks: the configured register behind the cache. */
  register: PopulationRegister;
  cache: CachedRegister;
  /** The sandbox register itself, so tests can change records (absent unless source is `sandbox`). */
  sandbox: SandboxRegister | undefined;
}

/** A register that is not there: every lookup is unavailable, so nothing is released on its word. */
export const unconnectedRegister: PopulationRegister = {
  async lookup() {
    throw new RegisterUnavailable('no population register is configured (register.source=none)');
  },
};

/** The configured source: `sandbox` unless stated, except in production, which never gets the sandbox's. */
export const registerSource = (config: Config): 'sandbox' | 'none' => config.register.source ?? (config.mode === 'production' ? 'none' : 'sandbox');

export function openPopulationRegister(config: Config, clock: Clock): PopulationRegisterParts {
  const source = registerSource(config);
  // productionProblems refuses this first; a second guard where the register is made, in case a
  // caller skipped it.
  if (source === 'sandbox' && config.mode === 'production') throw new Error('register.source: production refuses the sandbox population register');
  const sandbox = source === 'sandbox' ? SandboxRegister.fromFile() : undefined;
  const cache = new CachedRegister(sandbox ?? unconnectedRegister, {
    clock, maxAgeSeconds: config.register.cacheMaxAgeSeconds, maxEntries: config.register.cacheMaxEntries,
  });
  return { register: cache, cache, sandbox };
}
