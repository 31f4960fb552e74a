// /account ("Mina appar och mina uppgifter"): a confidential client of this gateway
// (`gateway-account`, src/citizens/account/client.ts) that signs the citizen in with PAR + PKCE +
// private_key_jwt + DPoP and any citizen e-ID, as the admin console signs staff in, and keeps who is
// signed in in a server-side session. It reads the consent records, the registry and the decision
// audit in-process, always by the signed-in citizen's own pseudonym: a citizen can see and withdraw
// only their own things. Forms that change something carry the session's CSRF token and must come
// from the gateway's own origin; bad input is a 4xx with its reason, never a 500.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware, Next } from 'koa';
import * as oidc from 'openid-client';
import type Provider from 'oidc-provider';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { AccountStore } from '../../idp/accounts.ts';
import { dpopHandleFor, issuerDiscovery, newKeyPair, type ClientKey } from '../../idp/ownClients.ts';
import { localeOf, type Locale } from '../../idp/views/i18n.ts';
import { accountTexts } from '../../idp/views/messages/account.ts';
import { PRIVACY_LOCALES, type PrivacyLocale } from '../../idp/views/messages/catalogue.ts';
import { SE } from '../../idp/claims.ts';
import { sameSecret } from '../../whitelist/console/session.ts';
import type { RegistryCache } from '../../whitelist/registryCache.ts';
import type { DecisionAudit } from '../../scopes/decisionAudit.ts';
import { isUnavailable } from '../../unavailable.ts';
import type { ConsentHow, ConsentStore } from '../consent/records.ts';
import type { ConsentRevocation } from '../consent/revocation.ts';
import { AccessLog, parseFilter } from './accessLog.ts';
import { ACCOUNT_CLIENT_ID, ACCOUNT_SCOPE } from './client.ts';
import { overviewOf } from './overview.ts';
import type { AccountRepresentation } from './representation.ts';
import { AccountSessions, type AccountSession } from './session.ts';
import { overviewPage, privacyPage, problemPage, signedOutPage, signInPage } from './views.ts';

export interface AccountDeps {
  config: Config;
  key: ClientKey;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  provider: Provider;
  accounts: AccountStore;
  records: ConsentStore;
  revocation: ConsentRevocation;
  log: AccessLog;
  registry: RegistryCache | undefined;
  /** The decision audit, drained before the log is read so the newest decisions show (absent without a decision point). */
  audit?: DecisionAudit | undefined;
  representation: AccountRepresentation;
}

const PRODUCT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const CONSENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** How a withdrawal was made: on this page, with the e-ID the citizen signed in with. */
const howOf = (session: AccountSession): ConsentHow => (session.method ? `account_page:${session.method}` : 'account_page');

const form = (ctx: Context): Record<string, unknown> => ((ctx.request as { body?: Record<string, unknown> }).body ?? {});
const one = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The privacy page's language: any of PRIVACY_LOCALES by ?lang=, else the page language. */
const privacyLocale = (value: unknown, fallback: Locale): PrivacyLocale =>
  PRIVACY_LOCALES.find((l) => typeof value === 'string' && l === value.trim().toLowerCase()) ?? fallback;

export function accountRouter(deps: AccountDeps): Router {
  const { config, store, clock, logger, provider, accounts, records, revocation, log } = deps;
  const issuer = config.issuer;
  const origin = new URL(issuer).origin;
  const router = new Router({ prefix: '/account' });
  const sessions = new AccountSessions({ store, clock, ttlSeconds: config.account.sessionTtl, secure: issuer.startsWith('https://') });
  const getConfiguration = issuerDiscovery(issuer, ACCOUNT_CLIENT_ID, deps.key, { id_token_signed_response_alg: 'ES256' }, clock);
  const body = bodyParser({ enableTypes: ['form'], formLimit: '8kb' });
  const locale = (ctx: Context): Locale => {
    const chosen = one(form(ctx).lang);
    return chosen === 'sv' || chosen === 'en' ? chosen : localeOf(ctx);
  };

  const problem = (ctx: Context, status: number, reason: string, key: Parameters<typeof accountTexts.say>[1]) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = problemPage(locale(ctx), reason, accountTexts.say(locale(ctx), key));
  };

  /** A page that needs the citizen: a session, or the sign-in page (GET) / a refusal (POST). */
  const requireSession: Middleware = async (ctx: Context, next: Next) => {
    if (ctx.query.lang === 'sv' || ctx.query.lang === 'en') ctx.cookies.set('lang', ctx.query.lang, { httpOnly: true, sameSite: 'lax' });
    const session = await sessions.load(ctx);
    if (!session) {
      if (ctx.method === 'GET') {
        ctx.type = 'html';
        ctx.body = signInPage(locale(ctx));
        return;
      }
      problem(ctx, 401, 'session_expired', 'sessionExpired');
      return;
    }
    ctx.state.accountSession = session;
    try {
      await next();
    } catch (err) {
      // The database or the store not answering: a page saying so (503), never a stack.
      if (!isUnavailable(err)) throw err;
      logger.warn({ reason: 'unavailable', path: ctx.path }, 'account page: unavailable');
      problem(ctx, 503, 'unavailable', 'unavailable');
    }
  };
  const sessionOf = (ctx: Context): AccountSession => ctx.state.accountSession as AccountSession;

  /** Form posts carry this session's CSRF token and, when the browser says where they came from, come from us. */
  const requireCsrf: Middleware = async (ctx: Context, next: Next) => {
    const from = ctx.get('origin');
    if ((from && from !== origin) || !sameSecret(one(form(ctx).csrf) || undefined, sessionOf(ctx).csrf)) {
      logger.warn({ reason: from && from !== origin ? 'cross_origin' : 'csrf_mismatch', path: ctx.path }, 'account page: form refused');
      problem(ctx, 403, 'csrf', 'forbidden');
      return;
    }
    await next();
  };

  router.get('/', requireSession, async (ctx) => {
    const session = sessionOf(ctx);
    const loc = locale(ctx);
    const parsed = parseFilter(ctx.query);
    if (!parsed.ok) {
      problem(ctx, 400, parsed.reason, 'badRequest');
      return;
    }
    // What is still queued is written first, so the newest decision shows (a no-op when the queue is empty).
    await deps.audit?.drain().catch(() => 0);
    const record = await accounts.find(session.accountId);
    const [overview, page] = await Promise.all([
      overviewOf({ records, log, registry: deps.registry, datasets: config.datasets, representation: deps.representation },
        { accountId: session.accountId, personalNumber: record?.personalNumber }, loc),
      log.page(session.accountId, parsed.filter, config.account.pageSize),
    ]);
    const revokedApp = typeof ctx.query.revoked === 'string' && PRODUCT_ID.test(ctx.query.revoked) ? ctx.query.revoked : undefined;
    const flash = revokedApp
      ? accountTexts.say(loc, 'revokedApp', { app: overview.productNames.get(revokedApp) ?? revokedApp })
      : ctx.query.done === 'consent' ? accountTexts.say(loc, 'revokedConsent') : undefined;
    ctx.type = 'html';
    ctx.body = overviewPage({ locale: loc, session, overview, log: page, filter: parsed.filter, flash });
  });

  router.get('/privacy', (ctx) => {
    const fallback = localeOf(ctx);
    const content = privacyLocale(ctx.query.lang, fallback);
    ctx.type = 'html';
    // The site's chrome speaks English to an English reader, Swedish to everyone else.
    ctx.body = privacyPage(content === 'en' ? 'en' : 'sv', content, config.pdp.audit.retentionMonths);
  });

  router.get('/export', requireSession, async (ctx) => {
    const session = sessionOf(ctx);
    await deps.audit?.drain().catch(() => 0);
    const record = await accounts.find(session.accountId);
    const [overview, decisions] = await Promise.all([
      overviewOf({ records, log, registry: deps.registry, datasets: config.datasets, representation: deps.representation },
        { accountId: session.accountId, personalNumber: record?.personalNumber }, locale(ctx)),
      log.all(session.accountId),
    ]);
    ctx.set('content-disposition', 'attachment; filename="mina-uppgifter.json"');
    ctx.set('cache-control', 'no-store');
    ctx.type = 'application/json';
    ctx.body = JSON.stringify({
      exportedAt: new Date(clock.now()).toISOString(),
      signedIn: { name: session.name, method: session.method },
      apps: overview.apps,
      consents: overview.consents,
      accessLog: decisions.map(({ citizen: _citizen, ...rest }) => rest),
      representation: overview.relations,
    }, null, 2);
  });

  router.post('/apps/:productId/revoke', body, requireSession, requireCsrf, async (ctx) => {
    const session = sessionOf(ctx);
    const productId = String(ctx.params.productId);
    if (!PRODUCT_ID.test(productId)) {
      problem(ctx, 400, 'product_id_malformed', 'badRequest');
      return;
    }
    // Only a product this citizen gave consent to: anything else is "not among yours", whoever else it may be.
    const held = await records.inForce(session.accountId, productId);
    if (!held.some((c) => c.kind === 'app_access')) {
      problem(ctx, 404, 'app_not_found', 'notYours');
      return;
    }
    await revocation.revokeProduct(session.accountId, productId, howOf(sessionOf(ctx)));
    ctx.status = 303;
    ctx.redirect(`/account?revoked=${encodeURIComponent(productId)}&lang=${locale(ctx)}#apps`);
  });

  router.post('/consents/:id/revoke', body, requireSession, requireCsrf, async (ctx) => {
    const session = sessionOf(ctx);
    const id = String(ctx.params.id);
    if (!CONSENT_ID.test(id)) {
      problem(ctx, 400, 'consent_id_malformed', 'badRequest');
      return;
    }
    const result = await revocation.revokeOne(session.accountId, id, howOf(sessionOf(ctx)));
    if (!result.ok) {
      if (result.reason === 'consent_not_found') problem(ctx, 404, result.reason, 'notFound');
      else problem(ctx, 409, result.reason, 'alreadyRevoked');
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/account?done=consent&lang=${locale(ctx)}#consents`);
  });

  // --- Sign-in, callback, sign-out ---
  const configurationOrProblem = async (ctx: Context): Promise<oidc.Configuration | undefined> => {
    try {
      return await getConfiguration();
    } catch (err) {
      logger.error({ reason: 'discovery_failed', err: (err as Error).message }, 'account page: cannot discover the issuer');
      problem(ctx, 502, 'sign_in_unavailable', 'signInFailed');
      return undefined;
    }
  };

  router.get('/login', async (ctx) => {
    const config = await configurationOrProblem(ctx);
    if (!config) return;
    const dpop = await newKeyPair();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    await sessions.begin(ctx, { verifier, state, dpop });
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: `${issuer}/account/callback`,
      scope: ACCOUNT_SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ui_locales: locale(ctx),
    }, { DPoP: await dpopHandleFor(config, dpop) });
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const pending = await sessions.takePending(ctx);
    if (!pending) {
      problem(ctx, 400, 'sign_in_expired', 'signInFailed');
      return;
    }
    const config = await configurationOrProblem(ctx);
    if (!config) return;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, new URL(ctx.originalUrl, issuer), { pkceCodeVerifier: pending.verifier, expectedState: pending.state },
        undefined, { DPoP: await dpopHandleFor(config, pending.dpop) });
    } catch (err) {
      logger.warn({ reason: (err as { error?: string }).error ?? (err as { code?: string }).code ?? 'code_exchange_failed' }, 'account page: sign-in failed');
      problem(ctx, 400, 'sign_in_failed', 'signInFailed');
      return;
    }
    // The token names the account (the pseudonym) on the gateway's side; the ID token's sub is pairwise
    // to this client and could not find the citizen's consents.
    const token = await provider.AccessToken.find(tokens.access_token);
    const accountId = token?.accountId;
    const record = accountId ? await accounts.find(accountId) : undefined;
    if (!accountId || record?.kind !== 'citizen') {
      logger.warn({ reason: 'not_citizen' }, 'account page: sign-in refused');
      problem(ctx, 403, 'not_citizen', 'notCitizen');
      return;
    }
    // The page's own token has done its work: it is not kept.
    await token?.destroy();
    // Which e-ID, from the ID token's authnProvider (the access token does not carry the amr).
    const authnProvider = tokens.claims()?.[SE.authnProvider];
    const method = Object.entries(deps.config.loa.providers).find(([, p]) => p.audience === 'citizen' && p.authnProvider === authnProvider)?.[0];
    const claims = tokens.claims();
    await sessions.create(ctx, {
      accountId, name: record.name, method, idToken: tokens.id_token,
      acr: typeof claims?.acr === 'string' ? claims.acr : undefined, authTime: typeof claims?.auth_time === 'number' ? claims.auth_time : undefined,
    });
    logger.info({ method }, 'account page: signed in');
    ctx.redirect('/account');
  });

  router.post('/logout', body, requireSession, requireCsrf, async (ctx) => {
    const session = sessionOf(ctx);
    await sessions.destroy(ctx);
    // The gateway's own session would sign the citizen straight back in: RP-initiated logout ends it too.
    if (session.idToken) {
      const config = await getConfiguration();
      ctx.redirect(oidc.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: `${issuer}/account/signed-out` }).href);
      return;
    }
    ctx.redirect('/account/signed-out');
  });

  router.get('/signed-out', (ctx) => {
    ctx.type = 'html';
    ctx.body = signedOutPage(localeOf(ctx));
  });

  return router;
}
