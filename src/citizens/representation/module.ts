// Guardians and agents as one feature module (docs/domain.md, rules 9 and 10): the mandates in the
// registry's database, the representation service the provider, the interactions and the decision
// point share, and (later) the citizen's routes under /account/representation.
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { Db } from '../../whitelist/db/db.ts';
import { AccountStore } from '../../idp/accounts.ts';
import type { Secrets } from '../../idp/keys.ts';
import type { PopulationRegister } from '../register/register.ts';
import { readFileSync } from 'node:fs';
import { personasFile } from '../register/sandbox.ts';
import { MandateStore } from './mandates.ts';
import { Representation } from './representation.ts';
import { Relations } from './relations.ts';

export interface RepresentationDeps {
  config: Config;
  store: HotStore;
  /** The registry's database (mandates are migration 008's). */
  db: Db;
  register: PopulationRegister;
  clock: Clock;
  logger: Logger;
  secrets: Secrets;
}

export interface RepresentationParts {
  representation: Representation;
  mandates: MandateStore;
  /** For /account: who may act for a citizen and for whom they may act; appoint and revoke. */
  relations: Relations;
  /** Sandbox only: the personas' `agentFor` as bookings mandates (once; a year), so an agent can be tried at once. */
  seedSandbox(): Promise<void>;
}

export function representationModule(deps: RepresentationDeps): RepresentationParts {
  const { config, store, db, register, clock, logger, secrets } = deps;
  const ttlSeconds = Math.max(config.ttl.session, config.ttl.refreshToken);
  // The same keyed pseudonyms as the provider's accounts (same key): a mandate names the same account ids.
  const accounts = new AccountStore(store, secrets.accountKey, ttlSeconds);
  const mandates = new MandateStore(db, clock);
  const representation = new Representation({
    store, register, mandates, accounts, clock, logger, pairwiseSalt: secrets.pairwiseSalt, ttlSeconds, interactionTtlSeconds: config.ttl.interaction,
  });
  const seedSandbox = async () => {
    if (config.mode !== 'sandbox') return;
    const personas = JSON.parse(readFileSync(personasFile, 'utf8')) as { citizens: Array<{ id: string; personalNumber: string; agentFor?: string[] }> };
    const byId = new Map(personas.citizens.map((p) => [p.id, p.personalNumber]));
    for (const agent of personas.citizens) {
      for (const principalId of agent.agentFor ?? []) {
        const principalNumber = byId.get(principalId);
        if (!principalNumber) continue;
        const principal = accounts.accountIdFor(principalNumber);
        const agentId = accounts.accountIdFor(agent.personalNumber);
        if ((await mandates.forPrincipal(principal)).some((m) => m.agent === agentId)) continue;
        await mandates.appoint({
          principal, principalNumber, agent: agentId, agentNumber: agent.personalNumber, types: ['bookings'], appointedWith: 'sandbox-seed',
          expiresAt: new Date(clock.now() + 365 * 86_400_000).toISOString(),
        });
      }
    }
  };
  return { representation, mandates, relations: new Relations({ register, mandates, accounts, clock, representation }), seedSandbox };
}
