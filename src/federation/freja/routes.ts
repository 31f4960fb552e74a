// Freja eID's steps inside an interaction: start a transaction (QR or this device), poll its status,
// the no-JavaScript check, and cancel. Mounted by src/idp/interactions.ts under
// /interaction/:uid/freja/, which has already loaded the interaction and checked that this client
// may use Freja at the level asked for. The level Freja must guarantee (minRegistrationLevel) comes
// from the same LoA table that later judges the result.
import type { Context } from 'koa';
import type { Config } from '../../config.ts';
import type { Details, LoginKit, UpstreamRoutes } from '../../idp/interactions.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { appWaitPage } from '../../idp/views/interaction.ts';
import { nativeLevelsReaching } from '../loa.ts';
import { FrejaError, type RegistrationLevel } from './client.ts';
import { FrejaLogin, qrSvg, type Mode } from './login.ts';
import { userMessage } from './messages.ts';

const REGISTRATION_LEVELS: readonly string[] = ['BASIC', 'EXTENDED', 'PLUS'];

export function frejaRoutes(freja: FrejaLogin, config: Config): UpstreamRoutes {
  const launchHref = (authRef: string): string => {
    const base = config.freja.launchUrl;
    const sep = base.includes('?') ? '&' : '?';
    return `${base}${sep}transactionReference=${encodeURIComponent(authRef)}`;
  };

  /** The lowest registration level that reaches what this interaction needs, or none. */
  const minRegistrationLevel = (needed: number): RegistrationLevel | undefined => {
    const upstream = config.loa.providers.freja;
    if (!upstream) return undefined;
    return nativeLevelsReaching(upstream, needed).find((l): l is RegistrationLevel => REGISTRATION_LEVELS.includes(l));
  };

  return {
    id: 'freja',
    choice(uid: string, locale: Locale) {
      const sv = locale === 'sv';
      return {
        id: 'freja',
        name: 'Freja eID',
        description: sv ? 'Freja eID-appen i din mobil' : 'The Freja eID app on your phone',
        action: `/interaction/${uid}/freja/start`,
        buttons: [
          { label: sv ? 'Freja eID på annan enhet' : 'Freja eID on another device', name: 'mode', value: 'qr' },
          { label: sv ? 'Öppna Freja eID på den här enheten' : 'Open Freja eID on this device', name: 'mode', value: 'autostart', secondary: true },
        ],
      };
    },
    cancel: (uid) => freja.cancel(uid),
    register(router, kit: LoginKit) {
      const waitPage = async (ctx: Context, details: Details, mode: Mode, failedText?: string) => {
        const loc = kit.locale(ctx, details);
        const status = failedText ? undefined : await freja.status(details.uid, loc);
        const authRef = mode === 'autostart' && !failedText ? await freja.authRef(details.uid) : undefined;
        ctx.type = 'html';
        ctx.body = appWaitPage({
          eid: { id: 'freja', name: 'Freja eID' },
          locale: loc,
          uid: details.uid,
          mode,
          message: failedText ?? status?.message.text ?? '',
          failed: Boolean(failedText) || (status !== undefined && status.status === 'failed'),
          ...(status?.qr ? { qrSvg: await qrSvg(status.qr) } : {}),
          ...(status?.qr && config.mode === 'sandbox' ? { qrText: status.qr } : {}),
          ...(authRef ? { launchHref: launchHref(authRef) } : {}),
        });
      };

      // Both the JSON poll and the no-JavaScript check end here once Freja has approved.
      const finish = (ctx: Context, details: Details, status: NonNullable<Awaited<ReturnType<FrejaLogin['status']>>>) =>
        kit.finishLogin(ctx, details, status.identity!, 'freja', status.registrationLevel);

      router.post('/start', async (ctx) => {
        const details = ctx.state.details as Details;
        const mode: Mode = (ctx.request as { body?: Record<string, unknown> }).body?.mode === 'autostart' ? 'autostart' : 'qr';
        if (details.prompt.name !== 'login') {
          ctx.redirect(`/interaction/${details.uid}`);
          ctx.status = 303;
          return;
        }
        const level = minRegistrationLevel(kit.needed(ctx));
        if (!level) {
          ctx.status = 403;
          await kit.showLogin(ctx, details, kit.locale(ctx, details) === 'sv'
            ? 'Freja eID når inte den tillitsnivå appen kräver.'
            : 'Freja eID does not reach the level of assurance the app requires.');
          return;
        }
        try {
          await freja.start(details.uid, mode, level);
        } catch (err) {
          const errorCode = err instanceof FrejaError ? err.errorCode : 'network';
          kit.logger.warn({ errorCode }, 'freja initAuthentication failed');
          ctx.status = 502;
          await waitPage(ctx, details, mode, userMessage({ status: 'FAILED', errorCode }, kit.locale(ctx, details)).text);
          return;
        }
        await waitPage(ctx, details, mode);
      });

      router.get('/status', async (ctx) => {
        const details = ctx.state.details as Details;
        const loc = kit.locale(ctx, details);
        const status = await freja.status(details.uid, loc);
        ctx.set('cache-control', 'no-store');
        if (!status) {
          ctx.status = 404;
          ctx.body = { status: 'failed', message: userMessage({ status: 'FAILED', errorCode: 'notFound' }, loc) };
          return;
        }
        if (status.status === 'complete' && status.identity) {
          const outcome = await finish(ctx, details, status);
          ctx.body = outcome.ok
            ? { status: 'complete', message: status.message, redirectTo: outcome.redirectTo }
            : { status: 'failed', message: { code: outcome.reason, text: outcome.message } };
          return;
        }
        ctx.body = {
          status: status.status,
          message: status.message,
          ...(status.qr ? { qrSvg: await qrSvg(status.qr) } : {}),
          ...(status.qr && config.mode === 'sandbox' ? { qr: status.qr } : {}),
        };
      });

      // Without JavaScript: the person says they are done, and one poll decides.
      router.post('/check', async (ctx) => {
        const details = ctx.state.details as Details;
        const status = await freja.status(details.uid, kit.locale(ctx, details));
        if (status?.status === 'complete' && status.identity) {
          const outcome = await finish(ctx, details, status);
          if (!outcome.ok) {
            await kit.showLogin(ctx, details, outcome.message);
            return;
          }
          ctx.redirect(outcome.redirectTo);
          ctx.status = 303; // after a POST, the browser must GET the next step
          return;
        }
        await waitPage(ctx, details, 'qr', status?.status === 'failed' ? status.message.text : undefined);
      });

      router.post('/cancel', async (ctx) => {
        const details = ctx.state.details as Details;
        await freja.cancel(details.uid);
        ctx.redirect(`/interaction/${details.uid}`);
        ctx.status = 303;
      });
    },
  };
}
