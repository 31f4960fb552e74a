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
import { createProvider, type ProviderSso } from './provider.ts';
import { jwksMount } from './keys/module.ts';
import type { Clock } from '../clock.ts';
import { BackchannelLogout } from '../federation/sso/backchannel.ts';
import { RememberedConsents } from '../federation/sso/consent.ts';
import type { UpstreamSessions } from '../federation/sso/upstreamSession.ts';
import { SIGNED_OUT_PATH, afterEndSession, signedOutRouter, type SignedOutPages, type UpstreamLogout } from '../federation/sso/logout.ts';
import type { SsoStores } from '../federation/sso/stores.ts';
import type { JumpLogin } from '../federation/sso/jumpLogin.ts';
import type { ProtectedIdentity } from '../citizens/protectedIdentity.ts';
import type { Representation } from '../citizens/representation/representation.ts';
import { ConsentPrompt, type ConsentPromptDeps } from '../citizens/consent/prompt.ts';
import type { ConsentStore } from '../citizens/consent/records.ts';
import type { WithdrawnConsentCache } from '../citizens/consent/withdrawn.ts';
import { ABOUT_PATHS, aboutRouter } from './aboutRoutes.ts';

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
  clock: Clock;
  sso: SsoStores;
  /** Upstreams with sessions of their own that single logout must reach (SAML SLO to the portal IdP). */
  upstreamLogouts?: UpstreamLogout[] | undefined;
  /** A jump ticket's verdict on an authorization request (the jump module's hook into session reuse). */
  jumpVerdict?: ProviderSso['jumpVerdict'];
  /** Jumps between products (src/federation/sso/): the ticket's parameter, prompt and interaction hook. */
  jump?: JumpLogin | undefined;
  /** Protected identity from the population register (claims and the access token's flag). */
  protection?: ProtectedIdentity | undefined;
  /** Guardians and agents (src/citizens/representation/). */
  representation?: Representation | undefined;
  /** Consent records (src/citizens/consent/): the consent page records what it showed, and asks again when a product widened. */
  consent?: { records: ConsentStore; withdrawn: WithdrawnConsentCache; actingFor?: ConsentPromptDeps['actingFor'] } | undefined;
}

export interface Idp {
  provider: Provider;
  accounts: AccountStore;
  mounts: Mount[];
  /** Back-channel logout delivery and its recorded outcomes. */
  backchannel: BackchannelLogout;
  /** The upstream session facts (SAML NameID, SessionIndex) single logout reads. */
  upstreamSessions: UpstreamSessions;
  /** The signed-out pages an upstream's logout settles. */
  signedOut: SignedOutPages;
  closers: Array<() => Promise<void>>;
}

export function idpModule(deps: IdpDeps): Idp {
  const { config, store, secrets, logger, gate, upstreams } = deps;
  // Accounts outlive neither the longest session nor the longest refresh token.
  const accounts = new AccountStore(store, secrets.accountKey, Math.max(config.ttl.session, config.ttl.refreshToken));
  const { clock } = deps;
  const backchannel = new BackchannelLogout({
    issuer: config.issuer, signingKeys: deps.keys.signers, store, clock, logger, ...config.sessions.backchannel,
  });
  const consents = config.sessions.rememberConsent ? new RememberedConsents(store, config.ttl.session) : undefined;
  const { upstreamSessions, signedOut } = deps.sso;
  const configuredClientIds = new Set(deps.clients.map((c) => c.client_id));
  const consentPrompt = new ConsentPrompt({ config, accounts, gate, configuredClientIds, logger, protection: deps.protection, ...deps.consent });
  const provider = createProvider({
    config, adapter: createAdapterFactory(store), accounts, keys: deps.keys, secrets, clients: deps.clients, logger, gate, clock,
    sso: { backchannel, consents, jumpVerdict: deps.jumpVerdict, ...(deps.consent ? { consentNeeded: (ctx) => consentPrompt.needed(ctx) } : {}) }, jump: deps.jump,
    protection: deps.protection, representation: deps.representation,
  });
  provider.use(afterEndSession({ provider, providers: config.loa.providers, pages: signedOut, upstreams: deps.upstreamLogouts ?? [], logger, consents }));
  const interactions = interactionRouter({
    provider, config, accounts, upstreams, logger, gate, configuredClientIds, clock, sso: { store, consents, upstreamSessions }, jump: deps.jump, consentPrompt,
    representation: deps.representation,
  });
  return {
    provider,
    accounts,
    backchannel,
    upstreamSessions,
    signedOut,
    mounts: [
      ...jwksMount(deps.keys),
      { name: 'interactions', under: ['/interaction'], paths: deps.upstreamPaths, routes: interactions.routes() },
      { name: 'signed-out page', under: [SIGNED_OUT_PATH], routes: signedOutRouter(signedOut).routes() },
      { name: 'help and accessibility statement', paths: ABOUT_PATHS, routes: aboutRouter(config).routes() },
    ],
    closers: [() => backchannel.close()],
  };
}
