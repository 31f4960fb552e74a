// The FAPI 2.0 sign-in as an independent relying party (openid-client) performs it, with the test
// playing the citizen's browser and the citizen's BankID app (the simulator's JSON control).
import * as oidc from 'openid-client';
import type { Gateway } from '../../src/gateway.ts';
import type { TestClient } from './gateway.ts';
import { UserAgent, type UaResponse } from './userAgent.ts';

export interface Rp {
  config: oidc.Configuration;
  dpopKeys: CryptoKeyPair;
  dpop: oidc.DPoPHandle;
  client: TestClient;
}

export async function discoverRp(gw: Gateway, client: TestClient): Promise<Rp> {
  const config = await oidc.discovery(new URL(gw.url), client.config.client_id, { id_token_signed_response_alg: 'ES256' },
    oidc.PrivateKeyJwt({ key: client.privateKey, kid: client.kid }), { execute: [oidc.allowInsecureRequests] });
  const dpopKeys = await oidc.randomDPoPKeyPair('ES256');
  return { config, dpopKeys, dpop: oidc.getDPoPHandle(config, dpopKeys), client };
}

export interface StartedAuth {
  verifier: string;
  state: string;
  url: URL;
}

export async function pushAuthorization(rp: Rp, params: Record<string, string> = {}): Promise<StartedAuth> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = await oidc.buildAuthorizationUrlWithPAR(rp.config, {
    redirect_uri: rp.client.config.redirect_uris[0]!,
    scope: 'openid profile https://id.oidc.se/scope/naturalPersonNumber',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  }, { DPoP: rp.dpop });
  return { verifier, state, url };
}

/**
 * Drives the browser from the authorization URL through BankID and consent to the client's redirect.
 * `pollMs`: the page's status poll interval while the order is pending (the bench sets its own).
 */
export async function browserThroughBankId(gw: Gateway, authUrl: URL, personalNumber: string, redirectUri: string, ua = new UserAgent(gw.url), onConsent?: (page: string, url: string) => void | Promise<void>, pollMs = 100): Promise<URL> {
  const leaves = (u: string) => u.startsWith(redirectUri);
  let res = await ua.follow(authUrl.href, {}, leaves);
  if (res.status !== 200 || !/\/interaction\/[^/]+$/.test(res.url)) throw new Error(`expected the login page, got ${res.status} ${res.url}`);
  const uid = res.url.split('/').pop()!;
  res = await ua.request(`/interaction/${uid}/bankid/start`, { form: { mode: 'autostart' } });
  const token = /autostarttoken=([^&"]+)/.exec(res.text)?.[1];
  if (!token) throw new Error(`no autostart token on the BankID page (${res.status})`);
  const app = await ua.request('/sandbox/bankid/app/complete', {
    json: { autoStartToken: decodeURIComponent(token), personalNumber, outcome: 'complete' },
    headers: { accept: 'application/json' },
  });
  if (app.status !== 200) throw new Error(`simulator app refused: ${app.status} ${app.text}`);
  let redirectTo: string | undefined;
  for (let i = 0; i < Math.ceil(5000 / pollMs) && !redirectTo; i += 1) {
    const status = await ua.request(`/interaction/${uid}/bankid/status`, { headers: { accept: 'application/json' } });
    const body = JSON.parse(status.text) as { status: string; redirectTo?: string };
    if (body.status === 'failed') throw new Error(`BankID order failed: ${status.text}`);
    redirectTo = body.redirectTo;
    if (!redirectTo) await new Promise((r) => setTimeout(r, pollMs));
  }
  if (!redirectTo) throw new Error('BankID order never completed');
  res = await ua.follow(redirectTo, {}, leaves);
  if (!res.location || !leaves(res.location)) {
    await onConsent?.(res.text, res.url);
    // Consent page
    const consentUid = res.url.split('/').pop()!;
    res = await ua.follow(`/interaction/${consentUid}/consent`, { form: {} }, leaves);
  }
  if (!res.location || !leaves(res.location)) throw new Error(`expected a redirect to the client, got ${res.status} ${res.url}`);
  return new URL(res.location);
}

// --- SAML (SITHS and the national portal) -------------------------------------------------------

export type SamlUpstream = 'siths-saml' | 'portal-saml';
export const SIMULATED_IDP: Record<SamlUpstream, 'siths' | 'portal'> = { 'siths-saml': 'siths', 'portal-saml': 'portal' };

export interface SamlStarted {
  uid: string;
  /** Where the gateway sent the browser: the IdP's SSO URL with the signed AuthnRequest. */
  authnRequestUrl: string;
}

/** From the authorization URL to the login page, then "sign in with <upstream>": the 303 to the IdP. */
export async function startSaml(gw: Gateway, authUrl: URL, upstream: SamlUpstream, redirectUri: string, ua: UserAgent): Promise<SamlStarted> {
  const res = await ua.follow(authUrl.href, {}, (u) => u.startsWith(redirectUri));
  if (res.status !== 200 || !/\/interaction\/[^/]+$/.test(res.url)) throw new Error(`expected the login page, got ${res.status} ${res.url}`);
  const uid = res.url.split('/').pop()!;
  const start = await ua.request(`/interaction/${uid}/${upstream}/start`, { form: {} });
  if (start.status !== 303 || !start.location) throw new Error(`expected a redirect to the IdP, got ${start.status}`);
  return { uid, authnRequestUrl: start.location };
}

/** The simulated IdP's JSON control: a really signed Response for the persona. */
export async function idpAnswer(gw: Gateway, upstream: SamlUpstream, authnRequestUrl: string, persona: string, level?: string, outcome: 'success' | 'cancel' = 'success'): Promise<{ acsUrl: string; SAMLResponse: string }> {
  const res = await fetch(`${gw.url}/sandbox/saml/idp/${SIMULATED_IDP[upstream]}/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ authnRequestUrl, persona, outcome, ...(level ? { level } : {}) }),
  });
  if (res.status !== 200) throw new Error(`the simulated IdP refused: ${res.status} ${await res.text()}`);
  return await res.json() as { acsUrl: string; SAMLResponse: string };
}

/**
 * The IdP's form post to the ACS. It is cross-site in real life, so it carries no cookie: a fresh
 * user agent sends it, with the IdP's origin.
 */
export async function postToAcs(acsUrl: string, samlResponse: string, origin = 'https://idp.example.test'): Promise<UaResponse> {
  return new UserAgent(new URL(acsUrl).origin).request(acsUrl, { form: { SAMLResponse: samlResponse }, headers: { origin } });
}

/** From the ACS's redirect on: the browser's own navigation (with its cookie) through consent to the client. */
export async function finishAfterAcs(ua: UserAgent, acs: UaResponse, redirectUri: string): Promise<URL> {
  const leaves = (u: string) => u.startsWith(redirectUri);
  if (acs.status !== 303 || !acs.location) throw new Error(`the ACS did not redirect: ${acs.status} ${acs.text.slice(0, 300)}`);
  let res = await ua.follow(acs.location, {}, leaves);
  if (!res.location || !leaves(res.location)) {
    if (!/\/interaction\/[^/]+$/.test(res.url) || !res.text.includes('/consent')) throw new Error(`expected consent, got ${res.status} ${res.url}`);
    const consentUid = res.url.split('/').pop()!;
    res = await ua.follow(`/interaction/${consentUid}/consent`, { form: {} }, leaves);
  }
  if (!res.location || !leaves(res.location)) throw new Error(`expected a redirect to the client, got ${res.status} ${res.url}`);
  return new URL(res.location);
}

export interface FrejaRun {
  /** PLUS (default) or EXTENDED: the level the persona holds in the simulated app. */
  registrationLevel?: 'PLUS' | 'EXTENDED';
  /** Where the simulated Freja app is served, when it is not on the gateway (a gateway pointed at an external simulator). */
  appUrl?: string;
}

/** Drives the browser from the authorization URL through Freja eID (same device) and consent to the client's redirect. */
export async function browserThroughFreja(gw: Gateway, authUrl: URL, personalNumber: string, redirectUri: string, run: FrejaRun = {}, ua = new UserAgent(gw.url)): Promise<URL> {
  const leaves = (u: string) => u.startsWith(redirectUri);
  let res = await ua.follow(authUrl.href, {}, leaves);
  if (res.status !== 200 || !/\/interaction\/[^/]+$/.test(res.url)) throw new Error(`expected the login page, got ${res.status} ${res.url}`);
  const uid = res.url.split('/').pop()!;
  res = await ua.request(`/interaction/${uid}/freja/start`, { form: { mode: 'autostart' } });
  const authRef = /transactionReference=([^&"]+)/.exec(res.text)?.[1];
  if (!authRef) throw new Error(`no transaction reference on the Freja page (${res.status})`);
  const app = await fetch(`${run.appUrl ?? gw.url}/sandbox/freja/app/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ authRef: decodeURIComponent(authRef), personalNumber, registrationLevel: run.registrationLevel ?? 'PLUS', outcome: 'approve' }),
  });
  if (app.status !== 200) throw new Error(`simulated Freja app refused: ${app.status} ${await app.text()}`);
  let redirectTo: string | undefined;
  for (let i = 0; i < 50 && !redirectTo; i += 1) {
    const status = await ua.request(`/interaction/${uid}/freja/status`, { headers: { accept: 'application/json' } });
    const body = JSON.parse(status.text) as { status: string; redirectTo?: string };
    if (body.status === 'failed') throw new Error(`Freja sign-in failed: ${status.text}`);
    redirectTo = body.redirectTo;
    if (!redirectTo) await new Promise((r) => setTimeout(r, 100));
  }
  if (!redirectTo) throw new Error('Freja transaction never completed');
  res = await ua.follow(redirectTo, {}, leaves);
  if (!res.location || !leaves(res.location)) {
    const consentUid = res.url.split('/').pop()!;
    res = await ua.follow(`/interaction/${consentUid}/consent`, { form: {} }, leaves);
  }
  if (!res.location || !leaves(res.location)) throw new Error(`expected a redirect to the client, got ${res.status} ${res.url}`);
  return new URL(res.location);
}

/** Drives the browser from the authorization URL through a simulated SAML IdP and consent to the client. */
export async function browserThroughSaml(gw: Gateway, authUrl: URL, upstream: SamlUpstream, persona: string, redirectUri: string, opts: { level?: string; ua?: UserAgent } = {}): Promise<URL> {
  const ua = opts.ua ?? new UserAgent(gw.url);
  const started = await startSaml(gw, authUrl, upstream, redirectUri, ua);
  const answer = await idpAnswer(gw, upstream, started.authnRequestUrl, persona, opts.level);
  const acs = await postToAcs(answer.acsUrl, answer.SAMLResponse);
  return finishAfterAcs(ua, acs, redirectUri);
}
