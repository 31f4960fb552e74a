// Shared set-up for the card sign-in tests: a log sink, the sandbox card files of a gateway, and the
// sign-in driven as a browser does it — PAR and the login page with the UserAgent, the card step over
// TLS client authentication (test/helpers/cardBrowser.ts), and back to the issuer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as oidc from 'openid-client';
import { ensureSandboxCerts, type SandboxCerts } from '../../../certs/make-sandbox-certs.ts';
import { createLogger, type Logger } from '../../../src/log.ts';
import type { Gateway } from '../../../src/gateway.ts';
import { SE } from '../../../src/idp/claims.ts';
import { cardRequest, type CardAnswer } from '../../helpers/cardBrowser.ts';
import type { TestClient } from '../../helpers/gateway.ts';
import { makeTestClient } from '../../helpers/gateway.ts';
import { discoverRp, pushAuthorization, type Rp, type StartedAuth } from '../../helpers/signIn.ts';
import { UserAgent, type UaResponse } from '../../helpers/userAgent.ts';

export const STAFF_SCOPE = `openid profile ${SE.naturalPersonOrgIdScope}`;

export interface StaffPersona { id: string; givenName: string; surname: string; hsaId: string; orgAffiliation: string; orgName: string; personalNumber: string }
const personas = JSON.parse(readFileSync(new URL('../../../config/sandbox/personas.json', import.meta.url), 'utf8')) as { staff: StaffPersona[] };
export const sara = personas.staff.find((p) => p.id === 'sara')!;
export const tomas = personas.staff.find((p) => p.id === 'tomas')!;

/** A staff app: signs in with SITHS card only, asks for the name, HSA-id and organisation. */
export const staffClient = (id: string, redirect: string): Promise<TestClient> =>
  makeTestClient(id, redirect, { authn_methods: ['siths-card'], scope: STAFF_SCOPE });

export interface LogSink {
  logger: Logger;
  lines: string[];
  text(): string;
}

export function logSink(): LogSink {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { logger: createLogger({ level: 'debug', destination: sink }), lines, text: () => lines.join('') };
}

export interface Card { key: string; cert: string }

export interface CardFiles {
  certs: SandboxCerts;
  /** The listener's TLS CA, for the browser to trust the card listener. */
  listenerCa: string;
  card(name: 'sara' | 'tomas' | 'revoked' | 'expired' | 'unknown'): Card;
}

/** The sandbox card files of this gateway (its sandbox folder, already generated at start). */
export async function cardFiles(gw: Gateway): Promise<CardFiles> {
  const certs = await ensureSandboxCerts(join(gw.config.sandboxDir, 'certs'));
  const s = certs.siths;
  const files = {
    sara: [s.saraKey, s.saraCert],
    tomas: [s.tomasKey, s.tomasCert],
    revoked: [s.revokedKey, s.revokedCert],
    expired: [s.expiredKey, s.expiredCert],
    unknown: [s.unknownKey, s.unknownCert],
  } as const;
  return {
    certs,
    listenerCa: readFileSync(s.listenerCaCert, 'utf8'),
    card: (name) => ({ key: readFileSync(files[name][0], 'utf8'), cert: readFileSync(files[name][1], 'utf8') }),
  };
}

export interface CardSignIn {
  rp: Rp;
  auth: StartedAuth;
  ua: UserAgent;
  uid: string;
  loginPage: UaResponse;
  /** Where /start sent the browser: <publicUrl>/siths/card/<ticket>. */
  cardUrl: string;
}

/** PAR, the login page, and "Logga in med SITHS-kort": up to the redirect to the card endpoint. */
export async function startCardSignIn(gw: Gateway, client: TestClient, options: { ua?: UserAgent; lang?: 'sv' | 'en' } = {}): Promise<CardSignIn> {
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp, { scope: STAFF_SCOPE, ui_locales: options.lang ?? 'sv' });
  const ua = options.ua ?? new UserAgent(gw.url);
  const loginPage = await ua.follow(auth.url.href);
  if (loginPage.status !== 200 || !/\/interaction\/[^/]+$/.test(loginPage.url)) throw new Error(`expected the login page, got ${loginPage.status} ${loginPage.url}`);
  const uid = loginPage.url.split('/').pop()!;
  const start = await ua.request(`/interaction/${uid}/siths-card/start`, { form: { lang: options.lang ?? 'sv' } });
  if (start.status !== 303 || !start.location) throw new Error(`expected a redirect to the card endpoint, got ${start.status}`);
  return { rp, auth, ua, uid, loginPage, cardUrl: start.location };
}

/** The card step on the gateway's card listener, with a card or (card undefined) none. */
export const presentCard = (files: CardFiles, cardUrl: string, card: Card | undefined): Promise<CardAnswer> =>
  cardRequest(cardUrl, { ca: files.listenerCa, ...(card ?? {}) });

/** From the resume URL through consent to the client's redirect; throws with the page when it stops earlier. */
export async function finishAtClient(s: CardSignIn, resumeUrl: string): Promise<URL> {
  const redirect = s.rp.client.config.redirect_uris[0]!;
  const leaves = (u: string) => u.startsWith(redirect);
  let res = await s.ua.follow(resumeUrl, {}, leaves);
  if (!res.location || !leaves(res.location)) {
    if (res.status !== 200 || !/\/interaction\/[^/]+$/.test(res.url)) throw new Error(`expected consent, got ${res.status} ${res.url}: ${res.text.slice(0, 300)}`);
    res = await s.ua.follow(`${res.url}/consent`, { form: {} }, leaves);
  }
  if (!res.location || !leaves(res.location)) throw new Error(`expected the client's redirect, got ${res.status} ${res.url}`);
  return new URL(res.location);
}

export async function tokensFor(s: CardSignIn, callback: URL) {
  return oidc.authorizationCodeGrant(s.rp.config, callback, { pkceCodeVerifier: s.auth.verifier, expectedState: s.auth.state }, undefined, { DPoP: s.rp.dpop });
}
