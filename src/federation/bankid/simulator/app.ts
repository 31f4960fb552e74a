// The sandbox "BankID app": what a tester uses instead of a phone. It opens an order by its autostart
// token (same device) or by the QR content the login page shows (other device), as a chosen sandbox
// persona, and decides how the order ends. QR content is checked as BankID checks it — the HMAC, and
// that the code is a current one — so a login page that renders the animated QR wrongly fails here.
// Mounted by the gateway under /sandbox/bankid/app; only ever in the sandbox.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { problem, ProblemError, sendProblem, type Problem } from '../../../http/problem.ts';
import { html, page, type Html } from '../../../idp/views/html.ts';
import { localeOf, type Locale } from '../../../idp/views/i18n.ts';
import type { Logger } from '../../../log.ts';
import { parseQrContent, verifyQrContent } from '../qr.ts';
import { allPersonas, APP_OUTCOMES, OrderNotPendingError, type AppOutcome, type Order, type OrderBook, type SandboxPersona, type SandboxPersonas } from './orders.ts';
import { bankidTexts, simulatorProblemKey } from '../../../idp/views/messages/bankid.ts';

export interface BankIdAppOptions {
  /**
   * How many seconds the number in a QR code may lag behind the order's age. BankID's codes change
   * every second; the default leaves a tester time to copy and paste one. Default 10.
   */
  qrMaxAgeSeconds?: number;
  logger?: Logger;
}

export const APP_PREFIX = '/sandbox/bankid/app';

// Codes from a clock running slightly ahead of ours are still honest; further ahead they are forged.
const QR_FUTURE_SLACK_SECONDS = 2;

const completeBody = z.object({
  autoStartToken: z.string().trim().max(100).optional(),
  qr: z.string().trim().max(300).optional(),
  personalNumber: z.string().trim().regex(/^\d{12}$/, 'personalNumber must be 12 digits'),
  outcome: z.enum(APP_OUTCOMES as [AppOutcome, ...AppOutcome[]]),
  lang: z.enum(['sv', 'en']).optional(),
});

type CompleteInput = z.infer<typeof completeBody>;

const t = (locale: Locale, sv: string, en: string): string => (locale === 'sv' ? sv : en);

const outcomeLabels: Record<AppOutcome, { sv: string; en: string }> = {
  complete: { sv: 'Identifiera (ordern slutförs)', en: 'Identify (the order completes)' },
  userSign: { sv: 'Öppna bara ordern (väntar på säkerhetskod)', en: 'Only open the order (waiting for the security code)' },
  userCancel: { sv: 'Avbryt i appen (userCancel)', en: 'Cancel in the app (userCancel)' },
  expiredTransaction: { sv: 'Låt tiden gå ut (expiredTransaction)', en: 'Let the time run out (expiredTransaction)' },
  startFailed: { sv: 'Appen startar inte (startFailed)', en: 'The app does not start (startFailed)' },
};

interface FormValues {
  autoStartToken?: string | undefined;
  qr?: string | undefined;
  personalNumber?: string | undefined;
  outcome?: string | undefined;
}

function personaOptions(personas: SandboxPersonas, locale: Locale, selected: string | undefined): Html {
  const option = (p: SandboxPersona) =>
    html`<option value="${p.personalNumber}"${p.personalNumber === selected ? html` selected` : html``}>${p.givenName} ${p.surname} – ${p.description?.[locale] ?? ''} (${p.personalNumber})</option>`;
  return html`<optgroup label="${t(locale, 'Invånare', 'Citizens')}">${personas.citizens.map(option)}</optgroup>
${personas.staff?.length ? html`<optgroup label="${t(locale, 'Personal', 'Staff')}">${personas.staff.map(option)}</optgroup>` : html``}`;
}

// `notice.text` is a problem's detail, written in English for developers; it is marked as such.
function appPage(locale: Locale, personas: SandboxPersonas, values: FormValues, notice?: { error: boolean; title: string; text: string }): string {
  const outcome = values.outcome ?? 'complete';
  const radios = APP_OUTCOMES.map(
    (o) => html`<div><input type="radio" name="outcome" id="outcome-${o}" value="${o}" style="width:auto"${o === outcome ? html` checked` : html``}>
<label for="outcome-${o}" style="display:inline;font-weight:400">${outcomeLabels[o][locale]}</label></div>`,
  );
  const path = values.autoStartToken ? `${APP_PREFIX}?autostarttoken=${encodeURIComponent(values.autoStartToken)}` : APP_PREFIX;
  return page({
    locale,
    title: t(locale, 'BankID-appen – sandlåda', 'The BankID app – sandbox'),
    path,
    body: html`<h1>${t(locale, 'Simulerad BankID-app', 'Simulated BankID app')}</h1>
<p>${t(locale, 'Sandlåda: här spelar du BankID-appen. Välj en testperson och vad appen ska göra med ordern.', 'Sandbox: here you play the BankID app. Pick a test person and what the app does with the order.')}</p>
${notice ? html`<div class="message${notice.error ? html` error` : html``}" role="${notice.error ? 'alert' : 'status'}"><h2>${notice.title}</h2><p${locale === 'en' ? html`` : html` lang="en"`}>${notice.text}</p></div>` : html``}
<form method="post" action="${APP_PREFIX}/complete" class="card">
<input type="hidden" name="lang" value="${locale}">
<h2>${t(locale, 'Ordern', 'The order')}</h2>
<p id="order-hint" class="muted">${t(locale, 'Fyll i autostarttoken (BankID på den här enheten) eller QR-kodens innehåll (BankID på annan enhet).', 'Fill in the autostart token (BankID on this device) or the QR code content (BankID on another device).')}</p>
<label for="autoStartToken">${t(locale, 'Autostarttoken', 'Autostart token')}</label>
<input id="autoStartToken" name="autoStartToken" autocomplete="off" aria-describedby="order-hint" value="${values.autoStartToken ?? ''}">
<label for="qr">${t(locale, 'QR-kodens innehåll', 'QR code content')}</label>
<input id="qr" name="qr" autocomplete="off" placeholder="bankid.…" aria-describedby="order-hint" value="${values.qr ?? ''}">
<label for="personalNumber">${t(locale, 'Testperson', 'Test person')}</label>
<select id="personalNumber" name="personalNumber" required>${personaOptions(personas, locale, values.personalNumber)}</select>
<fieldset style="margin-top:1rem;border:1px solid #cfd6e0;border-radius:.3rem">
<legend>${t(locale, 'Vad gör appen?', 'What does the app do?')}</legend>
${radios}
</fieldset>
<button type="submit" style="margin-top:1rem">${t(locale, 'Skicka', 'Send')}</button>
</form>`,
  });
}

function resultPage(locale: Locale, order: Order): string {
  const finished = order.status !== 'pending';
  return page({
    locale,
    title: t(locale, 'BankID-appen – klart', 'The BankID app – done'),
    path: APP_PREFIX,
    body: html`<h1>${t(locale, 'Simulerad BankID-app', 'Simulated BankID app')}</h1>
<div class="card" role="status">
<h2>${finished ? t(locale, 'Ordern är avslutad', 'The order is finished') : t(locale, 'Ordern är öppnad', 'The order is open')}</h2>
<p>${t(locale, 'Status', 'Status')}: <code>${order.status}</code>${order.hintCode ? html`, hintCode <code>${order.hintCode}</code>` : html``}</p>
<p>${t(locale, 'Gå tillbaka till fliken där du loggar in; den märker ändringen inom några sekunder.', 'Go back to the tab where you are signing in; it notices the change within a few seconds.')}</p>
<p><a href="${APP_PREFIX}?lang=${locale}">${t(locale, 'Öppna en annan order', 'Open another order')}</a></p>
</div>`,
  });
}

/** The BankID app sees the caller's address; IPv4 callers arrive IPv4-mapped on a dual-stack socket. */
const callerIp = (ctx: Context): string => (ctx.ip.startsWith('::ffff:') ? ctx.ip.slice(7) : ctx.ip) || '127.0.0.1';

export function bankIdAppRouter(orders: OrderBook, personas: SandboxPersonas, options: BankIdAppOptions = {}): Router {
  const qrMaxAge = options.qrMaxAgeSeconds ?? 10;
  const logger = options.logger;
  const router = new Router({ prefix: APP_PREFIX });
  const everyone = allPersonas(personas);

  const isForm = (ctx: Context): boolean => ctx.request.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';

  // Problems answer JSON callers in RFC 9457 and a person at the form with the form again, explained.
  const answerProblem = (ctx: Context, p: Problem, values: FormValues): void => {
    if (isForm(ctx)) {
      const locale = formLocale(ctx);
      ctx.status = p.status;
      ctx.type = 'html';
      // Words for the person at the form; the problem type stays beside them for whoever tests.
      ctx.body = appPage(locale, personas, values, { error: true, title: t(locale, 'Det gick inte', 'That did not work'), text: `${bankidTexts.say(locale, simulatorProblemKey(p.type))} (${p.type})` });
      return;
    }
    sendProblem(ctx, p);
  };

  const formLocale = (ctx: Context): Locale => {
    const lang = (ctx.request as { body?: { lang?: unknown } }).body?.lang;
    return lang === 'sv' || lang === 'en' ? lang : localeOf(ctx);
  };

  // Body-parser failures (malformed JSON, too large) and our own problems become 4xx, never a 500.
  const boundary: Middleware = async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const values = ((ctx.request as { body?: unknown }).body ?? {}) as FormValues;
      if (err instanceof ProblemError) return answerProblem(ctx, err.problem, values);
      const e = err as { status?: number };
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
        sendProblem(ctx, { status: e.status === 413 ? 413 : 400, type: e.status === 413 ? 'body_too_large' : 'malformed_body', title: 'The request body could not be read' });
        return;
      }
      logger?.error({ err: err instanceof Error ? err.message : 'unknown' }, 'bankid app failed');
      sendProblem(ctx, { status: 500, type: 'internal', title: 'Internal error' });
    }
  };

  router.get('/', (ctx) => {
    const token = typeof ctx.query.autostarttoken === 'string' ? ctx.query.autostarttoken.slice(0, 100) : undefined;
    ctx.set('cache-control', 'no-store');
    ctx.type = 'html';
    ctx.body = appPage(localeOf(ctx), personas, { autoStartToken: token });
  });

  router.post(
    '/complete',
    boundary,
    async (ctx, next) => {
      if (!ctx.request.is('application/json', 'application/x-www-form-urlencoded')) {
        throw problem(415, 'unsupported_media_type', 'Unsupported media type', 'Send application/json or a form (application/x-www-form-urlencoded).');
      }
      await next();
    },
    bodyParser({ enableTypes: ['json', 'form'], jsonLimit: '4kb', formLimit: '4kb', encoding: 'utf-8' }),
    (ctx) => {
      const raw = (ctx.request as { body?: unknown }).body;
      const parsed = completeBody.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw problem(400, 'invalid_request', 'Invalid request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
      }
      const input: CompleteInput = parsed.data;
      const autoStartToken = input.autoStartToken || undefined;
      const qr = input.qr || undefined;
      // Exactly one of the two names the order; the union keeps which one for the lookup below.
      const reference: { via: 'autostart'; autoStartToken: string } | { via: 'qr'; qr: string } | undefined =
        autoStartToken && !qr ? { via: 'autostart', autoStartToken } : qr && !autoStartToken ? { via: 'qr', qr } : undefined;
      if (!reference) {
        throw problem(400, 'order_reference_required', 'Give the autostart token or the QR content', 'Fill in exactly one of autoStartToken and qr.');
      }

      const persona = everyone.find((p) => p.personalNumber === input.personalNumber);
      if (!persona) {
        throw problem(422, 'unknown_persona', 'Unknown test person', 'personalNumber is not one of the sandbox personas (config/sandbox/personas.json).');
      }

      let order: Order | undefined;
      const via = reference.via;
      if (reference.via === 'autostart') {
        order = orders.findByAutoStartToken(reference.autoStartToken);
        if (!order) throw problem(404, 'order_not_found', 'No such order', 'No order has this autostart token (it may have been cancelled or be too old).');
      } else {
        const content = reference.qr;
        const parts = parseQrContent(content);
        if (!parts) throw problem(400, 'qr_malformed', 'Not BankID QR content', 'QR content looks like bankid.<qrStartToken>.<seconds>.<64 hex characters>.');
        order = orders.findByQrStartToken(parts.qrStartToken);
        if (!order) throw problem(404, 'order_not_found', 'No such order', 'No order has this qrStartToken (it may have been cancelled or be too old).');
        const verdict = verifyQrContent(content, order);
        if (!verdict.ok) throw problem(400, 'qr_signature_invalid', 'QR code signature does not match', "The HMAC in the QR content is not the order's; compute it with qrStartSecret over the seconds.");
        const age = orders.secondsSinceCreated(order);
        if (verdict.seconds > age + QR_FUTURE_SLACK_SECONDS || age - verdict.seconds > qrMaxAge) {
          throw problem(400, 'qr_stale', 'QR code is not current', `The QR content says ${verdict.seconds} s but the order is ${age} s old; a current code is needed (at most ${qrMaxAge} s behind).`);
        }
      }

      if (order.status !== 'pending') {
        throw problem(409, 'order_not_pending', 'The order is already finished', `The order is ${order.status}${order.hintCode ? ` (${order.hintCode})` : ''}.`, { status_of_order: order.status, hintCode: order.hintCode });
      }
      const required = order.requirement.personalNumber;
      if (required && required !== persona.personalNumber && input.outcome !== 'startFailed') {
        throw problem(409, 'persona_mismatch', 'Another person is required', "The order requires a specific person (requirement.personalNumber) and the chosen test person is someone else.");
      }

      try {
        orders.act(order.orderRef, via, input.outcome, persona, callerIp(ctx));
      } catch (err) {
        if (err instanceof OrderNotPendingError) throw problem(409, 'order_not_pending', 'The order is already finished', `The order is ${err.order.status}.`);
        throw err;
      }
      logger?.info({ bankidApp: input.outcome, via, status: order.status }, 'sandbox bankid app acted');

      if (isForm(ctx)) {
        ctx.type = 'html';
        ctx.set('cache-control', 'no-store');
        ctx.body = resultPage(formLocale(ctx), order);
        return;
      }
      ctx.body = { orderRef: order.orderRef, status: order.status, ...(order.hintCode ? { hintCode: order.hintCode } : {}) };
    },
  );

  return router;
}
