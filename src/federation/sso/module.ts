// Jumps between products as one module (docs/sso.md, "Jumps"): the single-use tickets, the provider's
// side (the jump_ticket parameter and the interaction hook, given to the IdP module) and the /sso
// routes. It opens in two steps because oidc-provider sits between them: the provider needs the
// ticket hook, and the routes need the provider.
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { Mount } from '../../http/app.ts';
import type Provider from 'oidc-provider';
import type { ProductGate } from '../../whitelist/productGate.ts';
import type { RegistryCache } from '../../whitelist/registryCache.ts';
import type { Secrets } from '../../idp/keys.ts';
import { JumpTickets, ticketKey } from './jumpTickets.ts';
import { jumpLogin, type JumpLogin } from './jumpLogin.ts';
import { jumpRouter } from './jumpRoutes.ts';

export interface SsoDeps {
  config: Config;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  secrets: Secrets;
}

export interface Sso {
  tickets: JumpTickets;
  /** For the IdP module. */
  login: JumpLogin;
  /** The /sso routes, once the provider exists; none without a registry (no products to jump between). */
  mounts(later: { provider: Provider; gate: ProductGate | undefined; registry: RegistryCache | undefined }): Mount[];
}

export function ssoModule(deps: SsoDeps): Sso {
  const { config, store, clock, logger, secrets } = deps;
  const key = secrets.cookieKeys[0];
  if (!key) throw new Error('sso: no cookie key to derive the jump ticket key from');
  const tickets = new JumpTickets({ store, clock, key: ticketKey(key) }, config.ttl.jumpTicket);
  return {
    tickets,
    login: jumpLogin(tickets, logger),
    mounts: ({ provider, gate, registry }) => (gate && registry
      ? [{ name: 'jumps', under: ['/sso'], routes: jumpRouter({ config, provider, store, clock, logger, gate, registry, tickets }).routes() }]
      : []),
  };
}
