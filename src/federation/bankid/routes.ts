// BankID's steps inside an interaction: start an order (QR or this device), poll its status for the
// animated QR, the no-JavaScript check, and cancel. Mounted by src/idp/interactions.ts under
// /interaction/:uid/bankid/, which has already loaded the interaction and checked that this client
// may use BankID at the level asked for.
import type { Context } from 'koa';
import type { Config } from '../../config.ts';
import type { Details, LoginKit, UpstreamRoutes } from '../../idp/interactions.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { appWaitPage } from '../../idp/views/interaction.ts';
import { BankIdLogin, qrSvg, type Mode } from './login.ts';
import { BankIdError } from './client.ts';
import { userMessage } from './messages.ts';

/** The client's IP as BankID wants it: plain IPv4 where the socket reports an IPv4-mapped IPv6 address. */
function endUserIp(ctx: Context): string {
  const ip = ctx.ip || '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export function bankIdRoutes(bankid: BankIdLogin, config: Config): UpstreamRoutes {
  const launchHref = (autoStartToken: string): string => {
    const base = config.bankid.launchUrl;
    const sep = base.includes('?') ? '&' : '?';
    // redirect=null: the BankID app does not switch back to a browser tab of its choosing.
    return `${base}${sep}autostarttoken=${encodeURIComponent(autoStartToken)}&redirect=null`;
  };

  return {
    id: 'bankid',
    choice(uid: string, locale: Locale) {
      const sv = locale === 'sv';
      return {
        id: 'bankid',
        name: 'BankID',
        description: sv ? 'Mobilt BankID eller BankID på kort' : 'Mobile BankID or BankID on card',
        action: `/interaction/${uid}/bankid/start`,
        buttons: [
          { label: sv ? 'BankID på annan enhet' : 'BankID on another device', name: 'mode', value: 'qr' },
          { label: sv ? 'Öppna BankID på den här enheten' : 'Open BankID on this device', name: 'mode', value: 'autostart', secondary: true },
        ],
      };
    },
    cancel: (uid) => bankid.cancel(uid),
    register(router, kit: LoginKit) {
      const waitPage = async (ctx: Context, details: Details, mode: Mode, failedText?: string) => {
        const loc = kit.locale(ctx, details);
        const status = failedText ? undefined : await bankid.status(details.uid, loc);
        const autoStart = mode === 'autostart' ? await bankid.autoStartToken(details.uid) : undefined;
        ctx.type = 'html';
        ctx.body = appWaitPage({
          eid: { id: 'bankid', name: 'BankID' },
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

      router.post('/start', async (ctx) => {
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
          kit.logger.warn({ errorCode }, 'bankid auth failed');
          ctx.status = 502;
          await waitPage(ctx, details, mode, userMessage({ status: 'failed', errorCode, qr: mode === 'qr' }, kit.locale(ctx, details)).text);
          return;
        }
        await waitPage(ctx, details, mode);
      });

      router.get('/status', async (ctx) => {
        const details = ctx.state.details as Details;
        const loc = kit.locale(ctx, details);
        const status = await bankid.status(details.uid, loc);
        ctx.set('cache-control', 'no-store');
        if (!status) {
          ctx.status = 404;
          ctx.body = { status: 'failed', message: userMessage({ status: 'failed', errorCode: 'notFound' }, loc) };
          return;
        }
        if (status.status === 'complete' && status.identity) {
          const outcome = await kit.finishLogin(ctx, details, status.identity, 'bankid');
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

      // Without JavaScript: the person says they are done, and one collect decides.
      router.post('/check', async (ctx) => {
        const details = ctx.state.details as Details;
        const status = await bankid.status(details.uid, kit.locale(ctx, details));
        if (status?.status === 'complete' && status.identity) {
          const outcome = await kit.finishLogin(ctx, details, status.identity, 'bankid');
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
        await bankid.cancel(details.uid);
        ctx.redirect(`/interaction/${details.uid}`);
        ctx.status = 303;
      });
    },
  };
}
