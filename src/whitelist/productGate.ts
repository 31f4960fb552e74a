// Where the registry meets oidc-provider: products become clients only through the token gate, and
// every access token's authorization_details are the product's live approvals at that moment. The
// registry is read through the per-instance cache; when it cannot be read the answer is "no such
// client" and "no access" (fail closed), never the last thing we happened to know.
//
// One request, one gate run: oidc-provider looks the client up when it authenticates it, then asks
// for its authorization_details in several hooks, and the token and introspection responses get the
// live details again. Each of those names the request it serves (the Koa context, which is also what
// `Provider.ctx` holds inside oidc-provider's routes), and the gate's answer is kept per request and
// client, so a token request or an introspection reads the registry and runs the checks once, and
// every part of it sees the same answer.
import type { ClientMetadata } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { ClientConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Product, RegistrySnapshot } from './model.ts';
import type { CatalogueEntry } from './liveApprovals.ts';
import type { RegistryCache } from './registryCache.ts';
import { runTokenGate, type GateResult } from './tokenGate.ts';
import { detailsFromLive, type DatasetAccessDetail } from './authorizationDetails.ts';

/** A product's OAuth client in the shape the provider's client mapping takes. */
export function productClient(product: Product): ClientConfig {
  const c = product.client;
  return {
    client_id: c.clientId,
    client_name: product.name,
    product_id: product.id,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri } : {}),
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    ...(c.tlsClientAuthSubjectDn ? { tls_client_auth_subject_dn: c.tlsClientAuthSubjectDn } : {}),
    ...(c.jwks ? { jwks: c.jwks } : {}),
    ...(c.jwksUri ? { jwks_uri: c.jwksUri } : {}),
    scope: c.scope,
    authn_methods: product.authnMethods,
    ...(product.minimumAcr ? { minimum_acr: product.minimumAcr } : {}),
    grant_types: c.grantTypes,
  };
}

export interface ProductGateDeps {
  cache: Pick<RegistryCache, 'snapshot'>;
  clock: Clock;
  logger: Logger;
  catalogue?: CatalogueEntry[] | undefined;
  /** The operator's own configured clients (admin console, CLI, tests): not products, never data access. */
  staticClientIds: ReadonlySet<string>;
  toMetadata(client: ClientConfig): ClientMetadata;
}

/** The gate's answer and the snapshot it was given (none when the registry could not be read). */
export interface GateRun {
  result: GateResult;
  snapshot?: RegistrySnapshot;
}

/** How often an unreadable registry is logged while it stays unreadable. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

export class ProductGate {
  readonly #d: ProductGateDeps;
  /** Runs by the request they serve (a Koa context, a decision), then by client id. */
  readonly #perRequest = new WeakMap<object, Map<string, Promise<GateRun>>>();
  #runs = 0;

  constructor(deps: ProductGateDeps) {
    this.#d = deps;
  }

  /** How many times the gate has read the registry and run its checks (what a request costs). */
  get runs(): number {
    return this.#runs;
  }

  /**
   * Runs the gate for a client id, once per `request` (any object standing for one request: later
   * calls with the same object get the same answer); without one, every call runs it. A registry
   * that cannot be read is a refusal.
   */
  run(clientId: string, request?: object): Promise<GateRun> {
    if (!request) return this.#run(clientId);
    let runs = this.#perRequest.get(request);
    if (!runs) this.#perRequest.set(request, (runs = new Map()));
    let run = runs.get(clientId);
    if (!run) runs.set(clientId, (run = this.#run(clientId)));
    return run;
  }

  #loggedOutageAt = Number.NEGATIVE_INFINITY;

  async #run(clientId: string): Promise<GateRun> {
    this.#runs += 1;
    let snapshot;
    try {
      snapshot = await this.#d.cache.snapshot();
    } catch (err) {
      // Every client lookup and every decision asks: one line per interval says it, not one per request.
      const now = this.#d.clock.now();
      if (now - this.#loggedOutageAt >= OUTAGE_LOG_INTERVAL_MS) {
        this.#loggedOutageAt = now;
        this.#d.logger.error({ err: (err as Error).message }, 'registry unavailable: refusing product clients');
      }
      return { result: { ok: false, check: 'registry_readable', reason: 'registry_unavailable' } };
    }
    return { result: runTokenGate({ snapshot, clientId, now: this.#d.clock.now(), catalogue: this.#d.catalogue }), snapshot };
  }

  /** The gate's answer for a client id (once per `request`, as `run`). */
  async check(clientId: string, request?: object): Promise<GateResult> {
    return (await this.run(clientId, request)).result;
  }

  /** The client as oidc-provider should see it, or undefined (and the reason logged) when refused. */
  async clientMetadata(clientId: string, request?: object): Promise<ClientMetadata | undefined> {
    const result = await this.check(clientId, request);
    if (!result.ok) {
      // Unknown ids are what every probe looks like: log those at debug only.
      const level = result.reason === 'product_unknown' ? 'debug' : 'info';
      this.#d.logger[level]({ client: clientId, gate: result.check, reason: result.reason }, 'token gate refused the product');
      return undefined;
    }
    return this.#d.toMetadata(productClient(result.product));
  }

  /** The controllers' names by id, for pages that tell a citizen who is responsible for what. */
  async controllerNames(): Promise<Map<string, string>> {
    const snapshot = await this.#d.cache.snapshot();
    return new Map(snapshot.controllers.map((c) => [c.id, c.name]));
  }

  /**
   * The live authorization_details of a client: the product's live approvals now; [] for the
   * operator's own configured clients (they are not products and never carry data access);
   * undefined when the client is a product the gate refuses now (its tokens are then inactive).
   */
  async liveDetails(clientId: string, request?: object): Promise<DatasetAccessDetail[] | undefined> {
    if (this.#d.staticClientIds.has(clientId)) return [];
    const result = await this.check(clientId, request);
    return result.ok ? detailsFromLive(result.live.approvals) : undefined;
  }
}
