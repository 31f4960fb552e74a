// Freja eID inside an interaction: what differs from the other app-based e-IDs (src/federation/appEidRoutes.ts
// has the shared steps). The level Freja must guarantee (minRegistrationLevel) comes from the same LoA
// table that later judges the result; "open Freja eID" uses the transaction reference.
import type { Config } from '../../config.ts';
import type { Details, UpstreamRoutes } from '../../idp/interactions.ts';
import { nativeLevelsReaching } from '../loa.ts';
import { appEidRoutes } from '../appEidRoutes.ts';
import { FrejaError, type RegistrationLevel } from './client.ts';
import { FrejaLogin } from './login.ts';
import { userMessage } from './messages.ts';
import { frejaTexts } from '../../idp/views/messages/freja.ts';

const REGISTRATION_LEVELS: readonly string[] = ['BASIC', 'EXTENDED', 'PLUS'];

export function frejaRoutes(freja: FrejaLogin, config: Config): UpstreamRoutes {
  /** The lowest registration level that reaches what this interaction needs, or none. */
  const minRegistrationLevel = (needed: number): RegistrationLevel | undefined => {
    const upstream = config.loa.providers.freja;
    if (!upstream) return undefined;
    return nativeLevelsReaching(upstream, needed).find((l): l is RegistrationLevel => REGISTRATION_LEVELS.includes(l));
  };

  return appEidRoutes({
    id: 'freja',
    name: 'Freja eID',
    description: { sv: 'Freja eID-appen i din mobil', en: 'The Freja eID app on your phone' },
    buttons: {
      qr: { sv: 'Freja eID på annan enhet', en: 'Freja eID on another device' },
      autostart: { sv: 'Öppna Freja eID på den här enheten', en: 'Open Freja eID on this device' },
    },
    async start(ctx, kit, uid, mode) {
      const level = minRegistrationLevel(kit.needed(ctx));
      if (!level) {
        return frejaTexts.say(kit.locale(ctx, ctx.state.details as Details), 'levelTooLow');
      }
      await freja.start(uid, mode, level);
      return undefined;
    },
    async status(uid, locale) {
      const status = await freja.status(uid, locale);
      return status && { ...status, ...(status.registrationLevel ? { nativeLevel: status.registrationLevel } : {}) };
    },
    async launchHref(uid) {
      const authRef = await freja.authRef(uid);
      if (!authRef) return undefined;
      const base = config.freja.launchUrl;
      const sep = base.includes('?') ? '&' : '?';
      return `${base}${sep}transactionReference=${encodeURIComponent(authRef)}`;
    },
    cancel: (uid) => freja.cancel(uid),
    startFailed(err, locale) {
      const errorCode = err instanceof FrejaError ? err.errorCode : 'network';
      return { ...userMessage({ status: 'FAILED', errorCode }, locale), logCode: errorCode };
    },
    notFound: (locale) => userMessage({ status: 'FAILED', errorCode: 'notFound' }, locale),
    // DELIVERED_TO_MOBILE, OPENED: the app has the transaction.
    openedCodes: ['confirmInApp'],
  }, config);
}
