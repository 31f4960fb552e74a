// The interaction routes (/interaction/:uid/...): sign-in method choice, consent and abort, and the
// one place where an upstream's verified identity becomes a login (finishLogin). Each upstream
// (BankID, Freja, SAML, SITHS card) brings its own routes as an `UpstreamRoutes` module; this file
// decides which of them a request may use (client's allowed methods, requested and minimum LoA) and
// refuses any result that does not meet them. oidc-provider owns the interaction state; these routes
// only ever finish it.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { IdentityRejected, type AccountStore, type UpstreamIdentity } from './accounts.ts';
import { clientLoginRules } from './provider.ts';
import { chosenLocale, localeOf, rememberAppLocale, type Locale } from './views/i18n.ts';
import type { GatewayState } from '../http/app.ts';
import { loginPage, type MethodChoice } from './views/interaction.ts';
import { productClient, type ProductGate } from '../whitelist/productGate.ts';
import { html } from './views/html.ts';
import { errorPage } from './views/errors.ts';
import { appHome, InteractionApps } from './appHome.ts';
import { methodDescription, methodTexts, levelWords as levelInWords } from './views/messages/methods.ts';
import { isPhone } from './views/device.ts';
import { pageTexts } from './views/messages/pages.ts';
import { acrFor, loaRank, neededLoa } from '../federation/loa.ts';
import { epochSeconds, systemClock, type Clock } from '../clock.ts';
import type { HotStore } from '../store/hotStore.ts';
import { SESSION_NOT_REUSABLE } from './provider.ts';
import type { RememberedConsents } from '../federation/sso/consent.ts';
import type { UpstreamSessionFacts, UpstreamSessions } from '../federation/sso/upstreamSession.ts';
import { describeSession, sharedLoginNotice, signedInNotice, type SignedInPerson } from '../federation/sso/views.ts';
import { isUnavailable } from '../unavailable.ts';
import { methodLabel, signIns } from '../http/metrics.ts';
import type { JumpLogin } from '../federation/sso/jumpLogin.ts';
import type { Representation } from '../citizens/representation/representation.ts';
import { ConsentPrompt } from '../citizens/consent/prompt.ts';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What `load` establishes in ctx.state for every route after it (upstreams read `details`). */
export interface LoadedInteraction {
  details: Details;
  clientName: string;
  /** The upstreams the client allows. */
  authnMethods: string[];
  /** The LoA rank this interaction needs. */
  needed: number;
}

export type InteractionState = Partial<GatewayState> & Partial<LoadedInteraction>;

/** The interaction `load` put in ctx.state; a route registered without `load` is a programming error. */
export function loadedInteraction(ctx: Context): LoadedInteraction {
  const state: InteractionState = ctx.state;
  const { details, clientName, authnMethods, needed } = state;
  if (!details || clientName === undefined || !authnMethods || needed === undefined) throw new Error('interaction route registered without load');
  return { details, clientName, authnMethods, needed };
}

export type LoginOutcome =
  | { ok: true; redirectTo: string }
  | { ok: false; reason: string; message: string };

/** What the interaction core offers an upstream's routes. */
export interface LoginKit {
  config: Config;
  logger: Logger;
  provider: Provider;
  /** Form and JSON bodies, 8 kB at most. */
  body: Middleware;
  /** Loads the interaction bound to this browser (ctx.state.details), refusing cross-origin posts. */
  load: Middleware;
  locale(ctx: Context, details?: Details): Locale;
  /** The LoA rank this interaction needs (acr_values, never below the client's minimum). */
  needed(ctx: Context): number;
  /**
   * Turns a verified identity into the login result, or says why it cannot. Never throws for bad
   * identities. `upstreamSession` is what an upstream with sessions of its own (a SAML IdP) said about
   * its session, kept for single logout.
   */
  finishLogin(ctx: Context, details: Details, identity: UpstreamIdentity, upstreamId: string, nativeLevel?: string, upstreamSession?: UpstreamSessionFacts): Promise<LoginOutcome>;
  /** Answers with the method choice again, with a message saying what went wrong. */
  showLogin(ctx: Context, details: Details, notice?: string): Promise<void>;
}

export interface UpstreamRoutes {
  /** Key in config.loa.providers. */
  id: string;
  /** The method as the login page offers it; `needed` is the LoA rank asked for. */
  choice(uid: string, locale: Locale, needed: number): MethodChoice;
  /** Routes under /interaction/:uid/<id>/; the interaction is loaded and the method checked first. */
  register(router: Router, kit: LoginKit): void;
  /** Routes outside the interaction (a SAML ACS, a callback from another host); they load nothing. */
  registerGlobal?(router: Router, kit: LoginKit): void;
  /** Ends anything the upstream has running for this interaction; never throws. */
  cancel?(uid: string): Promise<void>;
  /**
   * A sign-in with no page, tried once per interaction before the method choice (a passive SAML
   * AuthnRequest to the national portal): where to send the browser, or undefined to skip. When it
   * cannot sign the person in, the upstream brings the browser back to /interaction/:uid.
   */
  silent?(ctx: Context, kit: LoginKit, details: Details): Promise<string | undefined>;
}

export interface InteractionDeps {
  provider: Provider;
  config: Config;
  accounts: AccountStore;
  upstreams: UpstreamRoutes[];
  logger: Logger;
  /** The product whitelist, to tell the citizen which data at which controllers the app will reach. */
  gate?: ProductGate | undefined;
  /** The operator's configured clients' ids: oidc-provider holds those itself, the gate only products. */
  configuredClientIds: ReadonlySet<string>;
  clock?: Clock | undefined;
  /** The shared session's parts (src/federation/sso/). */
  sso?: InteractionSso | undefined;
  /** Jumps (src/federation/sso/): a request carrying a jump ticket is signed in by it, or told why not. */
  jump?: JumpLogin | undefined;
  /** Guardians and agents (src/citizens/representation/): the choice of whom to act for, after the e-ID. */
  representation?: Representation | undefined;
  /** The consent page's content and the consent records (src/citizens/consent/); default: a page that records nothing. */
  consentPrompt?: ConsentPrompt | undefined;
}

export interface InteractionSso {
  store: HotStore;
  consents?: RememberedConsents | undefined;
  upstreamSessions: UpstreamSessions;
}

/** Why a sign-in is refused; each has its words in the `pages` catalogue (`refusal.<reason>`). */
const REFUSALS = ['level_too_low', 'level_unknown', 'method_not_allowed', 'wrong_audience', 'identity_rejected'] as const;
const refusalText = (reason: Refusal, locale: Locale): string => pageTexts.say(locale, `refusal.${reason}`);

type Refusal = (typeof REFUSALS)[number];

const INTERACTION_UID = /^[A-Za-z0-9_-]{1,64}$/;

/** What the consent page and its record read of the interaction. */
const promptRequest = (details: Details) => ({
  accountId: details.session?.accountId ?? '',
  clientId: details.params.client_id as string,
  scope: String(details.params.scope ?? ''),
  authorizationDetails: details.params.authorization_details,
});

export function interactionRouter(deps: InteractionDeps): Router {
  const { provider, config, accounts, upstreams, logger, gate, configuredClientIds, sso } = deps;
  const clock = deps.clock ?? systemClock;
  const router = new Router();
  const apps = sso ? new InteractionApps(sso.store, config.ttl.interaction) : undefined;
  const body = bodyParser({ enableTypes: ['form', 'json'], formLimit: '8kb', jsonLimit: '8kb' });
  const consentPrompt = deps.consentPrompt ?? new ConsentPrompt({ config, accounts, gate, configuredClientIds, logger });

  const locale = (ctx: Context, details?: Details): Locale => {
    // The language switch on a posted form is the person's own choice, like ?lang=.
    const form = ctx.request.body;
    const uiLocales = details?.params.ui_locales;
    return chosenLocale(form && typeof form === 'object' && 'lang' in form ? form.lang : undefined) ?? localeOf(ctx, typeof uiLocales === 'string' ? uiLocales : undefined);
  };

  const needed = (ctx: Context): number => loadedInteraction(ctx).needed;

  /** The upstreams this request may use (configured, allowed for the client, able to reach the level), each with its LoA entry. */
  const usable = (ctx: Context) => {
    const allowed = loadedInteraction(ctx).authnMethods;
    return upstreams.flatMap((upstream) => {
      const entry = config.loa.providers[upstream.id];
      return entry && allowed.includes(upstream.id) && loaRank(entry.acr) >= needed(ctx) ? [{ upstream, entry }] : [];
    });
  };

  /**
   * The client's name and sign-in rules, or undefined when there is no such client now. A registry
   * product's come from the gate's run for this request, which the consent page's data lines share;
   * oidc-provider cannot name the request here (its `Provider.ctx` is unset outside its own routes),
   * so asking it would run the gate again. Configured clients are oidc-provider's own.
   */
  const signInClient = async (ctx: Context, clientId: string) => {
    if (gate && !configuredClientIds.has(clientId)) {
      const result = await gate.check(clientId, ctx);
      if (!result.ok) {
        // The page says only that the app cannot sign in now; the log says why (no personal data).
        logger.info({ client: clientId, gate: result.check, reason: result.reason }, 'token gate refused the product at sign-in');
        return undefined;
      }
      const client = productClient(result.product);
      const name = client.client_name ?? clientId;
      return { name, rules: clientLoginRules(client), home: appHome({ name, postLogoutRedirectUris: client.post_logout_redirect_uris, redirectUris: client.redirect_uris }) };
    }
    const client = await provider.Client.find(clientId);
    const name = client?.clientName ?? clientId;
    return client && { name, rules: clientLoginRules(client), home: appHome({ name, postLogoutRedirectUris: client.postLogoutRedirectUris, redirectUris: client.redirectUris }) };
  };

  /** Loads the interaction bound to this browser's cookie; anything else is a 400 page, not a 500. */
  const load: Middleware = async (ctx: Context, next: Next) => {
    // Interaction pages are never served from the cache: Back after a sign-in asks again, and gets a
    // page that says the sign-in is done, with the way back to the app.
    ctx.set('cache-control', 'no-store');
    // Cross-site form posts never carry the interaction cookie (SameSite=Lax); checking Origin too
    // refuses them before any work is done.
    const origin = ctx.get('origin');
    if (ctx.method === 'POST' && origin && origin !== new URL(config.issuer).origin) {
      ctx.status = 403;
      ctx.type = 'html';
      ctx.body = errorPage(localeOf(ctx), { code: 'cross_origin' });
      return;
    }
    try {
      // oidc-provider's uids: URL-safe, never long. Anything else is refused before a lookup.
      if (!INTERACTION_UID.test(String(ctx.params.uid))) throw new Error('malformed interaction uid');
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid !== ctx.params.uid) throw new Error('interaction mismatch');
      const client = await signInClient(ctx, details.params.client_id as string);
      if (!client) throw new Error('client gone');
      const { rules } = client;
      rememberAppLocale(ctx, typeof details.params.ui_locales === 'string' ? details.params.ui_locales : undefined);
      await apps?.remember(details.uid, client.home);
      const loaded: LoadedInteraction = {
        details,
        clientName: client.name,
        authnMethods: rules.authnMethods,
        needed: neededLoa(details.params.acr_values as string | undefined, rules.minimumAcr),
      };
      Object.assign(ctx.state, loaded);
    } catch (err) {
      // Redis not answering is no expired sign-in: the boundary answers 503, and the same link works later.
      if (isUnavailable(err)) throw err;
      ctx.status = 400;
      ctx.type = 'html';
      // A finished interaction (Back after the code reached the app) still knows its app.
      const back = INTERACTION_UID.test(String(ctx.params.uid)) ? await apps?.find(String(ctx.params.uid)) : undefined;
      ctx.body = errorPage(localeOf(ctx), { code: 'interaction_expired', back });
      return;
    }
    await next();
  };

  /** Who the browser's session signs in (for the notices on every page), or undefined. */
  const signedIn = async (details: Details): Promise<SignedInPerson | undefined> => {
    const cookie = (details.session as { cookie?: string } | undefined)?.cookie;
    if (!details.session?.accountId || !cookie) return undefined;
    try {
      const session = await (provider.Session as unknown as { find(id: string): Promise<{ accountId?: string; amr?: string[]; authorizations?: Record<string, unknown> } | undefined> }).find(cookie);
      return await describeSession({
        accounts,
        providers: config.loa.providers,
        clientName: async (id) => (await provider.Client.find(id))?.clientName ?? undefined,
      }, session ?? { accountId: details.session.accountId, amr: details.session.amr });
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'signed-in notice unavailable');
      return undefined;
    }
  };

  const showLogin = async (ctx: Context, details: Details, notice?: string): Promise<void> => {
    const loc = locale(ctx, details);
    const level = needed(ctx);
    const phone = isPhone(ctx.get('user-agent'));
    const methods = usable(ctx).map(({ upstream, entry }) => {
      const choice = upstream.choice(details.uid, loc, level);
      const words = levelInWords(loaRank(entry.acr), loc);
      // On a phone the e-ID is on this device: its same-device button comes first (BankID's guidance).
      const buttons = phone ? [...choice.buttons].sort((a, b) => Number(a.value !== 'autostart') - Number(b.value !== 'autostart')).map((b) => ({ ...b, secondary: b.value !== 'autostart' && choice.buttons.length > 1 })) : choice.buttons;
      return {
        ...choice,
        buttons,
        audience: entry.audience,
        description: methodDescription(upstream.id, loc) ?? choice.description,
        ...(words ? { levelText: entry.levels ? methodTexts.say(loc, 'levelUpTo', { level: words }) : words } : {}),
      };
    });
    const person = await signedIn(details);
    const reuse = (details.prompt.details as { reuse?: { reason?: string } } | undefined)?.reuse?.reason;
    ctx.type = 'html';
    ctx.body = loginPage({
      locale: loc,
      uid: details.uid,
      clientName: loadedInteraction(ctx).clientName,
      methods,
      ...(notice ? { notice } : {}),
      // A session exists but fell short of this request: say why the person signs in again.
      stepUp: Boolean(details.session?.accountId) && (details.prompt.reasons ?? []).includes(SESSION_NOT_REUSABLE) && reuse === 'level_too_low',
      ...(person ? { signedIn: signedInNotice(loc, person), shared: sharedLoginNotice(loc, person), sessionNotUsed: sessionNotUsedNotice(loc, reuse) } : {}),
    });
  };

  const refuse = (ctx: Context, details: Details, reason: Refusal, logFields: Record<string, unknown> = {}): LoginOutcome => {
    logger.warn({ reason, interaction: details.uid, ...logFields }, 'sign-in refused');
    signIns.inc({ method: methodLabel(logFields.upstream), outcome: reason });
    return { ok: false, reason, message: refusalText(reason, locale(ctx, details)) };
  };

  const finishLogin: LoginKit['finishLogin'] = async (ctx, details, identity, upstreamId, nativeLevel, upstreamSession) => {
    const entry = config.loa.providers[upstreamId];
    if (!entry || !loadedInteraction(ctx).authnMethods.includes(upstreamId)) return refuse(ctx, details, 'method_not_allowed', { upstream: upstreamId });
    if ((identity.kind ?? 'citizen') !== entry.audience) return refuse(ctx, details, 'wrong_audience', { upstream: upstreamId });
    const acr = acrFor(entry, nativeLevel);
    if (!acr) return refuse(ctx, details, 'level_unknown', { upstream: upstreamId, nativeLevel });
    if (loaRank(acr) < needed(ctx)) return refuse(ctx, details, 'level_too_low', { upstream: upstreamId, acr });
    let accountId: string;
    try {
      accountId = await accounts.remember(identity);
    } catch (err) {
      if (err instanceof IdentityRejected) return refuse(ctx, details, 'identity_rejected', { upstream: upstreamId, detail: err.reason });
      throw err;
    }
    logger.info({ upstream: upstreamId, acr, interaction: details.uid }, 'sign-in completed');
    signIns.inc({ method: methodLabel(upstreamId), outcome: 'completed' });
    // The sign-in time is set here, so the upstream's session facts can be found again at logout.
    const ts = epochSeconds(clock);
    if (upstreamSession && sso) await sso.upstreamSessions.remember(accountId, ts, upstreamSession);
    // A citizen with someone to act for (a child, a principal) chooses first (src/citizens/representation/);
    // only for a product: the gateway's own pages (/account, the console) are always the person's own.
    if (identity.kind !== 'staff' && deps.representation && !configuredClientIds.has(String(details.params.client_id))) {
      const choice = await deps.representation.offerChoice(details.uid, { accountId, personalNumber: identity.personalNumber, acr, amr: [entry.amr], ts });
      if (choice) return { ok: true, redirectTo: choice };
    }
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId, acr, amr: [entry.amr], remember: true, ts },
    }, { mergeWithLastSubmission: false });
    return { ok: true, redirectTo };
  };

  const kit: LoginKit = { config, logger, provider, body, load, locale, needed, finishLogin, showLogin };

  /**
   * The first silent sign-in this interaction may still try (passive portal login), once each: not
   * when the relying party asked for a fresh sign-in (prompt=login, max_age), which a passive answer
   * from another session could not honour.
   */
  const silentAttempt = async (ctx: Context, details: Details): Promise<string | undefined> => {
    if (!sso) return undefined;
    const prompts = String(details.params.prompt ?? '').split(' ');
    if (prompts.includes('login') || details.params.max_age !== undefined) return undefined;
    for (const { upstream } of usable(ctx)) {
      if (!upstream.silent || !config.sessions.passiveUpstreams.includes(upstream.id)) continue;
      if (!(await sso.store.setIfAbsent(`sso:silent:${details.uid}:${upstream.id}`, '1', config.ttl.interaction))) continue;
      const url = await upstream.silent(ctx, kit, details);
      if (url) return url;
    }
    return undefined;
  };
  /** A jump's ticket, when the request carries one: its own module answers (true) or leaves it (false). */
  const acceptJump = (ctx: Context, details: Details): Promise<boolean> => (deps.jump
    ? deps.jump.accept(ctx, details, { provider, locale: (c) => locale(c, details), showLogin: (c, notice) => showLogin(c, details, notice) })
    : Promise.resolve(false));

  router.get('/interaction/:uid', load, async (ctx) => {
    const { details, clientName } = loadedInteraction(ctx);
    const loc = locale(ctx, details);
    // A language chosen with ?lang= holds for the rest of the sign-in (the cookie), not just this page.
    const chosen = chosenLocale(ctx.query.lang);
    if (chosen) ctx.cookies.set('lang', chosen, { httpOnly: true, sameSite: 'lax' });
    ctx.type = 'html';
    if (details.prompt.name === 'login' && await acceptJump(ctx, details)) return;
    if (details.prompt.name === 'login') {
      const silently = await silentAttempt(ctx, details);
      if (silently) {
        ctx.status = 303;
        ctx.redirect(silently);
        return;
      }
      await showLogin(ctx, details);
      return;
    }
    if (details.prompt.name === 'consent') {
      const person = await signedIn(details);
      // Someone acting for another (src/citizens/representation/): the page says so above who is signed in.
      const acting = await deps.representation?.actingLine(details.session?.uid, loc);
      const notice = person && signedInNotice(loc, person);
      ctx.body = await consentPrompt.page(ctx, promptRequest(details), { locale: loc, uid: details.uid, clientName, signedIn: acting ? html`${acting}${notice ?? ''}` : notice });
      return;
    }
    ctx.status = 400;
    logger.warn({ prompt: details.prompt.name, interaction: details.uid }, 'interaction prompt without a page');
    ctx.body = errorPage(loc, { code: 'server_error', back: await apps?.find(details.uid) });
  });

  router.post('/interaction/:uid/abort', body, load, async (ctx) => {
    const { details } = loadedInteraction(ctx);
    await Promise.all(upstreams.map((u) => u.cancel?.(details.uid)));
    await provider.interactionFinished(ctx.req, ctx.res, {
      error: 'access_denied',
      error_description: 'the end-user cancelled the sign-in',
    }, { mergeWithLastSubmission: false });
  });

  router.post('/interaction/:uid/consent', body, load, async (ctx) => {
    const { details } = loadedInteraction(ctx);
    if (details.prompt.name !== 'consent' || !details.session?.accountId) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = errorPage(locale(ctx, details), { code: 'nothing_to_consent', back: await apps?.find(details.uid) });
      return;
    }
    const clientId = details.params.client_id as string;
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId: details.session.accountId, clientId })
      : new provider.Grant({ accountId: details.session.accountId, clientId });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    // The consent record says what the page showed; it is written before the sign-in goes on.
    await consentPrompt.given(ctx, promptRequest(details), { locale: locale(ctx, details), method: details.session.amr?.[0] });
    await sso?.consents?.remember(details.session.accountId, clientId, { scope: grant.getOIDCScope(), claims: grant.getOIDCClaims() });
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  // An upstream's routes run only while this request may use it; anything else is refused up front.
  const guard = (id: string): Middleware => async (ctx, next) => {
    const entry = config.loa.providers[id];
    const { details, authnMethods } = loadedInteraction(ctx);
    if (!entry || !authnMethods.includes(id) || loaRank(entry.acr) < needed(ctx)) {
      ctx.status = 403;
      await showLogin(ctx, details, refusalText('method_not_allowed', locale(ctx, details)));
      return;
    }
    await next();
  };
  deps.representation?.routes(router, { provider, load, body, locale: (ctx) => locale(ctx) });
  for (const upstream of upstreams) {
    upstream.registerGlobal?.(router, kit);
    const sub = new Router();
    upstream.register(sub, kit);
    // Interaction-bound routes get load + guard here, so no upstream can forget them.
    router.use(`/interaction/:uid/${upstream.id}`, body, load, guard(upstream.id), sub.routes(), sub.allowedMethods());
  }

  return router;
}

const NOT_USED_REASONS = ['wrong_audience', 'audience_unconfirmed', 'method_not_allowed', 'max_age_exceeded'] as const;
type NotUsedReason = (typeof NOT_USED_REASONS)[number];
const isNotUsedReason = (reason: string): reason is NotUsedReason => (NOT_USED_REASONS as readonly string[]).includes(reason);

/** Why the existing session was not used for this app, in words (level: the step-up notice says it). */
function sessionNotUsedNotice(locale: Locale, reason: string | undefined): string | undefined {
  return reason && isNotUsedReason(reason) ? pageTexts.say(locale, `notUsed.${reason}`) : undefined;
}
