// Sandbox only: mock data APIs of the sandbox controllers (bookings, vaccinations, lab results,
// home-care decisions), the upstreams of the built-in enforcement proxy. Every item names the
// controller responsible for it (docs/domain.md, rule 5). The data is made up, derived from the citizen and
// controller so the same question gets the same answer.
//
// They are the reference for how a data API trusts the gateway: they serve a request only with a valid
// decision assertion (Gateway-Decision, src/scopes/decisionAssertion.ts) — signed by a key of the
// gateway's JWKS, typ decision+jwt, from the gateway (iss), to them (aud), unexpired, unused, issued
// for exactly this method, path and query — and then only the controller and data set it names.
// Nothing else a caller sends counts: X-Controller, X-Dataset, X-Citizen and the like are ignored.
import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type { JSONWebKeySet } from 'jose';
import type { Clock } from '../clock.ts';
import type { RegistryCache } from '../whitelist/registryCache.ts';
import { AssertionRefused, DECISION_ASSERTION_HEADER, DecisionVerifier, type AssertionProblem, type DecisionAssertionClaims } from '../scopes/decisionAssertion.ts';
import { sandboxDataAudience } from '../scopes/routeTable.ts';
import type { PopulationRegister } from '../citizens/register/register.ts';

const DATASETS = ['bookings', 'vaccinations', 'lab-results', 'home-care-decisions'] as const;

function seeded(...parts: string[]): () => number {
  let bytes = createHash('sha256').update(parts.join('\u0000')).digest();
  let i = 0;
  return () => {
    if (i >= bytes.length) { bytes = createHash('sha256').update(bytes).digest(); i = 0; }
    return bytes.readUInt8(i++);
  };
}

// A non-empty list and an index in range: the first item is only the type's fallback, never picked by default.
const pick = <T>(next: () => number, list: readonly [T, ...T[]]): T => list[next() % list.length] ?? list[0];
const date = (next: () => number, future: boolean) => {
  const d = new Date(Date.UTC(2026, 0, 1) + (future ? 330 : 0) * 86_400_000 + (next() * 3 + next() % 3) * 86_400_000);
  return d.toISOString().slice(0, 10);
};

function items(dataset: (typeof DATASETS)[number], controller: { id: string; name: string }, citizen: string, phone: string | undefined): Array<Record<string, unknown>> {
  const next = seeded(dataset, controller.id, citizen);
  const n = 1 + (next() % 3);
  return Array.from({ length: n }, (_, i) => {
    const base = { id: `${controller.id}-${dataset}-${createHash('sha256').update(`${citizen}${i}`).digest('hex').slice(0, 8)}`, controller };
    switch (dataset) {
      case 'bookings': return { ...base, date: date(next, true), unit: pick(next, ['Vårdcentralen Sandviken', 'Hemtjänsten Norr', 'Tandvården City']), what: pick(next, ['Besök hos sjuksköterska', 'Läkarbesök', 'Uppföljning']), ...(phone ? { smsReminderTo: phone } : {}) };
      case 'vaccinations': return { ...base, date: date(next, false), vaccine: pick(next, ['Influensa', 'Covid-19', 'Pneumokocker', 'TBE']) };
      case 'lab-results': return { ...base, date: date(next, false), test: pick(next, ['P-Glukos', 'B-Hb', 'HbA1c']), value: String(40 + (next() % 60)) };
      default: return { ...base, date: date(next, false), decision: pick(next, ['Hemtjänst 10 h/månad', 'Trygghetslarm', 'Matdistribution']) };
    }
  });
}

export interface DataApiOptions {
  registry: RegistryCache | undefined;
  /** The gateway: the assertion's issuer; these APIs are `<issuer>/sandbox/data` (its audience). */
  issuer: string;
  /** The gateway's public keys, as /jwks serves them. */
  jwks: JSONWebKeySet;
  clock: Clock;
  /**
   * The population register: like a real API that holds them, these answer with the citizen's address
   * and contact (whoever they are), so the enforcement proxy's removal of them for a protected person
   * shows (src/citizens/protectedIdentity.ts).
   */
  register?: PopulationRegister | undefined;
}

/** 401: no assertion the gateway issued; 403: one it issued, but not for this request (or used already). */
const REFUSAL_STATUS: Record<AssertionProblem, 401 | 403> = {
  assertion_missing: 401, assertion_invalid: 401, assertion_expired: 401, assertion_mismatch: 403, assertion_replayed: 403,
};

export function dataApiRouter(o: DataApiOptions): Router {
  const verifier = new DecisionVerifier({ jwks: o.jwks, issuer: o.issuer, audience: sandboxDataAudience(o.issuer), clock: o.clock });
  const router = new Router({ prefix: '/sandbox/data' });
  router.get('/:controller/:dataset', async (ctx) => {
    let claims: DecisionAssertionClaims;
    try {
      claims = await verifier.verify(ctx.get(DECISION_ASSERTION_HEADER) || undefined, { method: ctx.method, path: ctx.path, query: ctx.querystring });
    } catch (err) {
      if (!(err instanceof AssertionRefused)) throw err;
      ctx.status = REFUSAL_STATUS[err.problem];
      if (ctx.status === 401) ctx.set('WWW-Authenticate', `Gateway-Decision error="${err.problem}"`);
      ctx.body = { error: err.problem, error_description: err.message };
      return;
    }
    const dataset = DATASETS.find((d) => d === ctx.params.dataset);
    const controllerId = ctx.params.controller;
    const citizen = String(ctx.query.citizen ?? '');
    if (!dataset || !controllerId || !/^\d{12}$/.test(citizen)) {
      ctx.status = 404;
      ctx.body = { error: 'not_found' };
      return;
    }
    // The path is bound already; the reference checks the target too, as an API with other paths would.
    if (claims.controller !== controllerId || claims.dataset !== dataset || claims.action !== 'read') {
      ctx.status = 403;
      ctx.body = { error: 'assertion_mismatch', error_description: 'the decision assertion permits another controller, data set or action' };
      return;
    }
    const known = o.registry ? (await o.registry.snapshot().catch(() => undefined))?.controllers.find((c) => c.id === controllerId) : undefined;
    const controller = { id: controllerId, name: known?.name ?? controllerId };
    const person = await o.register?.lookup(citizen).catch(() => undefined);
    const patient = person ? {
      ...(person.address ? { address: person.address } : {}),
      ...(person.contact?.email ? { email: person.contact.email } : {}),
      ...(person.contact?.phoneNumber ? { phoneNumber: person.contact.phoneNumber } : {}),
    } : undefined;
    ctx.body = { controller, dataset, ...(patient ? { patient } : {}), items: items(dataset, controller, citizen, person?.contact?.phoneNumber) };
  });
  return router;
}
