// BankID inside an interaction: what differs from the other app-based e-IDs (src/federation/appEidRoutes.ts
// has the shared steps): the order starts with the person's IP address, "open BankID" uses the
// autostart token, and the words are BankID's recommended user messages (RFA codes).
import type { Context } from 'koa';
import type { Config } from '../../config.ts';
import type { UpstreamRoutes } from '../../idp/interactions.ts';
import { appEidRoutes } from '../appEidRoutes.ts';
import { BankIdLogin } from './login.ts';
import { BankIdError } from './client.ts';
import { userMessage } from './messages.ts';

/** The client's IP as BankID wants it: plain IPv4 where the socket reports an IPv4-mapped IPv6 address. */
function endUserIp(ctx: Context): string {
  const ip = ctx.ip || '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export function bankIdRoutes(bankid: BankIdLogin, config: Config): UpstreamRoutes {
  return appEidRoutes({
    id: 'bankid',
    name: 'BankID',
    description: { sv: 'Mobilt BankID eller BankID på kort', en: 'Mobile BankID or BankID on card' },
    buttons: {
      qr: { sv: 'BankID på annan enhet', en: 'BankID on another device' },
      autostart: { sv: 'Öppna BankID på den här enheten', en: 'Open BankID on this device' },
    },
    async start(ctx, _kit, uid, mode) {
      await bankid.start(uid, endUserIp(ctx), mode);
      return undefined;
    },
    status: (uid, locale) => bankid.status(uid, locale),
    async launchHref(uid) {
      const token = await bankid.autoStartToken(uid);
      if (!token) return undefined;
      const base = config.bankid.launchUrl;
      const sep = base.includes('?') ? '&' : '?';
      // redirect=null: the BankID app does not switch back to a browser tab of its choosing.
      return `${base}${sep}autostarttoken=${encodeURIComponent(token)}&redirect=null`;
    },
    cancel: (uid) => bankid.cancel(uid),
    startFailed(err, locale, mode) {
      const errorCode = err instanceof BankIdError ? err.errorCode : 'network';
      return { ...userMessage({ status: 'failed', errorCode, qr: mode === 'qr' }, locale), logCode: errorCode };
    },
    notFound: (locale) => userMessage({ status: 'failed', errorCode: 'notFound' }, locale),
    // userSign, userMrtd, started: the app has the order (RFA9, RFA23, RFA15A/B).
    openedCodes: ['RFA9', 'RFA23', 'RFA15A', 'RFA15B'],
  }, config);
}
