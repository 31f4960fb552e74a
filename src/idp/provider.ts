// The OpenID Provider: oidc-provider configured to the FAPI 2.0 Security Profile.
// Each setting below says which FAPI 2.0 (or Swedish profile) rule it carries out.
import { createHmac, X509Certificate } from 'node:crypto';
import Provider, { type Configuration, type KoaContextWithOIDC, type ClientMetadata, errors, interactionPolicy } from 'oidc-provider';
import type { Config, ClientConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { AccountStore } from './accounts.ts';
import { accountClaims, scopeClaims, PROTECTED_IDENTITY_CLAIM } from './claims.ts';
import type { ProtectedIdentity } from '../citizens/protectedIdentity.ts';
import { knownAcrs, loaRank } from '../federation/loa.ts';
import { epochSeconds, systemClock, type Clock } from '../clock.ts';
import { decideReuse, promptNoneError, signedInClients, type JumpVerdict, type ReuseVerdict } from '../federation/sso/session.ts';
import type { BackchannelLogout } from '../federation/sso/backchannel.ts';
import type { RememberedConsents } from '../federation/sso/consent.ts';
import { serviceNames } from '../federation/sso/logout.ts';
import { renderErrorPage, renderLogoutPrompt, renderLoggedOut, renderUnavailablePage } from './views/errors.ts';
import { isUnavailable, outageFields } from '../unavailable.ts';
import { localeOf, rememberAppLocale } from './views/i18n.ts';
import { appHome } from './appHome.ts';
import type { SigningKeys, Secrets } from './keys.ts';
import type { ProductGate } from '../whitelist/productGate.ts';
import type { JumpLogin } from '../federation/sso/jumpLogin.ts';
import { DATASET_ACCESS, narrow, requestedDetailSchema, withinLive, type RequestedDetail } from '../whitelist/authorizationDetails.ts';
import { countToken } from '../http/metrics.ts';

export interface ProviderDeps {
  config: Config;
  adapter: NonNullable<Configuration['adapter']>;
  accounts: AccountStore;
  keys: SigningKeys;
  secrets: Secrets;
  clients: ClientConfig[];
  logger: Logger;
  /** The product whitelist: products become clients only through it. Without it, only configured clients exist. */
  gate?: ProductGate | undefined;
  clock?: Clock | undefined;
  sso?: ProviderSso | undefined;
  /** Jumps: the jump_ticket parameter and its login prompt (src/federation/sso/jumpLogin.ts). */
  jump?: JumpLogin | undefined;
  /** Protected identity from the population register: address and contact claims, the protected_identity flag. */
  protection?: ProtectedIdentity | undefined;
  /** Guardians and agents (src/citizens/representation/): the relation at every login reuse and token issue, and `act`. */
  representation?: ProviderRepresentation | undefined;
}

/** What the provider asks of representation (src/citizens/representation/representation.ts). */
export interface ProviderRepresentation {
  loginCheck: InstanceType<typeof interactionPolicy.Check>;
  extraTokenClaims(ctx: KoaContextWithOIDC, token: { sessionUid?: string; accountId?: string; clientId?: string }): Promise<Record<string, unknown> | undefined>;
  actClaim(sessionUid: string | undefined, productId: string): Promise<{ sub: string } | undefined>;
}

/** The ui_locales of the request oidc-provider is answering, when it has one. */
function uiLocalesOf(ctx: KoaContextWithOIDC): string | undefined {
  const value = (ctx.oidc?.params as { ui_locales?: unknown } | undefined)?.ui_locales;
  return typeof value === 'string' ? value : undefined;
}

/** The client's own page, for "back to the app" (its registered URIs only). */
function clientHome(ctx: KoaContextWithOIDC) {
  const client = ctx.oidc?.client;
  return client ? appHome({ name: client.clientName, postLogoutRedirectUris: client.postLogoutRedirectUris, redirectUris: client.redirectUris }) : undefined;
}

// Only the algorithms FAPI 2.0 allows (PS256, ES256, EdDSA); RS256 and HS* are off everywhere.
const FAPI_ALGS = ['PS256', 'ES256', 'EdDSA'];

/** Client metadata as oidc-provider wants it, with FAPI 2.0 defaults a registration cannot loosen. */
export function toClientMetadata(client: ClientConfig): ClientMetadata {
  const metadata: ClientMetadata = {
    client_id: client.client_id,
    client_name: client.client_name,
    product_id: client.product_id ?? client.client_id,
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris,
    // Back-Channel Logout: the sid in every ID token, and the logout token names it.
    ...(client.backchannel_logout_uri ? { backchannel_logout_uri: client.backchannel_logout_uri, backchannel_logout_session_required: true } : {}),
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    scope: client.scope,
    authn_methods: client.authn_methods,
    ...(client.minimum_acr ? { minimum_acr: client.minimum_acr } : {}),
    grant_types: client.grant_types,
    response_types: client.grant_types.includes('authorization_code') ? ['code'] : [],
    // Sender-constrained access tokens (FAPI 2.0 §5.3.2.1): DPoP unless bound to an mTLS certificate.
    dpop_bound_access_tokens: client.token_endpoint_auth_method !== 'tls_client_auth',
    require_pushed_authorization_requests: true,
    subject_type: 'pairwise',
    id_token_signed_response_alg: 'ES256',
    authorization_details_types: [DATASET_ACCESS],
  };
  if (client.token_endpoint_auth_method === 'private_key_jwt') metadata.token_endpoint_auth_signing_alg = 'ES256';
  if (client.backchannel_logout_uri) {
    // The logout token names the session (`sid`), so the ID token must carry it too.
    metadata.backchannel_logout_uri = client.backchannel_logout_uri;
    metadata.backchannel_logout_session_required = true;
  }
  if (client.jwks) metadata.jwks = client.jwks as ClientMetadata['jwks'];
  if (client.jwks_uri) metadata.jwks_uri = client.jwks_uri;
  if (client.tls_client_auth_subject_dn) {
    metadata.tls_client_auth_subject_dn = client.tls_client_auth_subject_dn;
    metadata.tls_client_certificate_bound_access_tokens = true;
  }
  return metadata;
}

/** The upstream (bankid, freja, ...) named by the login's amr, for the authnProvider claim. */
function authnProviderFor(config: Config, amr: string[] | undefined): string | undefined {
  const method = amr?.[0];
  if (!method) return undefined;
  return Object.values(config.loa.providers).find((p) => p.amr === method)?.authnProvider;
}

/** The client's registered sign-in rules (extra client metadata). */
export function clientLoginRules(client: unknown): { authnMethods: string[]; minimumAcr: string | undefined } {
  const c = client as { authn_methods?: string[]; minimum_acr?: string } | undefined;
  return { authnMethods: c?.authn_methods ?? [], minimumAcr: c?.minimum_acr };
}

/** What the shared session (src/federation/sso/) hands the provider. */
export interface ProviderSso {
  /** Delivers back-channel logout tokens with retries (instead of oidc-provider's single inline try). */
  backchannel?: BackchannelLogout | undefined;
  /**
   * A jump ticket's verdict on this authorization request (h11-jump's module), read by the session
   * reuse pipeline's `jump_ticket` check; undefined when the request carries no ticket.
   */
  jumpVerdict?: ((ctx: KoaContextWithOIDC) => JumpVerdict | undefined | Promise<JumpVerdict | undefined>) | undefined;
  /** Consents a person gave a product, remembered across sessions until the grant ends. */
  consents?: RememberedConsents | undefined;
  /** Does the product now reach more than the person consented to (src/citizens/consent/prompt.ts)? Then consent is asked again. */
  consentNeeded?: ((ctx: KoaContextWithOIDC) => Promise<boolean>) | undefined;
}

/** The pairwise `sub` of an account at a product (keyed, per product: products cannot correlate). */
export const pairwiseSub = (salt: string, productId: string, accountId: string): string =>
  createHmac('sha256', salt).update(`${productId}\u0000${accountId}`).digest('base64url');

/**
 * oidc-provider's login prompt, with the shared session's reuse pipeline (src/federation/sso/session.ts)
 * in place of "any session will do": a session of the wrong audience, method, level or age signs the
 * person in again. Two checks read the one verdict so that prompt=none answers the right OIDC Core
 * error: login_required when a new sign-in is needed, interaction_required when a confirmation is.
 */
function loginPolicy(config: Config, clock: Clock, sso: ProviderSso, jump?: JumpLogin, representation?: ProviderRepresentation): ReturnType<typeof interactionPolicy.base> {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  const verdicts = new WeakMap<object, Promise<ReuseVerdict | undefined>>();
  const verdictFor = (ctx: KoaContextWithOIDC): Promise<ReuseVerdict | undefined> => {
    let verdict = verdicts.get(ctx);
    if (!verdict) {
      verdict = (async () => {
        const { oidc } = ctx;
        // A sign-in this very request just made was held to the product's rules when it finished.
        if (oidc.result?.login || !oidc.client) return undefined;
        const session = oidc.session as unknown as { accountId?: string; acr?: string; amr?: string[]; loginTs?: number; authorizations?: Record<string, unknown> };
        const rules = clientLoginRules(oidc.client);
        const maxAge = oidc.params?.max_age === undefined ? undefined : Number(oidc.params.max_age);
        return decideReuse({
          session: { accountId: session.accountId, acr: session.acr, amr: session.amr, loginTs: session.loginTs, clients: signedInClients(session.authorizations) },
          request: {
            clientId: oidc.client.clientId,
            authnMethods: rules.authnMethods,
            minimumAcr: rules.minimumAcr,
            acrValues: oidc.params?.acr_values as string | undefined,
            maxAge: Number.isFinite(maxAge) ? maxAge : undefined,
            now: epochSeconds(clock),
          },
          jump: await sso.jumpVerdict?.(ctx),
        }, { providers: config.loa.providers });
      })();
      verdicts.set(ctx, verdict);
    }
    return verdict;
  };
  const refusedWith = (error: 'login_required' | 'interaction_required') => async (ctx: KoaContextWithOIDC) => {
    const verdict = await verdictFor(ctx);
    // No session at all is oidc-provider's own no_session check.
    if (!verdict || verdict.ok || verdict.reason === 'no_session') return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    return promptNoneError(verdict.reason) === error ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  };
  const details = async (ctx: KoaContextWithOIDC) => {
    const verdict = await verdictFor(ctx);
    return verdict && !verdict.ok ? { reuse: { check: verdict.check, reason: verdict.reason } } : {};
  };
  login?.checks.add(new interactionPolicy.Check(SESSION_NOT_REUSABLE, 'the session cannot sign the End-User in to this client (audience, method, level or age)', 'login_required',
    refusedWith('login_required') as never, details as never));
  login?.checks.add(new interactionPolicy.Check(SESSION_UNCONFIRMED, 'the End-User must confirm using the shared session with this client', 'interaction_required',
    refusedWith('interaction_required') as never, details as never));
  if (jump) login?.checks.add(jump.loginCheck);
  if (representation) login?.checks.add(representation.loginCheck);
  const { consentNeeded } = sso;
  if (consentNeeded) {
    policy.get('consent')?.checks.add(new interactionPolicy.Check(CONSENT_WIDENED, 'the product reaches more than the End-User consented to', 'consent_required',
      (async (ctx: KoaContextWithOIDC) => ((await consentNeeded(ctx)) ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT)) as never));
  }
  return policy;
}

/** The prompt reasons the reuse pipeline answers with (the login page reads them). */
export const SESSION_NOT_REUSABLE = 'session_not_reusable';
export const SESSION_UNCONFIRMED = 'session_unconfirmed';
/** The consent prompt's reason when a product's approvals widened beyond the consent records. */
export const CONSENT_WIDENED = 'consent_widened';

/** The resource indicator of the data APIs behind the gateway's policy decision point. */
export const dataApiResource = (issuer: string): string => `${issuer}/data`;

/**
 * The Client model's adapter when products come from the registry: read-only, through the gate.
 * oidc-provider calls `find` inside its routes, where `Provider.ctx` is the request: the gate's
 * answer is shared with the hooks and the middleware below, which name the same request.
 */
function productClientAdapter(gate: ProductGate) {
  const refuse = async () => {
    throw new Error('products are registered through the admin API, not through oidc-provider');
  };
  return {
    find: async (id: string) => gate.clientMetadata(id, Provider.ctx) as Promise<Record<string, unknown> | undefined>,
    upsert: refuse,
    destroy: refuse,
    consume: refuse,
    revokeByGrantId: refuse,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
  };
}

function requestedFrom(param: unknown): RequestedDetail[] | undefined {
  if (typeof param !== 'string') return undefined;
  try {
    const parsed = JSON.parse(param) as unknown[];
    return Array.isArray(parsed) ? parsed.filter((d) => requestedDetailSchema.safeParse(d).success) as RequestedDetail[] : undefined;
  } catch {
    return undefined;
  }
}

/** Live details cut to a request; [] (no details) when the gate refuses or no gate runs. */
async function liveNarrowed(gate: ProductGate | undefined, ctx: object, clientId: string, requested: RequestedDetail[] | undefined) {
  const live = gate ? await gate.liveDetails(clientId, ctx) : [];
  return narrow(live ?? [], requested);
}

/**
 * Every access token carries its live authorization_details, also when the client asked for none
 * (oidc-provider only runs the RAR hooks for requests that used RAR): this adds them to token
 * responses, and makes introspection follow the registry — a product the gate refuses now has only
 * inactive tokens, and a revoked controller drops out of the details at once.
 */
export function liveAuthorizationDetails(gate: ProductGate): (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void> {
  return async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (route !== 'token' && route !== 'introspection') return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || ctx.status !== 200) return;
    if (route === 'token') {
      if (typeof body.access_token !== 'string' || body.authorization_details !== undefined) return;
      const client = ctx.oidc.client;
      if (!client) return;
      const live = await gate.liveDetails(client.clientId, ctx);
      if (live?.length) body.authorization_details = live;
      return;
    }
    if (body.active !== true) return;
    const entities = ctx.oidc.entities as Record<string, { clientId: string; rar?: unknown[] } | undefined>;
    const token = entities.AccessToken ?? entities.ClientCredentials ?? entities.RefreshToken;
    if (!token) return;
    const live = await gate.liveDetails(token.clientId, ctx);
    if (live === undefined) {
      ctx.body = { active: false };
      return;
    }
    if (!token.rar) {
      if (live.length) body.authorization_details = live;
      else delete body.authorization_details;
    }
  };
}

/** The error events of the oidc-provider routes this configuration enables (each route emits its own). */
const OAUTH_ERROR_EVENTS = ['authorization.error', 'pushed_authorization_request.error', 'grant.error', 'introspection.error', 'revocation.error',
  'userinfo.error', 'end_session.error', 'end_session_confirm.error', 'end_session_success.error', 'jwks.error', 'discovery.error'] as const;

/** `protected_identity: true` for an access token of a citizen the register does not vouch for as unprotected. */
async function protectedIdentityTokenClaims(deps: ProviderDeps, token: { kind?: string; accountId?: string }): Promise<Record<string, unknown> | undefined> {
  if (!deps.protection || !token.accountId || token.kind !== 'AccessToken') return undefined;
  const record = await deps.accounts.find(token.accountId);
  if (record?.kind !== 'citizen') return undefined;
  return (await deps.protection.status(record.personalNumber)).protected ? { [PROTECTED_IDENTITY_CLAIM]: true } : undefined;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config, accounts, keys, secrets, logger } = deps;

  const { gate } = deps;
  const baseAdapter = deps.adapter as (name: string) => ReturnType<Extract<NonNullable<Configuration['adapter']>, (name: string) => unknown>>;
  // Products are never stored as clients: the Client model reads the registry through the token gate,
  // so a product exists for oidc-provider exactly while the gate lets it through.
  const adapter = gate
    ? (name: string) => (name === 'Client' ? productClientAdapter(gate) : baseAdapter(name))
    : deps.adapter;

  const configuration: Configuration = {
    adapter: adapter as Configuration['adapter'],
    clients: deps.clients.map(toClientMetadata),
    // Keys in an HSM: external signing keys over the gateway's key set (src/idp/keys/providerKeys.ts).
    jwks: (keys.provider ? { keys: keys.provider } : keys.jwks) as Configuration['jwks'],
    cookies: {
      keys: secrets.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    acrValues: knownAcrs,
    // oidc-provider refuses outgoing requests to loopback addresses (SSRF). The sandbox's demo apps live
    // on the issuer's own origin, so there, and only to that origin, its requests may go.
    ...(config.mode === 'sandbox'
      ? { fetch: (url: URL | string | Request, options?: RequestInit) => fetch(url, new URL(url instanceof Request ? url.url : url).origin === new URL(config.issuer).origin ? { ...options, dispatcher: undefined } as RequestInit : options) }
      : {}),
    ...(deps.jump ? { extraParams: deps.jump.extraParams } : {}),
    claims: scopeClaims as Configuration['claims'],
    // The Swedish profile delivers identity claims in the ID token; userinfo repeats them.
    conformIdTokenClaims: false,
    subjectTypes: ['pairwise'],
    // Pairwise per product, keyed: two products cannot correlate a citizen by `sub`.
    pairwiseIdentifier(_ctx, accountId, client) {
      const product = (client as unknown as { product_id?: string }).product_id ?? client.clientId;
      return pairwiseSub(secrets.pairwiseSalt, product, accountId);
    },
    extraClientMetadata: {
      properties: ['product_id', 'authn_methods', 'minimum_acr'],
      validator(_ctx, key, value) {
        if (key === 'product_id' && (typeof value !== 'string' || value.length === 0)) {
          throw new errors.InvalidClientMetadata('product_id must be a non-empty string');
        }
        if (key === 'authn_methods' && value !== undefined
          && (!Array.isArray(value) || value.some((m) => typeof m !== 'string' || !config.loa.providers[m]))) {
          throw new errors.InvalidClientMetadata('authn_methods must name upstreams from loa.providers');
        }
        if (key === 'minimum_acr' && value !== undefined && loaRank(value as string) === 0) {
          throw new errors.InvalidClientMetadata('minimum_acr must be a known level of assurance');
        }
      },
    },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      id_token_signed_response_alg: 'ES256',
      subject_type: 'pairwise',
    } as Configuration["clientDefaults"],
    clientAuthMethods: config.mtls.enabled ? ['private_key_jwt', 'tls_client_auth'] : ['private_key_jwt'],
    responseTypes: ['code'], // no implicit or hybrid flows (FAPI 2.0 §5.3.1.2)
    pkce: { required: () => true }, // S256 is the only method oidc-provider 9 knows
    enabledJWA: {
      clientAuthSigningAlgValues: FAPI_ALGS,
      dPoPSigningAlgValues: FAPI_ALGS,
      idTokenSigningAlgValues: ['ES256', 'PS256'],
      requestObjectSigningAlgValues: FAPI_ALGS,
      userinfoSigningAlgValues: ['ES256', 'PS256'],
      introspectionSigningAlgValues: ['ES256', 'PS256'],
      authorizationSigningAlgValues: ['ES256', 'PS256'],
    } as Configuration['enabledJWA'],
    features: {
      devInteractions: { enabled: false },
      ...(keys.provider ? { externalSigningSupport: { enabled: true, ack: 'experimental-01' } } : {}),
      fapi: { enabled: true, profile: '2.0' },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
      dPoP: { enabled: true },
      clientCredentials: { enabled: true },
      // Until resource servers are registered (the policy decision point), a token is introspected
      // or revoked only by the client it was issued to: no product can probe another's tokens.
      introspection: { enabled: true, allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      revocation: { enabled: true, allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      // RFC 9396 needs a resource in oidc-provider. One resource stands for the data APIs behind the
      // policy decision point; a request that narrows its data access with authorization_details gets a
      // token for it. Other requests name no resource and get the usual token (userinfo and data alike:
      // the data APIs read the live approvals, not the audience). Any other resource is refused.
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx: KoaContextWithOIDC, _client: unknown, oneOf?: string) =>
          oneOf ?? (ctx.oidc.params?.authorization_details !== undefined ? dataApiResource(config.issuer) : undefined),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== dataApiResource(config.issuer)) throw new errors.InvalidTarget('no resource server is registered under that resource indicator');
          return { scope: '', audience: resource, accessTokenFormat: 'opaque', accessTokenTTL: config.ttl.accessToken };
        },
      },
      // RFC 9396: a client may narrow its data access with authorization_details; the gateway computes
      // what every token carries from the live approvals, so a request can never widen it.
      richAuthorizationRequests: {
        enabled: true,
        types: {
          [DATASET_ACCESS]: {
            async validate(ctx: KoaContextWithOIDC, detail: unknown, client: { clientId: string }) {
              const parsed = requestedDetailSchema.safeParse(detail);
              if (!parsed.success) throw new errors.InvalidAuthorizationDetails(`dataset_access: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
              const live = gate ? await gate.liveDetails(client.clientId, ctx) : [];
              if (!live || !withinLive(live, parsed.data)) {
                throw new errors.InvalidAuthorizationDetails(`dataset_access: ${parsed.data.dataset} is not approved for this product by the controllers asked for`);
              }
            },
          },
        },
        async authorizationDetailsForGrantSource(ctx: KoaContextWithOIDC) {
          const client = ctx.oidc.client;
          return client ? liveNarrowed(gate, ctx, client.clientId, requestedFrom(ctx.oidc.params?.authorization_details)) : [];
        },
        async authorizationDetailsForAccessToken(ctx: KoaContextWithOIDC, _token: unknown, source: { rar?: unknown[] } | undefined) {
          const client = ctx.oidc.client;
          return client ? liveNarrowed(gate, ctx, client.clientId, (source?.rar as RequestedDetail[] | undefined) ?? requestedFrom(ctx.oidc.params?.authorization_details)) : [];
        },
        async authorizationDetailsForIntrospection(ctx: KoaContextWithOIDC, token: { clientId: string; rar?: unknown[] }) {
          return liveNarrowed(gate, ctx, token.clientId, token.rar as RequestedDetail[] | undefined);
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          // Logging out always ends the session everywhere: the page names every service it ends.
          const session = ctx.oidc.session as unknown as { authorizations?: Record<string, unknown> };
          const services = await serviceNames(ctx.oidc.provider, signedInClients(session.authorizations));
          const uiLocales = uiLocalesOf(ctx);
          rememberAppLocale(ctx, uiLocales);
          // "Cancel" goes back to the app without submitting the form: the session stays.
          ctx.body = renderLogoutPrompt(localeOf(ctx, uiLocales), form, services, clientHome(ctx));
        },
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
          ctx.body = renderLoggedOut(localeOf(ctx), clientHome(ctx));
        },
      },
      // OpenID Connect Back-Channel Logout 1.0: clients register backchannel_logout_uri, ID tokens carry
      // sid; delivery itself is the shared session's (src/federation/sso/backchannel.ts, retried).
      backchannelLogout: { enabled: true },
      ...(config.mtls.enabled
        ? {
            mTLS: {
              enabled: true,
              certificateBoundAccessTokens: true,
              tlsClientAuth: true,
              getCertificate(ctx: KoaContextWithOIDC) {
                // Only meaningful behind a TLS-terminating proxy that strips this header from clients.
                const raw = ctx.get(config.mtls.certificateHeader);
                if (!raw) return undefined;
                try {
                  return new X509Certificate(decodeURIComponent(raw));
                } catch {
                  return undefined;
                }
              },
            },
          }
        : {}),
    } as unknown as Configuration['features'],
    // Refresh tokens are rotated on every use (FAPI 2.0 §5.3.2.1 allows rotation or binding; we do both
    // where DPoP binds them) and only issued for offline_access.
    rotateRefreshToken: true,
    ttl: {
      AccessToken: config.ttl.accessToken,
      AuthorizationCode: config.ttl.authorizationCode,
      ClientCredentials: config.ttl.accessToken,
      IdToken: config.ttl.idToken,
      Interaction: config.ttl.interaction,
      Session: config.ttl.session,
      Grant: config.ttl.session,
      RefreshToken: config.ttl.refreshToken,
      PushedAuthorizationRequest: config.ttl.pushedAuthorizationRequest,
    },
    // The grant this session holds for the client (oidc-provider's default), else a new grant of this
    // session's own with what the person consented to in an earlier session (remembered consent).
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { oidc } = ctx;
      const client = oidc.client;
      const accountId = oidc.session?.accountId;
      if (!client || !accountId) return undefined;
      const grantId = oidc.result?.consent?.grantId as string | undefined ?? oidc.session.grantIdFor(client.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      const consented = await deps.sso?.consents?.find(accountId, client.clientId);
      if (!consented) return undefined;
      const grant = new oidc.provider.Grant({ accountId, clientId: client.clientId });
      if (consented.scope) grant.addOIDCScope(consented.scope);
      if (consented.claims.length) grant.addOIDCClaims(consented.claims);
      await grant.save();
      return grant;
    },
    interactions: {
      policy: loginPolicy(config, deps.clock ?? systemClock, deps.sso ?? {}, deps.jump, deps.representation),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    async findAccount(ctx, sub, token) {
      const record = await accounts.find(sub);
      if (!record) return undefined; // identity expired with its session: fail closed
      const amr = (token as { amr?: string[] } | undefined)?.amr;
      // The register is asked whenever the account is (sign-in, token issue, userinfo), through its
      // bounded cache: what is released follows a changed protection mark within that bound.
      const protection = record.kind === 'citizen' && deps.protection ? await deps.protection.status(record.personalNumber) : undefined;
      // Someone acting for the citizen: the ID token and userinfo name them too (`act`, RFC 8693 §4.1).
      const sessionUid = (token as { sessionUid?: string } | undefined)?.sessionUid ?? ctx.oidc?.session?.uid;
      const client = ctx.oidc?.client as unknown as { product_id?: string; clientId: string } | undefined;
      const act = deps.representation && client ? await deps.representation.actClaim(sessionUid, client.product_id ?? client.clientId) : undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, ...accountClaims(record, authnProviderFor(config, amr), protection), ...(act ? { act } : {}) };
        },
      };
    },
    // Every access token of a session acting for someone re-checks the relation and carries `act`;
    // the access token (opaque: introspection shows it) carries the protected-identity flag downstream.
    async extraTokenClaims(ctx, token) {
      const represented = deps.representation ? await deps.representation.extraTokenClaims(ctx, token) : undefined;
      const flag = await protectedIdentityTokenClaims(deps, token);
      return represented || flag ? { ...represented, ...flag } : undefined;
    },
    async renderError(ctx, out, error) {
      ctx.type = 'html';
      // An outage is logged once, by the error events below; the page says to try again.
      if (isUnavailable(error)) {
        ctx.body = renderUnavailablePage(localeOf(ctx));
        return;
      }
      const err = error as { statusCode?: number; status?: number };
      const status = err.statusCode ?? err.status ?? 500;
      if (status >= 500) logger.error({ err: (error as Error).message, route: ctx.oidc?.route }, 'authorization error page');
      // The page's words come from the catalogue by the error code; the way back is the client's
      // registered page when the request named a client oidc-provider found.
      ctx.body = renderErrorPage(localeOf(ctx, uiLocalesOf(ctx)), out as unknown as Record<string, string>, clientHome(ctx));
    },
    discovery: {
      ui_locales_supported: ['sv', 'en'],
      claims_locales_supported: ['sv', 'en'],
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.http.trustProxy;
  const backchannel = deps.sso?.backchannel;
  if (backchannel) {
    // oidc-provider picks the products the session touched and their sids, and calls this per product
    // inside the logout request; the token goes out (and is retried) off that request.
    Object.defineProperty(provider.Client.prototype, 'backchannelLogout', {
      configurable: true,
      writable: true,
      value: async function backchannelLogout(this: { clientId: string; backchannelLogoutUri?: string; backchannelLogoutSessionRequired?: boolean; product_id?: string }, accountId: string, sid: string) {
        if (!this.backchannelLogoutUri) return;
        await backchannel.deliver({
          clientId: this.clientId,
          uri: this.backchannelLogoutUri,
          sub: pairwiseSub(secrets.pairwiseSalt, this.product_id ?? this.clientId, accountId),
          sid: this.backchannelLogoutSessionRequired ? sid : undefined,
        });
      },
    });
  }
  if (gate) provider.use(liveAuthorizationDetails(gate));

  // oidc-provider answers bad input with RFC-defined errors itself; a server_error is ours to look at.
  provider.on('server_error', (_ctx, err) => logger.error({ err: err.message, stack: err.stack }, 'oidc server_error'));
  // Tokens by grant, product and outcome (/metrics; src/http/metrics.ts).
  provider.on('grant.success', (ctx) => countToken(ctx, 'issued'));
  provider.on('grant.error', (ctx, err) => {
    countToken(ctx, isUnavailable(err) ? 'temporarily_unavailable' : String((err as { error?: string }).error ?? 'server_error'));
    if (!isUnavailable(err)) logger.info({ err: (err as { error?: string }).error ?? err.message }, 'token request refused');
  });
  // Redis (or the registry's database) did not answer inside one of oidc-provider's routes: its error
  // handler has answered 503 temporarily_unavailable (see DependencyUnavailable); this adds
  // Retry-After and the request's one log line, without a stack.
  for (const event of OAUTH_ERROR_EVENTS) {
    (provider as unknown as { on(event: string, listener: (ctx: KoaContextWithOIDC, err: unknown) => void): void }).on(event, (ctx, err) => {
      if (!isUnavailable(err)) return;
      logger.warn({ ...outageFields(err), route: ctx.oidc?.route, requestId: (ctx.state as { requestId?: string }).requestId }, 'dependency unavailable: answered 503');
      if (!ctx.headerSent) ctx.set('Retry-After', String(err.retryAfterSeconds));
    });
  }
  return provider;
}
