// Three products for the jump tests, each its own relying party with its own keys: a region app, a
// municipal app and a portal, approved by two controllers with jump policies; the test plays each
// product's server (openid-client) and the citizen's browser (UserAgent).
import * as oidc from 'openid-client';
import type { Gateway } from '../../../src/gateway.ts';
import type { JumpPolicy, Product } from '../../../src/whitelist/model.ts';
import { LOA } from '../../../src/idp/claims.ts';
import { makeTestClient, type TestClient } from '../../helpers/gateway.ts';
import { discoverRp, pushAuthorization, type Rp } from '../../helpers/signIn.ts';
import { UserAgent } from '../../helpers/userAgent.ts';
import { approval, controller, product, snapshot } from '../../whitelist/snapshotFixture.ts';
import { proof } from '../../scopes/pdpFixture.ts';

export const ANNA = '198003121236';
export const stamp = { version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };

export interface App {
  name: 'region' | 'municipal' | 'portal';
  origin: string;
  client: TestClient;
  product: Product;
}

export async function makeApp(name: App['name'], authnMethods: string[]): Promise<App> {
  const origin = `https://${name}.example.test`;
  const client = await makeTestClient(`${name}-app`, `${origin}/cb`, { authn_methods: authnMethods, grant_types: ['authorization_code', 'client_credentials'] });
  return {
    name,
    origin,
    client,
    product: product(`${name}-app`, {
      name: `${name} app`,
      client: {
        clientId: client.config.client_id,
        redirectUris: client.config.redirect_uris,
        postLogoutRedirectUris: [],
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: client.config.jwks as { keys: Array<Record<string, unknown>> },
        grantTypes: ['authorization_code', 'client_credentials'],
        scope: 'openid profile https://id.oidc.se/scope/naturalPersonNumber',
        initiateLoginUri: `${origin}/jump`,
        jumpUris: [`${origin}/home`, `${origin}/booking/*`],
      },
      authnMethods,
    }),
  };
}

export const jumpPolicy = (controllerId: string, acceptedUpstreams: string[], minimumAcr: string = LOA.loa3): JumpPolicy =>
  ({ ...stamp, controllerId, acceptedUpstreams, minimumAcr });

/** The region and the portal are approved by region-a, the municipal app by kommun-b. */
export function jumpSnapshot(apps: Record<App['name'], App>, policies: JumpPolicy[]) {
  return snapshot({
    controllers: [controller('region-a', ['bookings', 'vaccinations']), controller('kommun-b', ['bookings', 'home-care-decisions'], { kind: 'municipality' })],
    products: Object.values(apps).map((a) => a.product),
    approvals: [
      approval('a-region', 'region-a', apps.region.product.id),
      approval('a-portal', 'region-a', apps.portal.product.id),
      approval('a-municipal', 'kommun-b', apps.municipal.product.id),
    ],
    jumpPolicies: policies,
  });
}

export interface SignedIn {
  rp: Rp;
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  claims: oidc.IDToken;
}

/** The product's server redeems the code its redirect URI got. */
export async function redeem(rp: Rp, started: { verifier: string; state: string }, callback: URL): Promise<SignedIn> {
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state }, undefined, { DPoP: rp.dpop });
  const claims = tokens.claims();
  if (!claims) throw new Error('no ID token');
  return { rp, tokens, claims };
}

export async function rpOf(gw: Gateway, app: App): Promise<Rp> {
  return discoverRp(gw, app.client);
}

/** POST /sso/jump as the source product's server: its citizen's DPoP-bound token and a fresh proof. */
export async function jump(gw: Gateway, from: SignedIn, body: Record<string, unknown>, nowMs?: number) {
  const url = `${gw.url}/sso/jump`;
  const token = from.tokens.access_token;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `DPoP ${token}`, dpop: await proof(from.rp.dpopKeys, 'POST', url, token, nowMs) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as Record<string, string> };
}

/**
 * The target's jump entry as its server would run it: the ticket from the entry URL into its own PAR
 * request; then the browser goes to /auth. Answers the PAR outcome and, when it was accepted, where
 * the browser ended up (the target's redirect URI with a code, or a page).
 */
export async function enterTarget(gw: Gateway, ua: UserAgent, target: App, rp: Rp, redirectTo: string, extra: Record<string, string> = {}) {
  const entry = new URL(redirectTo);
  const ticket = entry.searchParams.get('jump_ticket') ?? '';
  let started;
  try {
    started = await pushAuthorization(rp, { jump_ticket: ticket, ...extra });
  } catch (err) {
    return { parError: err as { error?: string; error_description?: string; status?: number }, ticket };
  }
  const res = await ua.follow(started.url.href, {}, (u) => u.startsWith(target.origin));
  return { started, res, ticket };
}

export { UserAgent };
