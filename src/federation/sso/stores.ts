// The shared session's small stores, made once by the assembly and handed to the two modules that
// meet in single logout: upstream sign-in (the SAML IdP's session facts, the SLO endpoint) and the
// OpenID Provider (sign-in records them, logout reads them).
import type { Config } from '../../config.ts';
import type { HotStore } from '../../store/hotStore.ts';
import { SignedOutPages } from './logout.ts';
import { UpstreamSessions } from './upstreamSession.ts';

export interface SsoStores {
  upstreamSessions: UpstreamSessions;
  signedOut: SignedOutPages;
}

export const ssoStores = (store: HotStore, config: Config): SsoStores => ({
  upstreamSessions: new UpstreamSessions(store, config.ttl.session),
  signedOut: new SignedOutPages(store),
});
