// The interaction steps every app-based e-ID shares (BankID, Freja eID): start an order (QR code on
// another device, or the app on this device), the wait page, the JSON status poll that drives the
// animated QR code, the no-JavaScript check, and cancel. Each e-ID brings what differs — how an order
// starts, how its status reads, its launch link and its words — as an AppEid; the routes are mounted
// by src/idp/interactions.ts under /interaction/:uid/<id>/, after the interaction is loaded and the
// method checked against the client and the level asked for.
import type { Context } from 'koa';
import QRCode from 'qrcode';
import type { Config } from '../config.ts';
import type { UpstreamIdentity } from '../idp/accounts.ts';
import type { Details, LoginKit, UpstreamRoutes } from '../idp/interactions.ts';
import type { Locale } from '../idp/views/i18n.ts';
import { appWaitPage } from '../idp/views/interaction.ts';
import { cspNonce } from '../http/securityHeaders.ts';

export type Mode = 'qr' | 'autostart';

/** An order's state as the pages need it. */
export interface AppEidStatus {
  status: 'pending' | 'failed' | 'complete';
  message: { code: string; text: string };
  /** The current QR content while pending in QR mode. */
  qr?: string;
  identity?: UpstreamIdentity;
  /** The e-ID's own level for the LoA table (Freja's registration level); absent where it has one level. */
  nativeLevel?: string;
}

export interface AppEid {
  /** Key in config.loa.providers and the route segment. */
  id: string;
  /** The brand as people know it. */
  name: string;
  description: Record<Locale, string>;
  buttons: { qr: Record<Locale, string>; autostart: Record<Locale, string> };
  /**
   * Starts an order for this interaction (cancelling any earlier one). Answers a refusal text when the
   * e-ID cannot serve this request at all; throws when the provider fails.
   */
  start(ctx: Context, kit: LoginKit, uid: string, mode: Mode): Promise<string | undefined>;
  status(uid: string, locale: Locale): Promise<AppEidStatus | undefined>;
  /** Where "open the app on this device" points, while an order runs. */
  launchHref(uid: string): Promise<string | undefined>;
  cancel(uid: string): Promise<void>;
  /** The words for a failed start (provider error code) and for an order that is gone. */
  startFailed(err: unknown, locale: Locale, mode: Mode): { code: string; text: string; logCode: string };
  notFound(locale: Locale): { code: string; text: string };
  /**
   * The message codes that say the app has opened the order (the QR code was scanned, or the app
   * started on this device): the page then hides the QR code and the message says what to do in the app.
   */
  openedCodes: readonly string[];
}

/** QR content as an SVG image; the page supplies the text alternative. */
export async function qrSvg(content: string): Promise<string> {
  return QRCode.toString(content, { type: 'svg', errorCorrectionLevel: 'L', margin: 4 });
}

export function appEidRoutes(eid: AppEid, config: Config): UpstreamRoutes {
  return {
    id: eid.id,
    choice(uid: string, locale: Locale) {
      return {
        id: eid.id,
        name: eid.name,
        description: eid.description[locale],
        action: `/interaction/${uid}/${eid.id}/start`,
        buttons: [
          { label: eid.buttons.qr[locale], name: 'mode', value: 'qr' },
          { label: eid.buttons.autostart[locale], name: 'mode', value: 'autostart', secondary: true },
        ],
      };
    },
    cancel: (uid) => eid.cancel(uid),
    register(router, kit: LoginKit) {
      const waitPage = async (ctx: Context, details: Details, mode: Mode, failedText?: string) => {
        const loc = kit.locale(ctx, details);
        const status = failedText ? undefined : await eid.status(details.uid, loc);
        const opened = status !== undefined && eid.openedCodes.includes(status.message.code);
        const launch = mode === 'autostart' && !failedText ? await eid.launchHref(details.uid) : undefined;
        ctx.type = 'html';
        ctx.body = appWaitPage({
          eid: { id: eid.id, name: eid.name },
          locale: loc,
          uid: details.uid,
          mode,
          message: failedText ?? status?.message.text ?? '',
          failed: Boolean(failedText) || (status !== undefined && status.status === 'failed'),
          opened,
          ...(status?.qr && !opened ? { qrSvg: await qrSvg(status.qr) } : {}),
          // The sandbox shows the QR content as text too, so a tester can paste it into the simulated app.
          ...(status?.qr && config.mode === 'sandbox' ? { qrText: status.qr } : {}),
          ...(launch ? { launchHref: launch } : {}),
          nonce: cspNonce(ctx),
        });
      };

      // Both the JSON poll and the no-JavaScript check end here once the e-ID has said who it was.
      const finish = (ctx: Context, details: Details, status: AppEidStatus, identity: UpstreamIdentity) =>
        kit.finishLogin(ctx, details, identity, eid.id, status.nativeLevel);

      router.post('/start', async (ctx) => {
        const details = ctx.state.details as Details;
        const mode: Mode = (ctx.request as { body?: Record<string, unknown> }).body?.mode === 'autostart' ? 'autostart' : 'qr';
        if (details.prompt.name !== 'login') {
          ctx.redirect(`/interaction/${details.uid}`);
          ctx.status = 303;
          return;
        }
        let refusal: string | undefined;
        try {
          refusal = await eid.start(ctx, kit, details.uid, mode);
        } catch (err) {
          const failed = eid.startFailed(err, kit.locale(ctx, details), mode);
          kit.logger.warn({ upstream: eid.id, errorCode: failed.logCode }, 'e-ID order could not start');
          ctx.status = 502;
          await waitPage(ctx, details, mode, failed.text);
          return;
        }
        if (refusal) {
          ctx.status = 403;
          await kit.showLogin(ctx, details, refusal);
          return;
        }
        await waitPage(ctx, details, mode);
      });

      router.get('/status', async (ctx) => {
        const details = ctx.state.details as Details;
        const loc = kit.locale(ctx, details);
        const status = await eid.status(details.uid, loc);
        ctx.set('cache-control', 'no-store');
        if (!status) {
          ctx.status = 404;
          ctx.body = { status: 'failed', message: eid.notFound(loc) };
          return;
        }
        if (status.status === 'complete' && status.identity) {
          const outcome = await finish(ctx, details, status, status.identity);
          ctx.body = outcome.ok
            ? { status: 'complete', message: status.message, redirectTo: outcome.redirectTo }
            : { status: 'failed', message: { code: outcome.reason, text: outcome.message } };
          return;
        }
        // Once the app has the order, the QR code is of no more use (and must not be scanned twice).
        const opened = eid.openedCodes.includes(status.message.code);
        ctx.body = {
          status: status.status,
          message: status.message,
          ...(opened ? { opened: true } : {}),
          ...(status.qr && !opened ? { qrSvg: await qrSvg(status.qr) } : {}),
          ...(status.qr && !opened && config.mode === 'sandbox' ? { qr: status.qr } : {}),
        };
      });

      // The wait page again, for the order under way (a reload, the language switch, Back): no new order.
      router.get('/wait', async (ctx) => {
        const details = ctx.state.details as Details;
        const mode: Mode = ctx.query.mode === 'autostart' ? 'autostart' : 'qr';
        if (details.prompt.name !== 'login' || !(await eid.status(details.uid, kit.locale(ctx, details)))) {
          ctx.redirect(`/interaction/${details.uid}`);
          ctx.status = 303;
          return;
        }
        await waitPage(ctx, details, mode);
      });

      // Without JavaScript: the person says they are done, and one status read decides.
      router.post('/check', async (ctx) => {
        const details = ctx.state.details as Details;
        const status = await eid.status(details.uid, kit.locale(ctx, details));
        if (status?.status === 'complete' && status.identity) {
          const outcome = await finish(ctx, details, status, status.identity);
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
        await eid.cancel(details.uid);
        ctx.redirect(`/interaction/${details.uid}`);
        ctx.status = 303;
      });
    },
  };
}
