// What /account shows and the export carries, gathered once: the apps with access to the citizen's
// data (from the consents in force: data sets, controllers, since when, last use from the decision
// audit), every consent given and withdrawn, and who acts for whom. Names come from the registry
// (products, controllers) and the data-set catalogue; ids stay beside them for the export.
import type { DatasetConfig } from '../../config.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import type { RegistryCache } from '../../whitelist/registryCache.ts';
import type { ConsentRecord, ConsentStore } from '../consent/records.ts';
import type { AccessLog } from './accessLog.ts';
import type { AccountRepresentation, CitizenRelations } from './representation.ts';

export interface AppDataAccess {
  dataset: string;
  datasetName: string;
  controllerId: string;
  controllerName: string;
  actions: string[];
}

export interface AppAccess {
  productId: string;
  name: string;
  since: string;
  lastUse: string | undefined;
  /** The identity claims it receives (the consent without a data set). */
  claims: string[];
  access: AppDataAccess[];
}

export interface AccountOverview {
  apps: AppAccess[];
  consents: ConsentRecord[];
  relations: CitizenRelations;
  /** Names of products and controllers by id, for the consents' and the log's lines. */
  productNames: Map<string, string>;
  controllerNames: Map<string, string>;
  datasetName(id: string): string;
}

export interface OverviewDeps {
  records: ConsentStore;
  log: AccessLog;
  registry: RegistryCache | undefined;
  datasets: readonly DatasetConfig[];
  representation: AccountRepresentation;
}

export async function overviewOf(deps: OverviewDeps, who: { accountId: string; personalNumber: string | undefined }, locale: Locale): Promise<AccountOverview> {
  const [consents, lastUse, snapshot, relations] = await Promise.all([
    deps.records.forCitizen(who.accountId),
    deps.log.lastUse(who.accountId),
    deps.registry?.snapshot(),
    deps.representation.relations(who, locale),
  ]);
  const productNames = new Map((snapshot?.products ?? []).map((p) => [p.id, p.name]));
  const controllerNames = new Map((snapshot?.controllers ?? []).map((c) => [c.id, c.name]));
  const datasetName = (id: string) => deps.datasets.find((d) => d.id === id)?.names[locale] ?? id;
  const byProduct = new Map<string, ConsentRecord[]>();
  for (const c of consents) {
    if (c.kind !== 'app_access' || c.revokedAt) continue;
    byProduct.set(c.productId, [...(byProduct.get(c.productId) ?? []), c]);
  }
  const apps: AppAccess[] = [...byProduct].map(([productId, held]) => ({
    productId,
    name: productNames.get(productId) ?? productId,
    since: held.map((c) => c.givenAt).sort()[0] ?? '',
    lastUse: lastUse.get(productId),
    claims: held.find((c) => c.dataset === undefined)?.claims ?? [],
    access: held.flatMap((c) => (c.dataset && c.controllerId
      ? [{ dataset: c.dataset, datasetName: datasetName(c.dataset), controllerId: c.controllerId, controllerName: controllerNames.get(c.controllerId) ?? c.controllerId, actions: c.actions }]
      : [])),
  })).sort((a, b) => a.name.localeCompare(b.name));
  return { apps, consents, relations, productNames, controllerNames, datasetName };
}
