// The consent page's content (issue 12): it lists only what this person will actually be given — the
// claims their account has under the scopes asked for, each said once (no HSA-id or organisation for a
// citizen, one "your name" however many scopes release it), and the data sets with the controller
// responsible for each and whether the app may read or change — says who is signed in, and links to
// /account where consent is withdrawn. What the page showed is what is recorded when the person
// approves (records.ts), with the text's version and language. A product whose approvals widened since
// asks again (oidc-provider's consent prompt, `needed`), with what is new marked.
import type { Context } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import type { AccountRecord, AccountStore } from '../../idp/accounts.ts';
import type { ProtectedIdentity, ProtectionStatus } from '../protectedIdentity.ts';
import { accountClaims, scopeClaims, SE } from '../../idp/claims.ts';
import { html, page, type Html } from '../../idp/views/html.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { consentTexts, CONSENT_TEXT_VERSION } from '../../idp/views/messages/consent.ts';
import type { ProductGate } from '../../whitelist/productGate.ts';
import { narrow, requestedDetailSchema, type RequestedDetail } from '../../whitelist/authorizationDetails.ts';
import { ACTIONS, type Action } from '../../whitelist/model.ts';
import type { ConsentHow, ConsentInput, ConsentRecord, ConsentStore } from './records.ts';
import { JUMP_TICKET_PARAM } from '../../federation/sso/jumpLogin.ts';
import type { WithdrawnConsentCache } from './withdrawn.ts';

export const ACCOUNT_PATH = '/account';

/** A claim in words: several claims share one (given_name, family_name and name are "your name"). */
export type ClaimWord = 'claimSignIn' | 'claimName' | 'claimPersonalNumber' | 'claimCoordinationNumber' | 'claimHsaId' | 'claimOrganisation' | 'claimAddress' | 'claimEmail' | 'claimPhone' | 'claimOffline';

const WORD_OF: Record<string, ClaimWord> = {
  sub: 'claimSignIn', acr: 'claimSignIn', auth_time: 'claimSignIn', [SE.authnProvider]: 'claimSignIn',
  given_name: 'claimName', family_name: 'claimName', name: 'claimName',
  [SE.personalIdentityNumber]: 'claimPersonalNumber', [SE.coordinationNumber]: 'claimCoordinationNumber',
  [SE.orgAffiliation]: 'claimHsaId', [SE.orgName]: 'claimOrganisation', [SE.orgNumber]: 'claimOrganisation',
  // From the population register, and only for a person without protected identity (accountClaims).
  address: 'claimAddress', email: 'claimEmail', phone_number: 'claimPhone',
};
const WORD_ORDER: ClaimWord[] = ['claimSignIn', 'claimName', 'claimPersonalNumber', 'claimCoordinationNumber', 'claimHsaId', 'claimOrganisation', 'claimAddress', 'claimEmail', 'claimPhone', 'claimOffline'];

/** One data set at one controller, and what the app may do with it. */
export interface OfferedData {
  dataset: string;
  controllerId: string;
  actions: Action[];
}

/** What this person will actually be given, if they approve. */
export interface ConsentOffer {
  /** The registry product; undefined for one of the operator's configured clients (nothing is recorded). */
  productId: string | undefined;
  /** The claims released, by name. */
  claims: string[];
  /** The claims in words, each once, in a fixed order. */
  words: ClaimWord[];
  data: OfferedData[];
}

/** The claims the account holds that the scopes release (identity claims only: what a token can carry). */
export function releasedClaims(scopes: readonly string[], record: AccountRecord | undefined, protection?: ProtectionStatus): { claims: string[]; words: ClaimWord[] } {
  const held = new Set(['sub', 'acr', 'auth_time', ...(record ? Object.keys(accountClaims(record, 'any', protection)) : [])]);
  const claims = new Set<string>();
  const words = new Set<ClaimWord>();
  for (const scope of scopes) {
    if (scope === 'offline_access') words.add('claimOffline');
    for (const claim of scopeClaims[scope] ?? []) {
      if (!claim || !held.has(claim)) continue;
      claims.add(claim);
      const word = WORD_OF[claim];
      if (word) words.add(word);
    }
  }
  return { claims: [...claims].sort(), words: WORD_ORDER.filter((w) => words.has(w)) };
}

function requestedDetails(raw: unknown): RequestedDetail[] | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    return (JSON.parse(raw) as unknown[]).filter((d) => requestedDetailSchema.safeParse(d).success) as RequestedDetail[];
  } catch {
    return undefined; // PAR validated it already
  }
}

export interface ConsentPromptDeps {
  /** The population register's protection marks: address and contact are listed only when they would be released. */
  protection?: ProtectedIdentity | undefined;
  config: Config;
  accounts: AccountStore;
  gate: ProductGate | undefined;
  /** The operator's configured clients: never registry products, nothing recorded for them. */
  configuredClientIds: ReadonlySet<string>;
  /** Where consents are recorded; without it the page still says what is given, and nothing is asked again. */
  records?: ConsentStore | undefined;
  withdrawn?: WithdrawnConsentCache | undefined;
  /**
   * "Du agerar för Kalle (11 år)": whom the signed-in person acts for in this sign-in, in words, when
   * they act for someone (the representation module's hook, issue 12 items 4 and 5); shown under who is signed in.
   */
  actingFor?: ((req: PromptRequest, locale: Locale) => Promise<string | undefined>) | undefined;
  logger: Logger;
}

/** The interaction's facts the page needs (oidc-provider's interaction details, narrowed). */
export interface PromptRequest {
  accountId: string;
  clientId: string;
  scope: string;
  authorizationDetails: unknown;
}

const actionKey = (actions: readonly string[]): 'actionRead' | 'actionWrite' | 'actionReadWrite' =>
  actions.includes('read') && actions.includes('write') ? 'actionReadWrite' : actions.includes('write') ? 'actionWrite' : 'actionRead';

const covered = (records: readonly ConsentRecord[], d: OfferedData): boolean =>
  records.some((r) => r.kind === 'app_access' && r.dataset === d.dataset && r.controllerId === d.controllerId && d.actions.every((a) => r.actions.includes(a)));
const claimsCovered = (records: readonly ConsentRecord[], claims: readonly string[]): boolean =>
  records.some((r) => r.kind === 'app_access' && r.dataset === undefined && claims.every((c) => r.claims.includes(c)));

export class ConsentPrompt {
  readonly #d: ConsentPromptDeps;

  constructor(deps: ConsentPromptDeps) {
    this.#d = deps;
  }

  /** What approving would give, for this request (the same gate run as the request's client lookup). */
  async offer(req: PromptRequest, request: object): Promise<ConsentOffer> {
    const { gate, config, configuredClientIds } = this.#d;
    const record = await this.#d.accounts.find(req.accountId);
    // Address and contact are offered only where they would be released: never for a protected person.
    const protection = record?.kind === 'citizen' && this.#d.protection ? await this.#d.protection.status(record.personalNumber) : undefined;
    const { claims, words } = releasedClaims(req.scope.split(' ').filter(Boolean), record, protection);
    if (!gate || configuredClientIds.has(req.clientId)) return { productId: undefined, claims, words, data: [] };
    const result = await gate.check(req.clientId, request);
    if (!result.ok) return { productId: undefined, claims, words, data: [] };
    const live = (await gate.liveDetails(req.clientId, request)) ?? [];
    const known = new Set(config.datasets.map((d) => d.id));
    const data: OfferedData[] = [];
    for (const detail of narrow(live, requestedDetails(req.authorizationDetails))) {
      if (!known.has(detail.dataset)) continue;
      const actions = ACTIONS.filter((a) => detail.actions.includes(a));
      for (const controllerId of detail.controllers) data.push({ dataset: detail.dataset, controllerId, actions });
    }
    return { productId: result.product.id, claims, words, data };
  }

  /** Consents in force for the offer's product (none without a record store or a product). */
  async #held(accountId: string, offer: ConsentOffer): Promise<ConsentRecord[]> {
    if (!this.#d.records || !offer.productId) return [];
    return this.#d.records.inForce(accountId, offer.productId);
  }

  /** The consent page. */
  async page(ctx: Context, req: PromptRequest, view: { locale: Locale; uid: string; clientName: string; signedIn?: Html | undefined }): Promise<string> {
    const offer = await this.offer(req, ctx);
    const held = await this.#held(req.accountId, offer);
    const names = this.#d.gate ? await this.#d.gate.controllerNames() : new Map<string, string>();
    const loc = view.locale;
    const actingFor = await this.#d.actingFor?.(req, loc);
    const say = (key: Parameters<typeof consentTexts.say>[1], params?: Record<string, string>) => consentTexts.say(loc, key, params);
    const widened = held.length > 0;
    // One line per data set and actions, the controllers responsible for it named on it.
    const lines = new Map<string, { dataset: string; actions: Action[]; controllers: Array<{ name: string; isNew: boolean }> }>();
    for (const d of offer.data) {
      const key = `${d.dataset}\u0000${d.actions.join(',')}`;
      const line = lines.get(key) ?? { dataset: d.dataset, actions: d.actions, controllers: [] };
      line.controllers.push({ name: names.get(d.controllerId) ?? d.controllerId, isNew: widened && !covered(held, d) });
      lines.set(key, line);
    }
    const claimsNew = widened && !claimsCovered(held, offer.claims);
    const datasetName = (id: string) => (this.#d.config.datasets.find((x) => x.id === id)?.names[loc] ?? id).toLowerCase();
    const mark = (isNew: boolean) => (isNew ? html` <strong class="new">(${say('newMark')})</strong>` : html``);
    const data = [...lines.values()];
    return page({
      locale: loc,
      title: say('title'),
      path: `/interaction/${view.uid}`,
      body: html`<h1>${say('title')}</h1>
${view.signedIn ?? html``}
${actingFor ? html`<p class="message" id="acting-for" role="status">${actingFor}</p>` : html``}
<div class="card">
${widened && (claimsNew || data.some((l) => l.controllers.some((c) => c.isNew))) ? html`<p class="message" role="status" id="consent-widened">${say('widened')}</p>` : html``}
<p>${say('intro', { app: view.clientName })}</p>
<ul id="claims">${offer.words.map((w) => html`<li data-word="${w}">${say(w)}${mark(claimsNew)}</li>`)}</ul>
${data.length ? html`<h2>${say('dataHeading')}</h2>
<p>${say('dataIntro')}</p>
<ul id="data-access">${data.map((l) => html`<li data-dataset="${l.dataset}"><strong>${say('dataLine', { actions: say(actionKey(l.actions)), dataset: datasetName(l.dataset) })}</strong>, ${say('responsible')} ${l.controllers.map((c, i) => html`${i ? ', ' : ''}${c.name}${mark(c.isNew)}`)}</li>`)}</ul>
<p class="muted">${say('controllersNote')}</p>` : html``}
<p class="muted" id="revoke-note">${say('revokeNote')} <a href="${ACCOUNT_PATH}?lang=${loc}">${say('accountLink')}</a>.</p>
<form method="post" action="/interaction/${view.uid}/consent"><input type="hidden" name="lang" value="${loc}"><button type="submit" id="approve">${say('approve')}</button></form>
<form method="post" action="/interaction/${view.uid}/abort"><button type="submit" class="secondary">${say('cancel')}</button></form>
</div>`,
    });
  }

  /** Records what the page offered as given; `how` names the page and the e-ID method. */
  async given(ctx: Context, req: PromptRequest, shown: { locale: Locale; method: string | undefined }): Promise<void> {
    if (!this.#d.records) return;
    const offer = await this.offer(req, ctx);
    await this.#record(req, offer, { locale: shown.locale, how: shown.method ? `consent_page:${shown.method}` : 'consent_page' });
  }

  async #record(req: PromptRequest, offer: ConsentOffer, shown: { locale: Locale; how: ConsentHow }): Promise<void> {
    const { records } = this.#d;
    if (!records || !offer.productId) return;
    const base = {
      citizen: req.accountId, productId: offer.productId, kind: 'app_access' as const, textVersion: CONSENT_TEXT_VERSION, locale: shown.locale,
      givenHow: shown.how, recipientId: undefined,
    };
    const inputs: ConsentInput[] = [
      { ...base, dataset: undefined, controllerId: undefined, actions: [], claims: offer.claims },
      ...offer.data.map((d) => ({ ...base, dataset: d.dataset, controllerId: d.controllerId, actions: d.actions, claims: [] })),
    ];
    await records.give(inputs);
    // A consent given again lifts an earlier withdrawal on every instance's decision point.
    await this.#d.withdrawn?.announce();
  }

  /** oidc-provider's consent prompt: does the product reach more than the person consented to? */
  async needed(ctx: KoaContextWithOIDC): Promise<boolean> {
    const { oidc } = ctx;
    const accountId = oidc.session?.accountId;
    const clientId = oidc.client?.clientId;
    if (!this.#d.records || !accountId || !clientId) return false;
    const req: PromptRequest = { accountId, clientId, scope: String(oidc.params?.scope ?? ''), authorizationDetails: oidc.params?.authorization_details };
    const offer = await this.offer(req, ctx);
    if (!offer.productId) return false;
    // A jump's ticket stands for login and consent at the target (docs/sso.md, "Jumps"): the citizen
    // chose the target from a product they were signed in to. What it reaches is recorded as given by
    // the jump, so /account lists it and its withdrawal reaches it like any other.
    if (oidc.params?.[JUMP_TICKET_PARAM] !== undefined && oidc.result?.consent?.grantId) {
      const uiLocale = String(oidc.params.ui_locales ?? '').split(' ')[0];
      await this.#record(req, offer, { locale: uiLocale === 'en' ? 'en' : 'sv', how: 'jump' });
      return false;
    }
    const held = await this.#held(accountId, offer);
    return !claimsCovered(held, offer.claims) || offer.data.some((d) => !covered(held, d));
  }
}
