// RFC 9396 authorization_details of type `dataset_access`: per data set, the actions and the
// controllers whose live approvals cover it. The gateway computes them from the live approvals; a
// client may ask for less (narrowing) but never for more.
import { z } from 'zod';
import type { Action } from './model.ts';
import type { LiveApproval } from './liveApprovals.ts';

export const DATASET_ACCESS = 'dataset_access';

export interface DatasetAccessDetail {
  type: typeof DATASET_ACCESS;
  dataset: string;
  actions: Action[];
  /** Controller ids (registry slugs), sorted. */
  controllers: string[];
}

const ORDER: Action[] = ['read', 'write'];

/** What a client may send: a data set, optionally fewer actions and fewer controllers. */
export const requestedDetailSchema = z.object({
  type: z.literal(DATASET_ACCESS),
  dataset: z.string().min(1).max(64).regex(/^[a-z0-9-]+$/),
  actions: z.array(z.enum(['read', 'write'])).min(1).max(2).optional(),
  controllers: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
}).strict();
export type RequestedDetail = z.infer<typeof requestedDetailSchema>;

/** One detail per (data set, set of actions), listing the controllers that allow exactly those actions. */
export function detailsFromLive(live: LiveApproval[]): DatasetAccessDetail[] {
  const groups = new Map<string, DatasetAccessDetail>();
  for (const approval of live) {
    for (const access of approval.access) {
      const actions = ORDER.filter((a) => access.actions.includes(a));
      const key = `${access.dataset}\u0000${actions.join(',')}`;
      const detail = groups.get(key) ?? { type: DATASET_ACCESS, dataset: access.dataset, actions, controllers: [] };
      if (!detail.controllers.includes(approval.controllerId)) detail.controllers.push(approval.controllerId);
      groups.set(key, detail);
    }
  }
  return [...groups.values()]
    .map((d) => ({ ...d, controllers: d.controllers.sort() }))
    .sort((a, b) => a.dataset.localeCompare(b.dataset) || a.actions.join().localeCompare(b.actions.join()));
}

/**
 * The live details cut down to what was requested. Without a request (undefined) the client gets all
 * live details; with one, only what both allow: a request can never add a data set, an action or a
 * controller.
 */
export function narrow(live: DatasetAccessDetail[], requested: RequestedDetail[] | undefined): DatasetAccessDetail[] {
  if (requested === undefined) return live;
  const perController = new Map<string, Map<string, Set<Action>>>(); // dataset -> controller -> actions
  for (const want of requested) {
    for (const have of live) {
      if (have.dataset !== want.dataset) continue;
      const actions = have.actions.filter((a) => !want.actions || want.actions.includes(a));
      const controllers = have.controllers.filter((c) => !want.controllers || want.controllers.includes(c));
      for (const c of controllers) {
        let byDataset = perController.get(have.dataset);
        if (!byDataset) perController.set(have.dataset, (byDataset = new Map()));
        let set = byDataset.get(c);
        if (!set) byDataset.set(c, (set = new Set()));
        for (const a of actions) set.add(a);
      }
    }
  }
  const asLive: LiveApproval[] = [];
  for (const [dataset, byController] of perController) {
    for (const [controllerId, actions] of byController) {
      if (!actions.size) continue;
      asLive.push({ controllerId, controllerOrgNumber: '', purpose: '', basis: 'policy', access: [{ dataset, actions: ORDER.filter((a) => actions.has(a)) }] });
    }
  }
  return detailsFromLive(asLive);
}

/** True when every requested detail is within the live ones (used to refuse widening at request time). */
export function withinLive(live: DatasetAccessDetail[], requested: RequestedDetail): boolean {
  const matching = live.filter((d) => d.dataset === requested.dataset);
  if (!matching.length) return false;
  const controllers = new Set(matching.flatMap((d) => d.controllers));
  if (requested.controllers?.some((c) => !controllers.has(c))) return false;
  // Each requested action must be allowed by at least one of the requested (or any) controllers.
  const wanted = requested.controllers;
  const relevant = matching.filter((d) => !wanted || d.controllers.some((c) => wanted.includes(c)));
  return (requested.actions ?? []).every((a) => relevant.some((d) => d.actions.includes(a)));
}
