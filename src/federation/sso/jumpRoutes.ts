// The jump endpoints (docs/sso.md, "Jumps"; docs/endpoints.md):
//   POST /sso/jump              a signed-in product asks to send its citizen to another product
//   GET  /sso/jump/refused/:ref the page a refused citizen is sent to: why, in words, and a sign-in
//   GET  /sso/launch/:ref       the target resolves the launch context with its own token
// The product authenticates with the citizen's DPoP-bound (or certificate-bound) access token, so
// the gateway knows the source, the person and the session the jump is made from. Every jump is
// audited — from, to, the controllers asked, the decision and its reason — with no personal data.
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { ProductGate } from '../../whitelist/productGate.ts';
import type { JumpPolicy } from '../../whitelist/model.ts';
import type { RegistryCache } from '../../whitelist/registryCache.ts';
import { AccessTokenError, challengeFor, verifyAccessToken, type VerifiedAccessToken } from '../../idp/accessToken.ts';
import { html, page } from '../../idp/views/html.ts';
import { localeOf, type Locale } from '../../idp/views/i18n.ts';
import { problem, sendProblem } from '../../http/problem.ts';
import { acceptedInstead, jumpChecks, type JumpDeps, type JumpReason } from './jump.ts';
import { JUMP_WORDS } from './jumpMessages.ts';
import type { JumpTickets } from './jumpTickets.ts';
import { JUMP_TICKET_PARAM } from './jumpLogin.ts';

export interface JumpRouteDeps {
  config: Config;
  provider: Provider;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  gate: ProductGate;
  registry: RegistryCache;
  tickets: JumpTickets;
}

/** Seconds a launch context and a refusal page live. */
const LAUNCH_TTL = 300;
const REFUSAL_TTL = 600;
const REF = /^[A-Za-z0-9_-]{32}$/;

const clientId = z.string().min(3).max(128).regex(/^[A-Za-z0-9._:-]+$/);
const jumpRequest = z.strictObject({
  target: clientId.describe('the target product\'s client_id'),
  target_link_uri: z.string().min(1).max(2000).describe('the deep link at the target'),
  launch: z.record(z.string(), z.unknown()).optional().describe('launch context (e.g. which booking): kept here, the target resolves it'),
});

/** How the refusal page names the sign-in methods it offers. */
const METHOD_NAMES: Record<string, string> = {
  bankid: 'BankID', freja: 'Freja eID', 'portal-saml': 'portalens inloggning / the portal sign-in', 'siths-saml': 'SITHS', 'siths-card': 'SITHS-kort',
};

interface Refused {
  reason: JumpReason;
  targetName?: string;
  /** Where the offered sign-in goes: the target's jump entry asking for a fresh login. */
  signIn?: string;
  methods: string[];
}

const newRef = () => randomBytes(24).toString('base64url');

export function jumpRouter(d: JumpRouteDeps): Router {
  const router = new Router();
  const body = bodyParser({ enableTypes: ['json', 'form'], jsonLimit: '8kb', formLimit: '8kb' });
  const issuer = new URL(d.config.issuer);

  /** The caller's access token, checked as every gateway resource checks it (src/idp/accessToken.ts). */
  const caller = async (ctx: Context, path: string): Promise<VerifiedAccessToken | undefined> => {
    try {
      return await verifyAccessToken(d.provider, {
        method: ctx.method,
        // As the client addressed it: the issuer's URL, never the Host header.
        url: new URL(path, issuer).href,
        authorization: ctx.get('authorization') || undefined,
        dpop: ctx.get('dpop') || undefined,
      }, { store: d.store, clock: d.clock });
    } catch (err) {
      if (!(err instanceof AccessTokenError)) throw err;
      ctx.set('WWW-Authenticate', challengeFor(err));
      sendProblem(ctx, { status: 401, type: err.reason, title: 'Unauthorized', detail: err.message });
      return undefined;
    }
  };

  const jumpDeps = (ctx: Context): JumpDeps => {
    let policies: Promise<ReadonlyMap<string, JumpPolicy>> | undefined;
    return {
      gate: (id) => d.gate.check(id, ctx),
      session: async (uid) => {
        const session = await d.provider.Session.findByUid(uid);
        if (!session?.accountId) return undefined;
        return { accountId: session.accountId, acr: session.acr ?? '', amr: session.amr ?? [], loginTs: session.loginTs ?? 0 };
      },
      jumpPolicies: () => (policies ??= d.registry.snapshot().then((s) => new Map((s.jumpPolicies ?? []).map((p) => [p.controllerId, p])))),
      providers: d.config.loa.providers,
    };
  };

  router.post('/sso/jump', body, async (ctx) => {
    const token = await caller(ctx, '/sso/jump');
    if (!token) return;
    const raw = (ctx.request.body ?? {}) as Record<string, unknown>;
    let launchInput = raw.launch;
    if (typeof launchInput === 'string') {
      try {
        launchInput = JSON.parse(launchInput) as unknown;
      } catch {
        throw problem(400, 'invalid_request', 'Bad request', 'launch: not JSON');
      }
    }
    const parsed = jumpRequest.safeParse({ ...raw, ...(launchInput === undefined ? {} : { launch: launchInput }) });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw problem(400, 'invalid_request', 'Bad request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    const input = parsed.data;
    if (input.launch && JSON.stringify(input.launch).length > 2048) throw problem(400, 'invalid_request', 'Bad request', 'launch: at most 2 kB');

    const deps = jumpDeps(ctx);
    const verdict = await jumpChecks.run({
      caller: { clientId: token.clientId, accountId: token.accountId, sessionUid: token.sessionUid },
      target: input.target,
      deepLink: input.target_link_uri,
    }, deps, { unexpected: () => 'target_refused' });
    const controllers = verdict.state.controllersAsked ?? [];
    const audit = { audit: 'sso.jump', from: token.clientId, to: input.target, controllers, decision: verdict.ok ? 'permit' : 'deny' };

    if (!verdict.ok) {
      d.logger.info({ ...audit, reason: verdict.reason, check: verdict.check, ...('refusedBy' in verdict.state ? { refusedBy: verdict.state.refusedBy } : {}) }, 'jump decided');
      const target = verdict.state.targetProduct;
      const refused: Refused = { reason: verdict.reason, methods: [] };
      if (target) {
        refused.targetName = target.name;
        const instead = acceptedInstead(target, controllers, await deps.jumpPolicies(), d.config.loa.providers);
        refused.methods = instead.upstreams;
        const entry = target.client.initiateLoginUri;
        if (entry && verdict.reason !== 'deep_link_invalid' && verdict.reason !== 'deep_link_not_registered') {
          const url = new URL(entry);
          url.searchParams.set('iss', d.config.issuer);
          url.searchParams.set('target_link_uri', input.target_link_uri);
          url.searchParams.set('prompt', 'login');
          if (instead.minimumAcr) url.searchParams.set('acr_values', instead.minimumAcr);
          refused.signIn = url.href;
        }
      }
      const ref = newRef();
      await d.store.set(`sso:jump-refused:${ref}`, JSON.stringify(refused), REFUSAL_TTL);
      sendProblem(ctx, {
        status: verdict.reason === 'no_session' ? 401 : 403,
        type: verdict.reason,
        title: 'Jump refused',
        reason: verdict.reason,
        ...(verdict.detail ? { detail: verdict.detail } : {}),
        check: verdict.check,
        refusal_uri: new URL(`/sso/jump/refused/${ref}`, issuer).href,
      });
      return;
    }

    const { session, targetProduct, jumpEntry } = verdict.state;
    const ticket = await d.tickets.issue({
      sessionUid: session.uid, accountId: session.accountId, acr: session.acr, amr: session.amr, loginTs: session.loginTs,
      sourceClientId: token.clientId, targetClientId: targetProduct.client.clientId, deepLink: input.target_link_uri,
    });
    const redirect = new URL(jumpEntry);
    redirect.searchParams.set('iss', d.config.issuer);
    redirect.searchParams.set('target_link_uri', input.target_link_uri);
    redirect.searchParams.set(JUMP_TICKET_PARAM, ticket);
    if (input.launch) {
      const ref = newRef();
      await d.store.set(`sso:launch:${ref}`, JSON.stringify({ targetClientId: targetProduct.client.clientId, accountId: session.accountId, context: input.launch }), LAUNCH_TTL);
      redirect.searchParams.set('launch', ref);
    }
    d.logger.info(audit, 'jump decided');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { redirect_to: redirect.href, expires_in: d.tickets.lifetimeSeconds };
  });

  router.get('/sso/jump/refused/:ref', async (ctx) => {
    const loc: Locale = localeOf(ctx);
    const sv = loc === 'sv';
    const ref = ctx.params.ref ?? '';
    const raw = REF.test(ref) ? await d.store.get(`sso:jump-refused:${ref}`) : undefined;
    ctx.type = 'html';
    if (!raw) {
      ctx.status = 404;
      ctx.body = page({ locale: loc, title: sv ? 'Sidan finns inte' : 'No such page', body: html`<div class="card"><h1>${sv ? 'Sidan finns inte längre' : 'This page is gone'}</h1><p>${sv ? 'Gå tillbaka till tjänsten och försök igen.' : 'Go back to the service and try again.'}</p></div>` });
      return;
    }
    const refused = JSON.parse(raw) as Refused;
    const title = sv ? 'Du kunde inte gå vidare utan ny inloggning' : 'You could not go on without signing in again';
    const methods = refused.methods.map((m) => METHOD_NAMES[m] ?? m);
    ctx.status = 403;
    ctx.body = page({
      locale: loc,
      title,
      path: `/sso/jump/refused/${ref}`,
      body: html`<div class="card"><h1>${title}</h1>
${refused.targetName ? html`<p>${sv ? 'Du ville till' : 'You wanted to go to'} <strong>${refused.targetName}</strong>.</p>` : html``}
<p class="message error" role="alert" id="jump-reason" data-reason="${refused.reason}">${JUMP_WORDS[refused.reason][loc]}</p>
${methods.length ? html`<p id="accepted-methods">${sv ? 'Du kan logga in där med' : 'You can sign in there with'}: ${methods.join(', ')}.</p>` : html``}
${refused.signIn ? html`<p><a class="button" id="sign-in-instead" href="${refused.signIn}">${sv ? 'Logga in' : 'Sign in'}${methods.length ? html` ${sv ? 'med' : 'with'} ${methods.join(sv ? ' eller ' : ' or ')}` : html``}</a></p>` : html``}
<p class="muted">${sv ? 'Felkod' : 'Error code'}: <code>${refused.reason}</code></p></div>`,
    });
  });

  router.get('/sso/launch/:ref', async (ctx) => {
    const ref = ctx.params.ref ?? '';
    if (!REF.test(ref)) throw problem(404, 'launch_unknown', 'Not found', 'no such launch context');
    const token = await caller(ctx, `/sso/launch/${ref}`);
    if (!token) return;
    const raw = await d.store.get(`sso:launch:${ref}`);
    if (!raw) throw problem(404, 'launch_unknown', 'Not found', 'no such launch context (or it has expired)');
    const launch = JSON.parse(raw) as { targetClientId: string; accountId: string; context: unknown };
    // Only the target it was made for, for the same person, may read it.
    if (launch.targetClientId !== token.clientId || launch.accountId !== token.accountId) throw problem(403, 'launch_foreign', 'Forbidden', 'the launch context was made for another product or person');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { context: launch.context };
  });

  return router;
}
