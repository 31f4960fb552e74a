// A gateway on a Redis topology (Sentinel or Cluster) for the issue 14 tests: a registry with one
// product citizens sign in to (authorization code) and one that sprays decisions at a cohort under a
// citizen limit (client credentials), a PGlite decision database, and helpers for a whole sign-in and a
// decision.
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import type { RedisTopologyConfig } from '../../src/config.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { discoverRp, pushAuthorization, browserThroughBankId } from '../helpers/signIn.ts';
import { startTestGateway, type TestClient } from '../helpers/gateway.ts';
import { REDIRECT, TestRegistry, citizens, clientFor, decide, memoryDb, productFor, type Answer, type Holder } from '../scopes/pdpFixture.ts';

export const ANNA = '198003121236';
export const LIMIT = 5;

export interface TopologyGateway {
  gw: Gateway;
  db: PgliteDb;
  app: TestClient;
  spray: TestClient;
  /** Citizens in the spraying product's cohort (more than LIMIT). */
  cohort: string[];
  signIn(personalNumber: string): Promise<Holder & { rp: Awaited<ReturnType<typeof discoverRp>> }>;
  /** A decision on the citizen's bookings at region A. */
  bookings(holder: Holder, citizen: string): Promise<Answer>;
  close(): Promise<void>;
}

export async function startTopologyGateway(redis: Partial<RedisTopologyConfig>): Promise<TopologyGateway> {
  const db = await memoryDb();
  const app = await clientFor('topo-app', ['authorization_code']);
  const spray = await clientFor('topo-spray', ['client_credentials']);
  const cohort = citizens(24, 500);
  const registry = new TestRegistry(snapshot({
    controllers: [controller('region-a', ['bookings'])],
    products: [productFor(app, 'p-topo-app'), productFor(spray, 'p-topo-spray')],
    approvals: [
      approval('a-topo-app', 'region-a', 'p-topo-app', { access: [{ dataset: 'bookings', actions: ['read'] }] }),
      approval('a-topo-spray', 'region-a', 'p-topo-spray', {
        access: [{ dataset: 'bookings', actions: ['read'] }],
        limits: { citizens: { mode: 'cohort', cohortId: 'all' }, maxCitizens: { count: LIMIT, windowSeconds: 3600 } },
      }),
    ],
  }));
  const gw = await startTestGateway({
    registry,
    db,
    overrides: { store: { keyPrefix: `topo${randomUUID().slice(0, 8)}:`, redis }, pdp: { containment: { suspiciousDenials: 1000 } } },
  });
  registry.current.cohorts = [{
    id: 'all', controllerId: 'region-a', name: 'all', members: cohort.map((c) => gw.pdp!.accounts.accountIdFor(c)), version: 1, createdAt: '', updatedAt: '',
  }];
  gw.registry!.invalidate();
  return {
    gw,
    db,
    app,
    spray,
    cohort,
    async signIn(personalNumber) {
      const rp = await discoverRp(gw, app);
      const auth = await pushAuthorization(rp);
      const callback = await browserThroughBankId(gw, auth.url, personalNumber, REDIRECT);
      const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
      return { token: tokens.access_token, keys: rp.dpopKeys, rp };
    },
    bookings: (holder, citizen) => decide(gw, holder, { controller: 'region-a', dataset: 'bookings', citizen, action: 'read' }),
    async close() {
      await gw.close();
      await db.close();
    },
  };
}
