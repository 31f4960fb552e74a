// A whole sign-in-and-decide run with every log line captured (issue 14, item 8): a citizen signs in
// with BankID at a product of the registry, the product gets tokens, asks the decision point (a permit,
// a deny about another citizen, a request without its DPoP proof), and error paths run too (a bad
// grant, a bad token at /me, a bad decision body). The log-privacy and metrics tests read its output.
import { Writable } from 'node:stream';
import * as oidc from 'openid-client';
import type { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from './redisServer.ts';
import { discoverRp, pushAuthorization, browserThroughBankId } from './signIn.ts';
import { TestRegistry, clientFor, decide, memoryDb, productFor, startPdpGateway, REDIRECT } from '../scopes/pdpFixture.ts';

export const ANNA = '198003121236';
export const BERTIL = '197501012343';

export interface ObservedRun {
  gw: Gateway;
  /** Every line logged, parsed, in order. */
  lines: Array<Record<string, unknown>>;
  /** How many lines were logged before the first request (start-up). */
  startupLines: number;
  /** Secrets the run handled: tokens, codes. */
  secrets: string[];
  /** Request ids the test sent itself (X-Request-Id), each on a request that logs. */
  ownRequestIds: string[];
  productId: string;
  close(): Promise<void>;
}

export async function observedRun(overrides: Record<string, unknown> = {}): Promise<ObservedRun> {
  const lines: Array<Record<string, unknown>> = [];
  let partial = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      partial += String(chunk);
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(partial.slice(0, nl)) as Record<string, unknown>);
        partial = partial.slice(nl + 1);
      }
      cb();
    },
  });
  const redis = await redisForTests();
  const db: PgliteDb = await memoryDb();
  const client = await clientFor('observed', ['authorization_code']);
  const productId = 'p-observed';
  const registry = new TestRegistry(snapshot({
    controllers: [controller('region-a', ['bookings'], { name: 'Region A' })],
    products: [productFor(client, productId)],
    approvals: [approval('a-observed', 'region-a', productId, { access: [{ dataset: 'bookings', actions: ['read'] }] })],
  }));
  const gw = await startPdpGateway(registry, db, redis.url, {
    logger: createLogger({ level: 'debug', destination: sink }),
    // Checkpoints every second: the checkpointer's job lines are in the run.
    overrides: { audit: { checkpointIntervalSeconds: 1 }, ...overrides },
  });
  gw.registry?.invalidate();
  const startupLines = lines.length;

  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp);
  const callback = await browserThroughBankId(gw, auth.url, ANNA, REDIRECT);
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  await oidc.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()?.sub ?? '', { DPoP: rp.dpop });
  const holder = { token: tokens.access_token, keys: rp.dpopKeys };
  const permit = await decide(gw, holder, { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' });
  if (permit.body.decision !== 'permit') throw new Error(`expected a permit: ${JSON.stringify(permit.body)}`);
  await decide(gw, holder, { controller: 'region-a', dataset: 'bookings', citizen: BERTIL, action: 'read' });
  await decide(gw, holder, { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' }, null);

  // Error paths, with request ids of the test's own: each of these logs deep inside its request.
  const ownRequestIds = ['observed-token-refused'];
  await fetch(`${gw.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'observed-token-refused' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', client_id: client.config.client_id, redirect_uri: REDIRECT }),
  });
  await fetch(`${gw.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}`, 'x-request-id': 'observed-me-refused' } });
  await fetch(`${gw.url}/pdp/v1/decide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"target":{"citizen":"${BERTIL}"` });
  // The decision audit's drain (a background job) writes what the decisions queued.
  await gw.pdp?.audit.drain();
  await new Promise((r) => setTimeout(r, 2500));

  return {
    gw, lines, startupLines, productId, ownRequestIds,
    secrets: [tokens.access_token, tokens.id_token ?? '', callback.searchParams.get('code') ?? ''].filter(Boolean),
    async close() {
      await gw.close();
      await db.close();
      await redis.stop();
    },
  };
}
