// The interaction routes (/interaction/:uid/...): sign-in method choice, the BankID steps, consent
// and abort. oidc-provider owns the interaction state; these routes only ever finish it.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { AccountStore, VerifiedIdentity } from './accounts.ts';
import { SE } from './claims.ts';
import { localeOf, type Locale } from './views/i18n.ts';
import { loginPage, bankIdWaitPage, consentPage, type MethodChoice } from './views/interaction.ts';
import { renderErrorPage } from './views/errors.ts';
import { BankIdLogin, qrSvg, type Mode } from '../federation/bankid/login.ts';
import { BankIdError } from '../federation/bankid/client.ts';
import { userMessage } from '../federation/bankid/messages.ts';
import { loaRank, requiredLoa } from '../federation/loa.ts';

export interface InteractionDeps {
  provider: Provider;
  config: Config;
  accounts: AccountStore;
  bankid: BankIdLogin | undefined;
  logger: Logger;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const scopeText: Record<string, Record<Locale, string>> = {
  openid: { sv: 'att du har loggat in, och med vilken e-legitimation', en: 'that you signed in, and with which e-ID' },
  profile: { sv: 'ditt namn', en: 'your name' },
  offline_access: { sv: 'fortsatt åtkomst när du inte använder appen', en: 'continued access when you are not using the app' },
  [SE.naturalPersonNumberScope]: { sv: 'ditt personnummer', en: 'your personal identity number' },
};

/** The client's IP as BankID wants it: plain IPv4 where the socket reports an IPv4-mapped IPv6 address. */
function endUserIp(ctx: Context): string {
  const ip = ctx.ip || '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export function interactionRouter(deps: InteractionDeps): Router {
  const { provider, config, accounts, bankid, logger } = deps;
  const router = new Router();
  const body = bodyParser({ enableTypes: ['form', 'json'], formLimit: '8kb', jsonLimit: '8kb' });

  const methods = (details: Details): Array<MethodChoice & { acr: string }> => {
    const needed = requiredLoa(details.params.acr_values as string | undefined);
    const list: Array<MethodChoice & { acr: string }> = [];
    const bank = config.loa.providers.bankid;
    if (bankid && bank && loaRank(bank.acr) >= needed) {
      list.push({ id: 'bankid', name: 'BankID', description: 'Mobilt BankID eller BankID på kort / Mobile BankID or BankID on card', acr: bank.acr });
    }
    return list;
  };

  const locale = (ctx: Context, details?: Details): Locale => {
    const fromForm = (ctx.request as { body?: Record<string, unknown> }).body?.lang;
    if (fromForm === 'sv' || fromForm === 'en') return fromForm;
    return localeOf(ctx, details?.params.ui_locales as string | undefined);
  };

  const clientName = async (details: Details): Promise<string> => {
    const client = await provider.Client.find(details.params.client_id as string);
    return client?.clientName ?? (details.params.client_id as string);
  };

  /** Loads the interaction bound to this browser's cookie; anything else is a 400 page, not a 500. */
  const load = async (ctx: Context, next: Next) => {
    // Cross-site form posts never carry the interaction cookie (SameSite=Lax); checking Origin too
    // refuses them before any work is done.
    const origin = ctx.get('origin');
    if (ctx.method === 'POST' && origin && origin !== new URL(config.issuer).origin) {
      ctx.status = 403;
      ctx.type = 'html';
      ctx.body = renderErrorPage(localeOf(ctx), { error: 'invalid_request', error_description: 'cross-origin request refused' });
      return;
    }
    try {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid !== ctx.params.uid) throw new Error('interaction mismatch');
      ctx.state.details = details;
    } catch {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = renderErrorPage(localeOf(ctx), {
        error: 'invalid_request',
        error_description: localeOf(ctx) === 'sv'
          ? 'Inloggningen har gått ut eller hör till en annan webbläsare. Börja om från appen.'
          : 'The sign-in has expired or belongs to another browser. Start again from the app.',
      });
      return;
    }
    await next();
  };

  const finishLogin = async (ctx: Context, details: Details, identity: VerifiedIdentity, method: string): Promise<string> => {
    const accountId = await accounts.remember(identity);
    const upstream = config.loa.providers[method];
    if (!upstream) throw new Error(`no LoA entry for ${method}`);
    logger.info({ method, interaction: details.uid }, 'sign-in completed');
    return provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId, acr: upstream.acr, amr: [upstream.amr], remember: true },
    }, { mergeWithLastSubmission: false });
  };

  router.get('/interaction/:uid', load, async (ctx) => {
    const details = ctx.state.details as Details;
    const loc = locale(ctx, details);
    if (ctx.query.lang === 'sv' || ctx.query.lang === 'en') ctx.cookies.set('lang', ctx.query.lang, { httpOnly: true, sameSite: 'lax' });
    ctx.type = 'html';
    if (details.prompt.name === 'login') {
      ctx.body = loginPage({ locale: loc, uid: details.uid, clientName: await clientName(details), methods: methods(details) });
      return;
    }
    if (details.prompt.name === 'consent') {
      const requested = String(details.params.scope ?? '').split(' ').filter(Boolean);
      ctx.body = consentPage({
        locale: loc,
        uid: details.uid,
        clientName: await clientName(details),
        scopes: requested.filter((s) => scopeText[s]).map((s) => ({ scope: s, text: scopeText[s]![loc] })),
      });
      return;
    }
    ctx.status = 400;
    ctx.body = renderErrorPage(loc, { error: 'invalid_request', error_description: `unsupported prompt ${details.prompt.name}` });
  });

  router.post('/interaction/:uid/abort', body, load, async (ctx) => {
    const details = ctx.state.details as Details;
    await bankid?.cancel(details.uid);
    await provider.interactionFinished(ctx.req, ctx.res, {
      error: 'access_denied',
      error_description: 'the end-user cancelled the sign-in',
    }, { mergeWithLastSubmission: false });
  });

  router.post('/interaction/:uid/consent', body, load, async (ctx) => {
    const details = ctx.state.details as Details;
    if (details.prompt.name !== 'consent' || !details.session?.accountId) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = renderErrorPage(locale(ctx, details), { error: 'invalid_request', error_description: 'nothing to consent to' });
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
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  // --- BankID -------------------------------------------------------------------------------------
  if (bankid) {
    const launchHref = (autoStartToken: string): string => {
      const base = config.bankid.launchUrl;
      const sep = base.includes('?') ? '&' : '?';
      // redirect=null: the BankID app does not switch back to a browser tab of its choosing.
      return `${base}${sep}autostarttoken=${encodeURIComponent(autoStartToken)}&redirect=null`;
    };

    const waitPage = async (ctx: Context, details: Details, mode: Mode, failedText?: string) => {
      const loc = locale(ctx, details);
      const status = failedText ? undefined : await bankid.status(details.uid, loc);
      const autoStart = mode === 'autostart' ? await bankid.autoStartToken(details.uid) : undefined;
      ctx.type = 'html';
      ctx.body = bankIdWaitPage({
        locale: loc,
        uid: details.uid,
        mode,
        message: failedText ?? status?.message.text ?? '',
        failed: Boolean(failedText) || (status !== undefined && status.status === 'failed'),
        ...(status?.qr ? { qrSvg: await qrSvg(status.qr) } : {}),
        ...(status?.qr && config.mode === 'sandbox' ? { qrText: status.qr } : {}),
        ...(autoStart ? { launchHref: launchHref(autoStart) } : {}),
      });
    };

    router.post('/interaction/:uid/bankid/start', body, load, async (ctx) => {
      const details = ctx.state.details as Details;
      const mode: Mode = (ctx.request as { body?: Record<string, unknown> }).body?.mode === 'autostart' ? 'autostart' : 'qr';
      if (details.prompt.name !== 'login') {
        ctx.redirect(`/interaction/${details.uid}`);
        ctx.status = 303;
        return;
      }
      try {
        await bankid.start(details.uid, endUserIp(ctx), mode);
      } catch (err) {
        const errorCode = err instanceof BankIdError ? err.errorCode : 'network';
        logger.warn({ errorCode }, 'bankid auth failed');
        ctx.status = 502;
        await waitPage(ctx, details, mode, userMessage({ status: 'failed', errorCode, qr: mode === 'qr' }, locale(ctx, details)).text);
        return;
      }
      await waitPage(ctx, details, mode);
    });

    router.get('/interaction/:uid/bankid/status', load, async (ctx) => {
      const details = ctx.state.details as Details;
      const loc = locale(ctx, details);
      const status = await bankid.status(details.uid, loc);
      ctx.set('cache-control', 'no-store');
      if (!status) {
        ctx.status = 404;
        ctx.body = { status: 'failed', message: userMessage({ status: 'failed', errorCode: 'notFound' }, loc) };
        return;
      }
      if (status.status === 'complete' && status.identity) {
        const redirectTo = await finishLogin(ctx, details, status.identity, 'bankid');
        ctx.body = { status: 'complete', message: status.message, redirectTo };
        return;
      }
      ctx.body = {
        status: status.status,
        message: status.message,
        ...(status.qr ? { qrSvg: await qrSvg(status.qr) } : {}),
        ...(status.qr && config.mode === 'sandbox' ? { qr: status.qr } : {}),
      };
    });

    // Without JavaScript: the person says they are done, and one collect decides.
    router.post('/interaction/:uid/bankid/check', body, load, async (ctx) => {
      const details = ctx.state.details as Details;
      const status = await bankid.status(details.uid, locale(ctx, details));
      if (status?.status === 'complete' && status.identity) {
        ctx.redirect(await finishLogin(ctx, details, status.identity, 'bankid'));
        ctx.status = 303; // after a POST, the browser must GET the next step
        return;
      }
      await waitPage(ctx, details, 'qr', status?.status === 'failed' ? status.message.text : undefined);
    });

    router.post('/interaction/:uid/bankid/cancel', body, load, async (ctx) => {
      const details = ctx.state.details as Details;
      await bankid.cancel(details.uid);
      ctx.redirect(`/interaction/${details.uid}`);
      ctx.status = 303;
    });
  }

  return router;
}
