// oidc-provider's storage adapter on the HotStore, so the same code runs on Redis and on the embedded
// memory store. Keys: oidc:<Model>:<id>; indexes for grants (revocation), session uids and user codes.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { HotStore } from '../store/hotStore.ts';

// Models whose records belong to a grant and must go when the grant is revoked.
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

const key = (model: string, id: string) => `oidc:${model}:${id}`;
const grantKey = (grantId: string) => `oidc:grant-index:${grantId}`;
const clientKey = (clientId: string) => `oidc:client-index:${clientId}`;
// Models a client holds credentials or grants in, for revoking everything of one client at once
// (breach containment, issue 4).
const perClient = new Set(['AccessToken', 'ClientCredentials', 'RefreshToken', 'AuthorizationCode', 'Grant', 'BackchannelAuthenticationRequest', 'DeviceCode']);
/** The index outlives every token it lists: the longest lifetime a token model can have (30 days). */
const CLIENT_INDEX_TTL = 30 * 86400;
// The same records by account and client, for a citizen withdrawing one product's access (issue 12):
// the citizen's own grants and tokens at that product go, nobody else's.
const accountClientKey = (accountId: string, clientId: string) => `oidc:account-client-index:${clientId}:${accountId}`;
const uidKey = (uid: string) => `oidc:session-uid:${uid}`;
const userCodeKey = (code: string) => `oidc:user-code:${code}`;

class HotStoreAdapter implements Adapter {
  readonly #model: string;
  readonly #store: HotStore;

  constructor(model: string, store: HotStore) {
    this.#model = model;
    this.#store = store;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const ttl = expiresIn > 0 ? Math.ceil(expiresIn) : undefined;
    await this.#store.set(key(this.#model, id), JSON.stringify(payload), ttl);
    if (grantable.has(this.#model) && payload.grantId) {
      await this.#store.setAdd(grantKey(payload.grantId), key(this.#model, id), ttl);
    }
    if (perClient.has(this.#model) && payload.clientId) {
      await this.#store.setAdd(clientKey(payload.clientId), key(this.#model, id), CLIENT_INDEX_TTL);
      if (payload.accountId) await this.#store.setAdd(accountClientKey(payload.accountId, payload.clientId), key(this.#model, id), CLIENT_INDEX_TTL);
    }
    if (payload.uid) await this.#store.set(uidKey(payload.uid), id, ttl);
    if (payload.userCode) await this.#store.set(userCodeKey(payload.userCode), id, ttl);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const raw = await this.#store.get(key(this.#model, id));
    return raw ? (JSON.parse(raw) as AdapterPayload) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.#store.get(uidKey(uid));
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.#store.get(userCodeKey(userCode));
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    const k = key(this.#model, id);
    const raw = await this.#store.get(k);
    if (!raw) return;
    const ttl = await this.#store.ttl(k);
    const payload = JSON.parse(raw) as AdapterPayload;
    payload.consumed = Math.floor(Date.now() / 1000);
    await this.#store.set(k, JSON.stringify(payload), ttl !== undefined && ttl > 0 ? ttl : undefined);
  }

  async destroy(id: string): Promise<void> {
    const found = await this.find(id);
    const keys = [key(this.#model, id)];
    if (found?.uid) keys.push(uidKey(found.uid));
    if (found?.userCode) keys.push(userCodeKey(found.userCode));
    await this.#store.del(...keys);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const members = await this.#store.setMembers(grantKey(grantId));
    await this.#store.del(...members, grantKey(grantId));
  }
}

export function createAdapterFactory(store: HotStore): (model: string) => Adapter {
  return (model: string) => new HotStoreAdapter(model, store);
}

/**
 * Revokes every token, code and grant the client holds (breach containment): the records go from the
 * store, so each instance finds them inactive on the next lookup. Answers how many records went.
 */
export async function revokeClientTokens(store: HotStore, clientId: string): Promise<number> {
  const members = await store.setMembers(clientKey(clientId));
  return store.del(...members, clientKey(clientId));
}

/**
 * Revokes every grant, token and code one account holds at one client (a citizen withdrawing consent):
 * the records go from the store, so every instance finds them inactive on the next lookup. Tokens of a
 * grant are found through the grant's own index too. Answers how many records went.
 */
export async function revokeAccountTokens(store: HotStore, accountId: string, clientId: string): Promise<number> {
  const index = accountClientKey(accountId, clientId);
  const members = await store.setMembers(index);
  const grants = members.filter((m) => m.startsWith('oidc:Grant:')).map((m) => m.slice('oidc:Grant:'.length));
  const ofGrants = (await Promise.all(grants.map((g) => store.setMembers(grantKey(g))))).flat();
  return store.del(...new Set([...members, ...ofGrants, ...grants.map(grantKey)]), index);
}
