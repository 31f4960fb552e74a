// Acting for someone else, end to end (docs/sign-in.md, "Acting for someone else"): after the e-ID a
// person with relations picks whom they act for; the choice is kept server-side for the session; the
// representation pipeline (pipeline.ts) is run again at every reuse of the session, at every token
// issue and refresh, and at the decision point; tokens carry the actor as `act` (RFC 8693 §4.1) with
// the actor's pairwise id, and the represented citizen's pairwise id as `sub`.
//
// Why the session's login is the represented citizen's: everything downstream (pairwise `sub`, the
// decision point's "citizen is the token's subject", the claims) then names the person whose data it
// is, and the actor is an addition that can only narrow — a check that forgets about representation
// still never reaches anyone but the represented citizen.
import type { Context, Middleware } from 'koa';
import Router from '@koa/router';
import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { AccountStore } from '../../idp/accounts.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { pairwiseSub } from '../../idp/provider.ts';
import type { PopulationRegister } from '../register/register.ts';
import type { MandateStore } from './mandates.ts';
import {
  ageFrom, representationFailClosed, representationPipeline, type Relation, type RepresentationClaim, type RepresentationUse,
} from './pipeline.ts';
import { actingForLine, choosePage, refusedPage, type ActingOption } from './views.ts';
import type { Html } from '../../idp/views/html.ts';

/** Who acts for whom in a session: kept server-side, keyed by oidc-provider's session uid. */
export interface ActingRecord {
  /** Account ids (keyed pseudonyms) of the acting person and the represented citizen. */
  actor: string;
  subject: string;
  actorNumber: string;
  subjectNumber: string;
  relation: Relation;
  mandateId?: string | undefined;
  /** For the "Du agerar för …" line. */
  subjectName: string;
  subjectBirthDate: string;
}

/** A login the e-ID finished, waiting for the choice of whom to act for. */
interface PendingLogin {
  accountId: string;
  personalNumber: string;
  acr: string;
  amr: string[];
  ts: number;
  choices: Array<RepresentationClaim & { name: string; birthDate: string }>;
}

export interface RepresentationOptions {
  store: HotStore;
  register: PopulationRegister;
  mandates: MandateStore;
  accounts: AccountStore;
  clock: Clock;
  logger: Logger;
  pairwiseSalt: string;
  /** How long a session's record is kept: the longest a session or a refresh token lives. */
  ttlSeconds: number;
  /** How long the choice page may wait (the interaction's lifetime). */
  interactionTtlSeconds: number;
}

/** What an interaction route gives the choice page (the interaction core's kit, narrowed). */
export interface ChoiceKit {
  provider: Provider;
  load: Middleware;
  body: Middleware;
  locale(ctx: Context): Locale;
}

const sessionKey = (uid: string) => `represent:session:${uid}`;
const pendingKey = (uid: string) => `represent:pending:${uid}`;

export const claimOf = (r: ActingRecord): RepresentationClaim => ({ actor: r.actorNumber, subject: r.subjectNumber, relation: r.relation, mandateId: r.mandateId });

export class Representation {
  readonly #o: RepresentationOptions;
  readonly #failClosed: ReturnType<typeof representationFailClosed>;

  constructor(options: RepresentationOptions) {
    this.#o = options;
    this.#failClosed = representationFailClosed(options.logger);
  }

  /** The pipeline's verdict on one use of a claim. */
  check(claim: RepresentationClaim, use: RepresentationUse): ReturnType<typeof representationPipeline.run> {
    return representationPipeline.run({ claim, use }, { register: this.#o.register, mandates: this.#o.mandates, clock: this.#o.clock }, { unexpected: this.#failClosed });
  }

  /**
   * Whom this person may act for now: the children the register says they have custody of, and the
   * principals whose mandates name them; each as the pipeline lets it at sign-in (a blocked, 16-year-old
   * or expired relation is not offered).
   */
  async choicesFor(personalNumber: string): Promise<PendingLogin['choices']> {
    const me = await this.#o.register.lookup(personalNumber);
    const claims: RepresentationClaim[] = [
      ...(me?.custodyOf ?? []).map((c) => ({ actor: personalNumber, subject: c.personalNumber, relation: 'guardian' as const })),
      ...(await this.#o.mandates.forAgent(this.#o.accounts.accountIdFor(personalNumber)))
        .map((m) => ({ actor: personalNumber, subject: m.principalNumber, relation: 'agent' as const, mandateId: m.id })),
    ];
    const choices: PendingLogin['choices'] = [];
    for (const claim of claims) {
      const verdict = await this.check(claim, { kind: 'sign_in' });
      if (!verdict.ok) continue;
      const subject = await this.#o.register.lookup(claim.subject);
      if (subject) choices.push({ ...claim, name: subject.name, birthDate: subject.birthDate });
    }
    return choices;
  }

  async forSession(sessionUid: string | undefined): Promise<ActingRecord | undefined> {
    if (!sessionUid) return undefined;
    const raw = await this.#o.store.get(sessionKey(sessionUid));
    return raw ? JSON.parse(raw) as ActingRecord : undefined;
  }

  /** The "Du agerar för Kalle (11 år)" line for a session, or undefined when the person acts for themself. */
  async actingLine(sessionUid: string | undefined, locale: Locale): Promise<Html | undefined> {
    const r = await this.forSession(sessionUid);
    return r ? actingForLine(locale, { name: r.subjectName, age: ageFrom(r.subjectBirthDate, this.#o.clock.now()), relation: r.relation }) : undefined;
  }

  /**
   * After the e-ID: when the person has someone to act for, keeps the login aside and answers where the
   * choice page is; undefined when there is nobody (the login finishes as it always did).
   */
  async offerChoice(uid: string, login: Omit<PendingLogin, 'choices'>): Promise<string | undefined> {
    const choices = await this.choicesFor(login.personalNumber);
    if (!choices.length) return undefined;
    await this.#o.store.set(pendingKey(uid), JSON.stringify({ ...login, choices } satisfies PendingLogin), this.#o.interactionTtlSeconds);
    return `/interaction/${uid}/represent`;
  }

  /**
   * oidc-provider's login prompt check: a login just made binds (or clears) the session's record; a
   * session reused for another sign-in must still have its relation, else the person signs in again.
   */
  get loginCheck(): InstanceType<typeof interactionPolicy.Check> {
    return new interactionPolicy.Check('representation_ended', 'the relation the session acts under no longer holds', 'login_required', async (ctx: KoaContextWithOIDC) => {
      const { session, result } = ctx.oidc;
      if (!session?.uid) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      if (result?.login) {
        const acting = (result as { representation?: ActingRecord }).representation;
        if (acting && acting.subject === result.login.accountId) await this.#o.store.set(sessionKey(session.uid), JSON.stringify(acting), this.#o.ttlSeconds);
        else await this.#o.store.del(sessionKey(session.uid));
        return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      }
      const acting = await this.forSession(session.uid);
      if (!acting || !session.accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      if (acting.subject !== session.accountId) return interactionPolicy.Check.REQUEST_PROMPT;
      const verdict = await this.check(claimOf(acting), { kind: 'sign_in' });
      if (!verdict.ok) this.#o.logger.info({ check: verdict.check, reason: verdict.reason }, 'representation no longer holds: signing in again');
      return verdict.ok ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    });
  }

  /** The actor's pairwise id at this product: the same id the actor has as `sub` there. */
  actFor(record: ActingRecord, productId: string): { sub: string } {
    return { sub: pairwiseSub(this.#o.pairwiseSalt, productId, record.actor) };
  }

  /**
   * oidc-provider's extraTokenClaims: every access token issued for a session acting for someone (code
   * exchange and every refresh) re-runs the pipeline and carries `act`; a relation that ended refuses
   * the token request (invalid_grant).
   */
  async extraTokenClaims(ctx: KoaContextWithOIDC, token: { sessionUid?: string; accountId?: string; clientId?: string }): Promise<Record<string, unknown> | undefined> {
    const record = await this.forSession(token.sessionUid);
    if (!record) return undefined;
    if (record.subject !== token.accountId) throw new errors.InvalidGrant('the session no longer acts for this citizen');
    const verdict = await this.check(claimOf(record), { kind: 'sign_in' });
    if (!verdict.ok) {
      this.#o.logger.info({ check: verdict.check, reason: verdict.reason }, 'token refused: representation no longer holds');
      // The reason stays in the log: a blocked custody is not the product's to learn.
      throw new errors.InvalidGrant('the representation no longer holds');
    }
    const client = ctx.oidc.client as unknown as { product_id?: string; clientId: string } | undefined;
    return { act: this.actFor(record, client?.product_id ?? client?.clientId ?? token.clientId ?? '') };
  }

  /** The `act` claim for an ID token or userinfo of a session acting for someone. */
  async actClaim(sessionUid: string | undefined, productId: string): Promise<{ sub: string } | undefined> {
    const record = await this.forSession(sessionUid);
    return record ? this.actFor(record, productId) : undefined;
  }

  /** GET and POST /interaction/:uid/represent: the choice of whom to act for. */
  routes(router: Router, kit: ChoiceKit): void {
    const { provider } = kit;
    const uidOf = (ctx: Context) => String(ctx.params.uid);
    const pending = async (ctx: Context): Promise<PendingLogin | undefined> => {
      const raw = await this.#o.store.get(pendingKey(uidOf(ctx)));
      return raw ? JSON.parse(raw) as PendingLogin : undefined;
    };
    const options = (p: PendingLogin): ActingOption[] => p.choices.map((c, index) => ({ index, name: c.name, age: ageFrom(c.birthDate, this.#o.clock.now()), relation: c.relation }));
    const refused = (ctx: Context, status: number, expired = false) => {
      ctx.status = status;
      ctx.type = 'html';
      ctx.body = refusedPage(kit.locale(ctx), expired);
    };

    router.get('/interaction/:uid/represent', kit.load, async (ctx) => {
      const p = await pending(ctx);
      if (!p) return refused(ctx, 400, true);
      ctx.type = 'html';
      ctx.body = choosePage({ locale: kit.locale(ctx), uid: uidOf(ctx), options: options(p) });
    });

    router.post('/interaction/:uid/represent', kit.body, kit.load, async (ctx) => {
      const p = await pending(ctx);
      if (!p) return refused(ctx, 400, true);
      const chosen = (ctx.request.body as Record<string, unknown> | undefined)?.for;
      const login = { acr: p.acr, amr: p.amr, remember: true, ts: p.ts };
      if (chosen === 'self') {
        await this.#o.store.del(pendingKey(uidOf(ctx)));
        const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: p.accountId, ...login } }, { mergeWithLastSubmission: false });
        ctx.status = 303;
        return ctx.redirect(to);
      }
      // Only an index into the list kept here: a personnummer, an id or a tampered value is no choice.
      const index = typeof chosen === 'string' && /^\d{1,3}$/.test(chosen) ? Number(chosen) : -1;
      const choice = p.choices[index];
      if (!choice) {
        this.#o.logger.warn({ interaction: uidOf(ctx), reason: 'claim_malformed' }, 'acting-for choice refused');
        return refused(ctx, 400);
      }
      const claim: RepresentationClaim = { actor: p.personalNumber, subject: choice.subject, relation: choice.relation, mandateId: choice.mandateId };
      const verdict = await this.check(claim, { kind: 'sign_in' });
      if (!verdict.ok) {
        this.#o.logger.warn({ interaction: uidOf(ctx), check: verdict.check, reason: verdict.reason }, 'acting-for choice refused');
        return refused(ctx, verdict.reason === 'register_unavailable' || verdict.reason === 'mandates_unavailable' ? 503 : 403);
      }
      const subjectRecord = verdict.state.subjectRecord;
      const subject = await this.#o.accounts.remember({ personalNumber: subjectRecord.personalNumber, givenName: subjectRecord.givenName, surname: subjectRecord.surname, name: subjectRecord.name });
      const representation: ActingRecord = {
        actor: p.accountId, subject, actorNumber: p.personalNumber, subjectNumber: choice.subject, relation: choice.relation,
        ...(choice.mandateId ? { mandateId: choice.mandateId } : {}), subjectName: subjectRecord.name, subjectBirthDate: subjectRecord.birthDate,
      };
      await this.#o.store.del(pendingKey(uidOf(ctx)));
      this.#o.logger.info({ interaction: uidOf(ctx), relation: choice.relation }, 'signed in acting for someone');
      const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: subject, ...login }, representation }, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(to);
    });
  }
}
