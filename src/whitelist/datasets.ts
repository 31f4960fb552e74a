// The data-set catalogue (config `datasets`): what approvals and policies can name, which actions each
// data set allows, and the OAuth scopes derived from them (`bookings.read`, `bookings.write`).
import type { DatasetConfig } from '../config.ts';
import type { FieldError } from './errors.ts';
import { ACTIONS, type Action, type DatasetAccess } from './model.ts';

export type Dataset = DatasetConfig;

export const scopeOf = (dataset: string, action: Action): string => `${dataset}.${action}`;

/** `bookings.write` -> { dataset: 'bookings', action: 'write' }; undefined for anything else. */
export function parseScope(scope: string): { dataset: string; action: Action } | undefined {
  const match = /^([a-z][a-z0-9-]*)\.(read|write)$/.exec(scope);
  const dataset = match?.[1];
  const action = ACTIONS.find((a) => a === match?.[2]);
  return dataset && action ? { dataset, action } : undefined;
}

/** The scopes an access list amounts to, sorted and without duplicates. */
export function scopesFor(access: DatasetAccess[]): string[] {
  return [...new Set(access.flatMap((a) => a.actions.map((action) => scopeOf(a.dataset, action))))].sort();
}

export class DatasetCatalogue {
  readonly #byId: Map<string, Dataset>;

  constructor(datasets: Dataset[]) {
    this.#byId = new Map(datasets.map((d) => [d.id, d]));
  }

  get(id: string): Dataset | undefined {
    return this.#byId.get(id);
  }

  list(): Dataset[] {
    return [...this.#byId.values()];
  }

  /** Every scope the catalogue allows. */
  scopes(): string[] {
    return this.list().flatMap((d) => d.actions.map((a) => scopeOf(d.id, a)));
  }

  /** Unknown data-set ids, as field errors under `path`. */
  checkIds(ids: string[], path: string): FieldError[] {
    return ids.flatMap((id, i) => (this.#byId.has(id) ? [] : [{ path: `${path}.${i}`, message: `unknown data set "${id}" (the catalogue has ${[...this.#byId.keys()].join(', ')})` }]));
  }

  /** Unknown data sets, actions a data set does not allow, and a data set named twice. */
  checkAccess(access: DatasetAccess[], path: string): FieldError[] {
    const errors: FieldError[] = [];
    const seen = new Set<string>();
    access.forEach((a, i) => {
      const d = this.#byId.get(a.dataset);
      if (!d) {
        errors.push({ path: `${path}.${i}.dataset`, message: `unknown data set "${a.dataset}"` });
        return;
      }
      if (seen.has(a.dataset)) errors.push({ path: `${path}.${i}.dataset`, message: `data set "${a.dataset}" is named twice` });
      seen.add(a.dataset);
      for (const action of a.actions) {
        if (!d.actions.includes(action)) errors.push({ path: `${path}.${i}.actions`, message: `data set "${a.dataset}" does not allow "${action}"` });
      }
    });
    return errors;
  }
}

/** Whether `inner` asks for nothing `outer` does not cover. */
export function accessWithin(inner: DatasetAccess[], outer: DatasetAccess[]): boolean {
  return inner.every((a) => {
    const o = outer.find((x) => x.dataset === a.dataset);
    return o !== undefined && a.actions.every((action) => o.actions.includes(action));
  });
}
