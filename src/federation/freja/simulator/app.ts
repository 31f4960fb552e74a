// The sandbox "Freja eID app": what a tester uses instead of a phone. It opens a transaction by its
// reference (the same-device link fills it in) or by the QR code's content, as a chosen sandbox
// persona at a chosen registration level, and decides how the transaction ends. Mounted by the
// gateway under /sandbox/freja/app; only ever in the sandbox.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { problem, ProblemError, sendProblem, type Problem } from '../../../http/problem.ts';
import { html, page, type Html } from '../../../idp/views/html.ts';
import { localeOf, type Locale } from '../../../idp/views/i18n.ts';
import type { Logger } from '../../../log.ts';
import { authRefFromQr, FREJA_BIND_URL } from '../qr.ts';
import {
  APP_OUTCOMES, LevelTooLowError, PERSONA_LEVELS, PersonMismatchError, TransactionNotPendingError,
  type AppOutcome, type SandboxPersonas, type Transaction, type TransactionBook,
} from './transactions.ts';

export interface FrejaAppOptions {
  logger?: Logger;
}

export const APP_PREFIX = '/sandbox/freja/app';

const completeBody = z.object({
  authRef: z.string().trim().max(200).optional(),
  qr: z.string().trim().max(400).optional(),
  personalNumber: z.string().trim().regex(/^\d{12}$/, 'personalNumber must be 12 digits'),
  registrationLevel: z.enum(['PLUS', 'EXTENDED']).default('PLUS'),
  outcome: z.enum(APP_OUTCOMES as [AppOutcome, ...AppOutcome[]]),
  lang: z.enum(['sv', 'en']).optional(),
});

const t = (locale: Locale, sv: string, en: string): string => (locale === 'sv' ? sv : en);

const outcomeLabels: Record<AppOutcome, { sv: string; en: string }> = {
  approve: { sv: 'Godkänn (APPROVED)', en: 'Approve (APPROVED)' },
  open: { sv: 'Öppna bara förfrågan (DELIVERED_TO_MOBILE)', en: 'Only open the request (DELIVERED_TO_MOBILE)' },
  reject: { sv: 'Neka (REJECTED)', en: 'Decline (REJECTED)' },
  cancel: { sv: 'Avbryt i appen (CANCELED)', en: 'Cancel in the app (CANCELED)' },
  expire: { sv: 'Låt tiden gå ut (EXPIRED)', en: 'Let the time run out (EXPIRED)' },
};

const levelLabels: Record<(typeof PERSONA_LEVELS)[number], { sv: string; en: string }> = {
  PLUS: { sv: 'Freja eID+ (PLUS)', en: 'Freja eID+ (PLUS)' },
  EXTENDED: { sv: 'Utökad (EXTENDED)', en: 'Extended (EXTENDED)' },
};

interface FormValues {
  authRef?: string | undefined;
  qr?: string | undefined;
  personalNumber?: string | undefined;
  registrationLevel?: string | undefined;
  outcome?: string | undefined;
}

function radios<O extends string>(name: string, options: readonly O[], labels: Record<O, { sv: string; en: string }>, locale: Locale, checked: string): Html[] {
  return options.map((o) => html`<div><input type="radio" name="${name}" id="${name}-${o}" value="${o}" style="width:auto"${o === checked ? html` checked` : html``}>
<label for="${name}-${o}" style="display:inline;font-weight:400">${labels[o][locale]}</label></div>`);
}

function appPage(locale: Locale, personas: SandboxPersonas, values: FormValues, notice?: { error: boolean; title: string; text: string }): string {
  const path = values.authRef ? `${APP_PREFIX}?transactionReference=${encodeURIComponent(values.authRef)}` : APP_PREFIX;
  const option = (p: SandboxPersonas['citizens'][number]) =>
    html`<option value="${p.personalNumber}"${p.personalNumber === values.personalNumber ? html` selected` : html``}>${p.givenName} ${p.surname} – ${p.description?.[locale] ?? ''} (${p.personalNumber})</option>`;
  return page({
    locale,
    title: t(locale, 'Freja eID-appen – sandlåda', 'The Freja eID app – sandbox'),
    path,
    body: html`<h1>${t(locale, 'Simulerad Freja eID-app', 'Simulated Freja eID app')}</h1>
<p>${t(locale, 'Sandlåda: här spelar du Freja eID-appen. Välj en testperson, hennes registreringsnivå och vad appen ska göra.', 'Sandbox: here you play the Freja eID app. Pick a test person, their registration level and what the app does.')}</p>
${notice ? html`<div class="message${notice.error ? html` error` : html``}" role="${notice.error ? 'alert' : 'status'}"><h2>${notice.title}</h2><p${locale === 'en' ? html`` : html` lang="en"`}>${notice.text}</p></div>` : html``}
<form method="post" action="${APP_PREFIX}/complete" class="card">
<input type="hidden" name="lang" value="${locale}">
<h2>${t(locale, 'Förfrågan', 'The request')}</h2>
<p id="tx-hint" class="muted">${t(locale, 'Fyll i transaktionsreferensen (Freja eID på den här enheten) eller QR-kodens innehåll (Freja eID på annan enhet).', 'Fill in the transaction reference (Freja eID on this device) or the QR code content (Freja eID on another device).')}</p>
<label for="authRef">${t(locale, 'Transaktionsreferens', 'Transaction reference')}</label>
<input id="authRef" name="authRef" autocomplete="off" aria-describedby="tx-hint" value="${values.authRef ?? ''}">
<label for="qr">${t(locale, 'QR-kodens innehåll', 'QR code content')}</label>
<input id="qr" name="qr" autocomplete="off" placeholder="${FREJA_BIND_URL}?transactionReference=…" aria-describedby="tx-hint" value="${values.qr ?? ''}">
<label for="personalNumber">${t(locale, 'Testperson', 'Test person')}</label>
<select id="personalNumber" name="personalNumber" required>${personas.citizens.map(option)}</select>
<fieldset style="margin-top:1rem;border:1px solid #cfd6e0;border-radius:.3rem">
<legend>${t(locale, 'Registreringsnivå', 'Registration level')}</legend>
${radios('registrationLevel', PERSONA_LEVELS, levelLabels, locale, values.registrationLevel ?? 'PLUS')}
</fieldset>
<fieldset style="margin-top:1rem;border:1px solid #cfd6e0;border-radius:.3rem">
<legend>${t(locale, 'Vad gör appen?', 'What does the app do?')}</legend>
${radios('outcome', APP_OUTCOMES, outcomeLabels, locale, values.outcome ?? 'approve')}
</fieldset>
<button type="submit" style="margin-top:1rem">${t(locale, 'Skicka', 'Send')}</button>
</form>`,
  });
}

function resultPage(locale: Locale, tx: Transaction): string {
  const running = tx.status === 'STARTED' || tx.status === 'DELIVERED_TO_MOBILE';
  return page({
    locale,
    title: t(locale, 'Freja eID-appen – klart', 'The Freja eID app – done'),
    path: APP_PREFIX,
    body: html`<h1>${t(locale, 'Simulerad Freja eID-app', 'Simulated Freja eID app')}</h1>
<div class="card" role="status">
<h2>${running ? t(locale, 'Förfrågan är öppnad', 'The request is open') : t(locale, 'Förfrågan är avslutad', 'The request is finished')}</h2>
<p>${t(locale, 'Status', 'Status')}: <code>${tx.status}</code></p>
<p>${t(locale, 'Gå tillbaka till fliken där du loggar in; den märker ändringen inom några sekunder.', 'Go back to the tab where you are signing in; it notices the change within a few seconds.')}</p>
<p><a href="${APP_PREFIX}?lang=${locale}">${t(locale, 'Öppna en annan förfrågan', 'Open another request')}</a></p>
</div>`,
  });
}

export function frejaAppRouter(transactions: TransactionBook, personas: SandboxPersonas, options: FrejaAppOptions = {}): Router {
  const logger = options.logger;
  const router = new Router({ prefix: APP_PREFIX });

  const isForm = (ctx: Context): boolean => ctx.request.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
  const formLocale = (ctx: Context): Locale => {
    const lang = (ctx.request as { body?: { lang?: unknown } }).body?.lang;
    return lang === 'sv' || lang === 'en' ? lang : localeOf(ctx);
  };

  // Problems answer JSON callers in RFC 9457 and a person at the form with the form again, explained.
  const answerProblem = (ctx: Context, p: Problem, values: FormValues): void => {
    if (isForm(ctx)) {
      const locale = formLocale(ctx);
      ctx.status = p.status;
      ctx.type = 'html';
      ctx.body = appPage(locale, personas, values, { error: true, title: t(locale, 'Det gick inte', 'That did not work'), text: p.detail ?? p.title });
      return;
    }
    sendProblem(ctx, p);
  };

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
      logger?.error({ err: err instanceof Error ? err.message : 'unknown' }, 'freja app failed');
      sendProblem(ctx, { status: 500, type: 'internal', title: 'Internal error' });
    }
  };

  router.get('/', (ctx) => {
    const ref = typeof ctx.query.transactionReference === 'string' ? ctx.query.transactionReference.slice(0, 200) : undefined;
    ctx.set('cache-control', 'no-store');
    ctx.type = 'html';
    ctx.body = appPage(localeOf(ctx), personas, { authRef: ref });
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
      const parsed = completeBody.safeParse((ctx.request as { body?: unknown }).body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw problem(400, 'invalid_request', 'Invalid request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
      }
      const input = parsed.data;
      const direct = input.authRef || undefined;
      const qr = input.qr || undefined;
      if (Boolean(direct) === Boolean(qr)) {
        throw problem(400, 'transaction_reference_required', 'Give the transaction reference or the QR content', 'Fill in exactly one of authRef and qr.');
      }
      const authRef = direct ?? (qr === undefined ? undefined : authRefFromQr(qr));
      if (!authRef) throw problem(400, 'qr_malformed', 'Not Freja eID QR content', `QR content looks like ${FREJA_BIND_URL}?transactionReference=<authRef>.`);
      const persona = personas.citizens.find((p) => p.personalNumber === input.personalNumber);
      if (!persona) throw problem(422, 'unknown_persona', 'Unknown test person', 'personalNumber is not one of the sandbox citizens (config/sandbox/personas.json).');
      const tx = transactions.get(authRef);
      if (!tx) throw problem(404, 'transaction_not_found', 'No such transaction', 'No transaction has this reference (it may have been cancelled or be too old).');

      try {
        transactions.act(authRef, input.outcome, persona, input.registrationLevel);
      } catch (err) {
        if (err instanceof TransactionNotPendingError) {
          throw problem(409, 'transaction_not_pending', 'The transaction is already finished', `The transaction is ${err.transaction.status}.`, { status_of_transaction: err.transaction.status });
        }
        if (err instanceof LevelTooLowError) {
          throw problem(409, 'registration_level_too_low', 'The registration level is too low', `The relying party asked for at least ${tx.minRegistrationLevel}; Freja does not let this person approve.`);
        }
        if (err instanceof PersonMismatchError) {
          throw problem(409, 'persona_mismatch', 'Another person is required', 'The transaction names a specific person (userInfoType SSN) and the chosen test person is someone else.');
        }
        throw err;
      }
      logger?.info({ frejaApp: input.outcome, status: tx.status }, 'sandbox freja app acted');

      if (isForm(ctx)) {
        ctx.type = 'html';
        ctx.set('cache-control', 'no-store');
        ctx.body = resultPage(formLocale(ctx), tx);
        return;
      }
      ctx.body = { authRef: tx.authRef, status: tx.status };
    },
  );

  return router;
}
