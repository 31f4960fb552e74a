// Withdrawing consent, as one action (docs/domain.md, rule 6: as easy to withdraw as to give): the
// records are marked withdrawn in PostgreSQL, the citizen's grants and every token and code of the
// product's clients are deleted from the shared store (each instance finds them inactive on its next
// lookup), the remembered consent is forgotten (the next sign-in asks again), and every instance's
// decision point is told at once (publish/subscribe). Nothing here waits on a timer: when the answer
// is sent, every instance already denies.
import type { HotStore } from '../../store/hotStore.ts';
import type { Logger } from '../../log.ts';
import type { RegistryCache } from '../../whitelist/registryCache.ts';
import type { RememberedConsents } from '../../federation/sso/consent.ts';
import { revokeAccountTokens } from '../../idp/adapter.ts';
import type { ConsentHow, ConsentRecord, ConsentStore, RevokeOneResult } from './records.ts';
import type { WithdrawnConsentCache } from './withdrawn.ts';

export interface RevocationDeps {
  records: ConsentStore;
  withdrawn: WithdrawnConsentCache;
  store: HotStore;
  /** Which clients a product has (its registry entry); the registry may be absent (then none). */
  registry: RegistryCache | undefined;
  remembered?: RememberedConsents | undefined;
  logger: Logger;
}

export interface ProductRevoked {
  consents: ConsentRecord[];
  /** Grants, tokens and codes deleted. */
  tokens: number;
}

export class ConsentRevocation {
  readonly #d: RevocationDeps;

  constructor(deps: RevocationDeps) {
    this.#d = deps;
  }

  async #clientIds(productId: string): Promise<string[]> {
    const snapshot = await this.#d.registry?.snapshot();
    const ids = (snapshot?.products ?? []).filter((p) => p.id === productId).map((p) => p.client.clientId);
    // A configured client outside the registry is its own product (product_id defaults to client_id).
    return ids.length ? ids : [productId];
  }

  /** Withdraws the citizen's consents to one product, and ends its access everywhere. */
  async revokeProduct(citizen: string, productId: string, how: ConsentHow): Promise<ProductRevoked> {
    const consents = await this.#d.records.revokeProduct(citizen, productId, how);
    const clientIds = await this.#clientIds(productId);
    let tokens = 0;
    for (const clientId of clientIds) tokens += await revokeAccountTokens(this.#d.store, citizen, clientId);
    await this.#d.remembered?.forget(citizen, clientIds);
    await this.#d.withdrawn.announce();
    // The product and counts only: the citizen's pseudonym stays out of the logs too.
    this.#d.logger.info({ product: productId, consents: consents.length, tokens, how }, 'consent withdrawn');
    return { consents, tokens };
  }

  /** Withdraws one consent of the citizen's own (someone else's id: consent_not_found, as for none). */
  async revokeOne(citizen: string, id: string, how: ConsentHow): Promise<RevokeOneResult> {
    const result = await this.#d.records.revokeOne(citizen, id, how);
    if (!result.ok) return result;
    const { record } = result;
    // The claims consent is the product's as a whole: withdrawing it is withdrawing the product.
    if (record.kind === 'app_access' && record.dataset === undefined) await this.revokeProduct(citizen, record.productId, how);
    else await this.#d.withdrawn.announce();
    this.#d.logger.info({ product: record.productId, kind: record.kind, how }, 'consent withdrawn');
    return result;
  }
}
