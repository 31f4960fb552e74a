// The OpenID Provider as one module: oidc-provider on the hot store, the accounts behind its `sub`s,
// and the interaction routes (login, method choice, consent) with every upstream's routes inside them.
// oidc-provider itself is not a mount: the outer app hands it every path no module owns.
import type Provider from 'oidc-provider';
import type { ClientConfig, Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { Mount } from '../http/app.ts';
import type { ProductGate } from '../whitelist/productGate.ts';
import { AccountStore } from './accounts.ts';
import { createAdapterFactory } from './adapter.ts';
import { interactionRouter, type UpstreamRoutes } from './interactions.ts';
import type { Secrets, SigningKeys } from './keys.ts';
import { createProvider } from './provider.ts';
import type { JumpLogin } from '../federation/sso/jumpLogin.ts';

export interface IdpDeps {
  /** With the simulators' launch URLs, as the interaction pages show them. */
  config: Config;
  store: HotStore;
  keys: SigningKeys;
  secrets: Secrets;
  clients: ClientConfig[];
  logger: Logger;
  gate: ProductGate | undefined;
  upstreams: UpstreamRoutes[];
  /** Paths the upstreams answer outside an interaction (SAML ACS); they live on the interaction router. */
  upstreamPaths: string[];
  /** Jumps between products (src/federation/sso/): the ticket's parameter, prompt and interaction hook. */
  jump?: JumpLogin | undefined;
}

export interface Idp {
  provider: Provider;
  accounts: AccountStore;
  mounts: Mount[];
}

export function idpModule(deps: IdpDeps): Idp {
  const { config, store, secrets, logger, gate, upstreams } = deps;
  // Accounts outlive neither the longest session nor the longest refresh token.
  const accounts = new AccountStore(store, secrets.accountKey, Math.max(config.ttl.session, config.ttl.refreshToken));
  const provider = createProvider({ config, adapter: createAdapterFactory(store), accounts, keys: deps.keys, secrets, clients: deps.clients, logger, gate, jump: deps.jump });
  const configuredClientIds = new Set(deps.clients.map((c) => c.client_id));
  const interactions = interactionRouter({ provider, config, accounts, upstreams, logger, gate, configuredClientIds, jump: deps.jump });
  return {
    provider,
    accounts,
    mounts: [{ name: 'interactions', under: ['/interaction'], paths: deps.upstreamPaths, routes: interactions.routes() }],
  };
}
