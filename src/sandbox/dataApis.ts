// Sandbox only: mock data APIs of the sandbox controllers (bookings, vaccinations, lab results,
// home-care decisions), the upstreams of the built-in enforcement proxy. Every item names the
// controller responsible for it (docs/domain.md, rule 5). The data is made up, derived from the citizen and
// controller so the same question gets the same answer; it is served only when the PEP's permit
// headers name the same controller and data set as the path (the PEP is the only intended caller).
import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type { RegistryCache } from '../whitelist/registryCache.ts';

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

function items(dataset: (typeof DATASETS)[number], controller: { id: string; name: string }, citizen: string): Array<Record<string, unknown>> {
  const next = seeded(dataset, controller.id, citizen);
  const n = 1 + (next() % 3);
  return Array.from({ length: n }, (_, i) => {
    const base = { id: `${controller.id}-${dataset}-${createHash('sha256').update(`${citizen}${i}`).digest('hex').slice(0, 8)}`, controller };
    switch (dataset) {
      case 'bookings': return { ...base, date: date(next, true), unit: pick(next, ['Vårdcentralen Sandviken', 'Hemtjänsten Norr', 'Tandvården City']), what: pick(next, ['Besök hos sjuksköterska', 'Läkarbesök', 'Uppföljning']) };
      case 'vaccinations': return { ...base, date: date(next, false), vaccine: pick(next, ['Influensa', 'Covid-19', 'Pneumokocker', 'TBE']) };
      case 'lab-results': return { ...base, date: date(next, false), test: pick(next, ['P-Glukos', 'B-Hb', 'HbA1c']), value: String(40 + (next() % 60)) };
      default: return { ...base, date: date(next, false), decision: pick(next, ['Hemtjänst 10 h/månad', 'Trygghetslarm', 'Matdistribution']) };
    }
  });
}

export function dataApiRouter(registry: RegistryCache | undefined): Router {
  const router = new Router({ prefix: '/sandbox/data' });
  router.get('/:controller/:dataset', async (ctx) => {
    const dataset = DATASETS.find((d) => d === ctx.params.dataset);
    const controllerId = ctx.params.controller;
    const citizen = String(ctx.query.citizen ?? '');
    if (!dataset || !controllerId || !/^\d{12}$/.test(citizen)) {
      ctx.status = 404;
      ctx.body = { error: 'not_found' };
      return;
    }
    if (ctx.get('x-controller') !== controllerId || ctx.get('x-dataset') !== dataset) {
      ctx.status = 403;
      ctx.body = { error: 'only_through_the_pep' };
      return;
    }
    const known = registry ? (await registry.snapshot().catch(() => undefined))?.controllers.find((c) => c.id === controllerId) : undefined;
    const controller = { id: controllerId, name: known?.name ?? controllerId };
    ctx.body = { controller, dataset, items: items(dataset, controller, citizen) };
  });
  return router;
}
