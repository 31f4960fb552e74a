// Configuration: one zod schema, a JSON file plus environment overrides (docs/configuration.md, which
// scripts/config-docs.ts generates from this schema). Start-up stops on the first invalid value with the
// field's name and the fix. Every field says what it is with .describe(): the reference is built from
// those texts, and a test fails when one is missing.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { action } from './whitelist/schemas.ts';
import { DEFAULT_PROTECTED_FIELDS } from './citizens/protectedIdentity.ts';

const url = z.url({ protocol: /^https?$/ });
// Environment values arrive as strings; z.coerce.boolean would read "false" as true.
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
const port = z.coerce.number().int().min(0).max(65535);

const clientSchema = z.object({
  client_id: z.string().min(3).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only')
    .describe('The OAuth client_id.'),
  client_name: z.string().min(1).describe('Name shown to people on the login and consent pages.'),
  product_id: z.string().min(1).optional()
    .describe('The product this client belongs to; the pairwise `sub` is computed per product, so two clients of one product share it.'),
  redirect_uris: z.array(url).min(1).describe('Redirect URIs, matched exactly.'),
  post_logout_redirect_uris: z.array(url).default([]).describe('Where RP-initiated logout may send the browser back to.'),
  backchannel_logout_uri: url.optional()
    .describe('Where the gateway POSTs an OpenID Connect Back-Channel Logout token when a session that signed in to this client ends.'),
  token_endpoint_auth_method: z.enum(['private_key_jwt', 'tls_client_auth']).default('private_key_jwt')
    .describe('How the client authenticates at the token endpoint (`tls_client_auth` needs `mtls.enabled`).'),
  tls_client_auth_subject_dn: z.string().optional().describe('The certificate subject DN expected with `tls_client_auth`.'),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).describe('Public JWKs.') }).optional()
    .describe('The client\'s public keys for `private_key_jwt` (or `jwks_uri`).'),
  jwks_uri: z.url({ protocol: /^https$/ }).optional().describe('An https URL serving the client\'s public keys (or `jwks`).'),
  scope: z.string().default('openid profile').describe('Scopes the client may ask for, space-separated.'),
  authn_methods: z.array(z.string()).min(1).default(['bankid', 'freja'])
    .describe('Upstreams (keys of `loa.providers`) this client\'s users may sign in with; citizen e-IDs by default.'),
  minimum_acr: z.string().optional().describe('The lowest `acr` this client accepts; a request asking for less still gets at least this.'),
  grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).default(['authorization_code'])
    .describe('Grant types the client may use.'),
}).refine((c) => c.token_endpoint_auth_method !== 'private_key_jwt' || c.jwks || c.jwks_uri, {
  message: 'private_key_jwt needs the client\'s public keys: set "jwks" or "jwks_uri"',
});

// --- Registry and data-set catalogue (issue 3) -------------------------------------------------
const datasetSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'lower-case letters, digits and dashes')
    .describe('The data set\'s id; its scopes are `<id>.<action>`.'),
  names: z.object({
    sv: z.string().min(1).describe('Swedish name.'),
    en: z.string().min(1).describe('English name.'),
  }).describe('What people read on the consent page and in the console.'),
  sensitivity: z.enum(['low', 'medium', 'high']).describe('How much harm a leak does; the console shows it beside every approval.'),
  actions: z.array(action).min(1).describe('What an approval of this data set may allow.'),
  protectedFields: z.array(z.string().min(1).max(100)).max(200).optional()
    .describe('Response fields (names, at any depth) the enforcement proxy removes for a person with protected identity, besides `register.protectedFields`.'),
});

export const defaultDatasets: Array<z.infer<typeof datasetSchema>> = [
  { id: 'bookings', names: { sv: 'Bokningar', en: 'Bookings' }, sensitivity: 'medium', actions: ['read', 'write'], protectedFields: ['smsReminderTo'] },
  { id: 'vaccinations', names: { sv: 'Vaccinationer', en: 'Vaccinations' }, sensitivity: 'high', actions: ['read'] },
  { id: 'lab-results', names: { sv: 'Provsvar', en: 'Lab results' }, sensitivity: 'high', actions: ['read'] },
  { id: 'home-care-decisions', names: { sv: 'Biståndsbeslut om hemtjänst', en: 'Home-care decisions' }, sensitivity: 'high', actions: ['read'] },
  { id: 'care-documentation', names: { sv: 'Journalanteckningar', en: 'Care documentation' }, sensitivity: 'high', actions: ['read'] },
  { id: 'care-plans', names: { sv: 'Vårdplaner', en: 'Care plans' }, sensitivity: 'high', actions: ['read'] },
  { id: 'listing', names: { sv: 'Listning', en: 'Listing' }, sensitivity: 'low', actions: ['read'] },
  { id: 'patient-measurements', names: { sv: 'Egna mätvärden', en: 'Patient-reported measurements' }, sensitivity: 'high', actions: ['read', 'write'] },
];

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://');

const registrySchema = z.object({
  databaseUrl: postgresUrl.optional()
    .describe('PostgreSQL, the system of record (`postgres://user@host/db`); production requires it. Without it: PGlite in `<sandboxDir>/registry`.'),
  adminDatabaseUrl: postgresUrl.optional()
    .describe('A login allowed to create tables and the app role, for the migrations; default: `databaseUrl`.'),
  appRole: z.string().regex(/^([a-z_][a-z0-9_]*)?$/, 'a PostgreSQL role name').default('gateway_app')
    .describe('The role the application works as (only INSERT and SELECT on the audit log); `\'\'` = the login\'s own.'),
  pglite: z.string().optional().describe('PGlite\'s folder (default `<sandboxDir>/registry`), or `memory` (tests).'),
  adminClients: z.array(z.string().min(1)).default(['gateway-admin', 'gateway-cli'])
    .describe('client_ids whose tokens the admin API accepts: the console\'s (staff sign-in) and the CLI\'s.'),
  seed: bool.default(true).describe('Seed the sandbox registry on first start (sandbox only, and only into an empty registry).'),
}).prefault({}).describe('The registry of controllers, trust frameworks, products, certifications and approvals.');
// --- end registry ---------------------------------------------------------------------------------

// --- Policy decision point, enforcement proxy, containment (issue 4) ------------------------------
const pdpRouteSchema = z.object({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET').describe('HTTP method of the data API request.'),
  pattern: z.string().regex(/^\/[^\s#]*$/, 'a path starting with /, placeholders {controller} and {citizen}')
    .refine((p) => p.includes('{controller}') && p.includes('{citizen}'), 'must name both {controller} and {citizen}')
    .describe('A path with `{controller}` and `{citizen}` placeholders, optionally a query naming them (e.g. `/fhir/{controller}/Immunization?patient={citizen}`).'),
  dataset: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/).describe('The data set such a request touches.'),
  action: action.describe('What such a request does to it.'),
  upstream: z.string().regex(/^https?:\/\//, 'an http(s) URL template').optional()
    .describe('Built-in PEP only: where a permitted request goes, a URL template with the same placeholders.'),
  audience: z.string().min(1).max(500).optional()
    .describe('The data API\'s identity, the decision assertion\'s `aud`; default: the origin of `upstream`, else `pdp.publicOrigin`.'),
});

const pdpSchema = z.object({
  enabled: bool.default(true).describe('Run the decision point, its auth-request form and the PEP (when a registry runs).'),
  publicOrigin: z.string().regex(/^https?:\/\/[^/]+$/, 'scheme://host[:port], no path').optional()
    .describe('The origin clients address behind nginx/Envoy (the DPoP proof\'s `htu` for auth-request); default: the issuer.'),
  routes: z.array(pdpRouteSchema).default([])
    .describe('Route table for `/pdp/v1/auth-request` and `/pep/`; the sandbox adds its mock data APIs when empty.'),
  upstreamTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000).describe('Timeout of the PEP\'s call to the data API.'),
  upstreamTls: z.object({
    certFile: z.string().optional().describe('PEM client certificate (chain) the PEP presents to https data APIs (mTLS).'),
    keyFile: z.string().optional().describe('Its PEM private key.'),
    caFile: z.string().optional().describe('PEM CA bundle the data APIs\' server certificates are verified against (default: the system\'s).'),
  }).optional().describe('TLS of the PEP towards https data APIs: its client certificate and the CA it trusts them by.'),
  retryAfterSeconds: z.coerce.number().int().min(1).max(3600).default(5).describe('`Retry-After` when failing closed.'),
  assertionLifetimeSeconds: z.coerce.number().int().min(1).max(60).default(5)
    .describe('How long the signed decision assertion (`Gateway-Decision`) an upstream receives with a permit is valid.'),
  containment: z.object({
    suspiciousDenials: z.coerce.number().int().min(1).default(20)
      .describe('Denials only a compromised client causes (other citizens, unapproved controllers) before the product is suspended.'),
    windowSeconds: z.coerce.number().int().min(1).default(600).describe('The window in which those denials are counted.'),
    webhookTimeoutMs: z.coerce.number().int().min(100).max(60_000).default(5000).describe('Timeout of the call to the controller\'s webhook.'),
    webhookAttempts: z.coerce.number().int().min(1).max(20).default(6).describe('Attempts to deliver the signed webhook before giving up (each outcome is recorded).'),
    webhookBackoffMs: z.coerce.number().int().min(1).max(600_000).default(2000)
      .describe('Wait before the second webhook attempt; doubled before each further one (default: 2, 4, 8, 16, 32 s).'),
  }).prefault({}).describe('Breach containment: when a product is suspended for a controller automatically.'),
  audit: z.object({
    retentionMonths: z.coerce.number().int().min(1).max(600).default(120)
      .describe('Months the decision audit is kept (access logs of health data are reviewed for years).'),
    monthsAhead: z.coerce.number().int().min(1).max(24).default(3).describe('Monthly partitions created ahead of time.'),
    batchSize: z.coerce.number().int().min(1).max(10_000).default(500).describe('Records moved from the Redis stream to PostgreSQL per batch.'),
    drainIntervalMs: z.coerce.number().int().min(10).max(60_000).default(200).describe('How often each instance drains the stream.'),
  }).prefault({}).describe('The decision audit: partitions, retention and the queue in front of PostgreSQL.'),
}).prefault({}).describe('The policy decision point, the enforcement proxy and breach containment.');
export type PdpRouteConfig = z.infer<typeof pdpRouteSchema>;
// --- end policy decision point --------------------------------------------------------------------

// --- Audit anchoring (issue 13): signed checkpoints of both audit chains, kept outside the database ---
const auditSchema = z.object({
  keyFile: z.string().optional()
    .describe('The dedicated audit key that signs checkpoints (a private JWK, a JWKS whose first private key signs and the rest only verify, or a PKCS#8 PEM); never an OIDC signing key. Generated in the sandbox.'),
  checkpointIntervalSeconds: z.coerce.number().int().min(1).max(86_400).default(60)
    .describe('How often the chain heads are signed and checkpointed (and once more on shutdown); entries newer than the last checkpoint are not yet anchored.'),
  checkpoints: z.object({
    file: z.string().optional()
      .describe('Append-only JSON-lines file the checkpoints go to (one flattened JWS a line); default in the sandbox: under `<sandboxDir>/audit/`. Production: a file on write-once storage, or `httpUrl`.'),
    httpUrl: url.optional()
      .describe('Where each checkpoint is POSTed (`application/jose+json`): a write-once object store, a transparency log or a syslog collector.'),
    httpAuthorizationFile: z.string().optional().describe('A file holding the `Authorization` header value for `httpUrl`.'),
    httpTimeoutMs: z.coerce.number().int().min(100).max(60_000).default(5000).describe('Timeout of each POST to `httpUrl`.'),
  }).prefault({}).describe('Where checkpoints are written outside the database (every sink configured gets every checkpoint).'),
}).prefault({}).describe('Audit anchoring: the registry audit and the decision audit chained, their heads signed and kept outside the database (docs/security-model.md).');
// --- end audit anchoring ---------------------------------------------------------------------------

// --- Redis topology (issue 14): one server, a Sentinel-watched master with replicas, or a Cluster. ---
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port');
const redisTopologySchema = z.object({
  mode: z.enum(['standalone', 'sentinel', 'cluster']).default('standalone')
    .describe('`standalone`: one server at `store.redisUrl`. `sentinel`: the master the Sentinels in `nodes` name `masterName` (failover follows them). `cluster`: a Redis Cluster found from the seed `nodes`.'),
  nodes: z.array(hostPort).default([]).describe('Sentinel: the Sentinels; cluster: some of the masters (seed nodes), each `host:port`.'),
  masterName: z.string().regex(/^[A-Za-z0-9._-]+$/).optional().describe('Sentinel: the name of the master set (`sentinel monitor <name> ...`).'),
  username: z.string().optional().describe('ACL user of the data nodes (sentinel and cluster; standalone takes it from the URL).'),
  password: z.string().optional().describe('Password of the data nodes (prefer `passwordFile`).'),
  passwordFile: z.string().optional().describe('A file holding that password.'),
  sentinelPassword: z.string().optional().describe('Password of the Sentinels themselves, when they have one (`requirepass` in sentinel.conf).'),
  tls: bool.default(false).describe('TLS to the nodes (sentinel and cluster; standalone: use a `rediss://` URL).'),
  waitReplicas: z.coerce.number().int().min(0).max(16).default(0)
    .describe('Sentinel: after each write, wait until this many replicas have it (`WAIT`), so a failover cannot lose it; 0 = do not wait (a failover may lose the last writes).'),
  waitTimeoutMs: z.coerce.number().int().min(1).max(10_000).default(200)
    .describe('How long one `WAIT` may take; a write not replicated in time fails (the request answers 503).'),
  topologyScanMs: z.coerce.number().int().min(100).max(60_000).default(1000)
    .describe('Sentinel: how often the client asks the Sentinels who the master is (besides their failover messages).'),
}).prefault({}).describe('How Redis is deployed.');
export type RedisTopologyConfig = z.infer<typeof redisTopologySchema>;
// --- end Redis topology ---

const simulatorSchema = (what: string) => z.object({
  enabled: bool.default(false).describe(`Run the ${what} simulator in-process (sandbox only; the sandbox turns it on when no real service is configured).`),
  port: port.default(0).describe('Its TLS port; 0 = a free port.'),
}).prefault({}).describe(`The ${what} simulator.`);

// --- PKCS#11 signing keys (issue 14) ---
const pkcs11Schema = z.object({
  module: z.string().min(1).default('/usr/lib/softhsm/libsofthsm2.so')
    .describe('Path of the HSM vendor\'s PKCS#11 library (default: Debian\'s SoftHSM2).'),
  tokenLabel: z.string().min(1).max(32).optional()
    .describe('The token (CKA_LABEL of the token) holding the keys; or give `slot`.'),
  slot: z.coerce.number().int().min(0).optional()
    .describe('The slot id, when the token is not chosen by `tokenLabel`.'),
  pinFile: z.string().optional()
    .describe('File holding the user PIN (its first line); or the environment variable `GATEWAY_PKCS11_PIN`.'),
  pin: z.string().min(1).optional()
    .describe('The user PIN (`GATEWAY_PKCS11_PIN`); prefer `pinFile`. Never logged.'),
  keyLabel: z.string().min(1).max(64).default('vardgateway-oidc')
    .describe('Label of the OIDC signing keys and of their key-ring record in the token; each key is `<keyLabel>-<id>`.'),
  auditKeyLabel: z.string().min(1).max(64).default('vardgateway-audit')
    .describe('Label of the audit checkpoint key in the token (a key of its own, never one of the OIDC keys).'),
  refreshSeconds: z.coerce.number().min(0.2).max(3600).default(10)
    .describe('How often every instance re-reads the key ring from the token, to learn a rotation.'),
  publishSeconds: z.coerce.number().int().min(0).max(30 * 86400).default(900)
    .describe('`keys rotate`: how long a new key is published in `/jwks` before it signs; at least twice `refreshSeconds` plus the relying parties\' JWKS cache time.'),
  retainSeconds: z.coerce.number().int().min(0).max(365 * 86400).default(86_400)
    .describe('`keys rotate`: how long the superseded key stays in `/jwks` after the new one signs; at least the longest lifetime of a token it signed (ID token, logout token, assertion).'),
}).prefault({}).describe('The HSM (PKCS#11) holding the signing keys when `keys.signer` is `pkcs11`.');
export type Pkcs11Config = z.infer<typeof pkcs11Schema>;
// --- end PKCS#11 signing keys ---

export const configSchema = z.object({
  mode: z.enum(['sandbox', 'production']).default('sandbox')
    .describe('`production` refuses the simulators, the memory store, generated keys, an http issuer and the demo RP.'),
  issuer: url.default('http://localhost:3000')
    .describe('The issuer identifier and public base URL; every URL the gateway hands out is built from it. Unset: `http://localhost:<http.port>`.'),
  http: z.object({
    host: z.string().default('127.0.0.1').describe('Address the listener binds to.'),
    port: port.default(3000).describe('Port of the listener.'),
    trustProxy: bool.default(false).describe('Trust `X-Forwarded-*` from a TLS-terminating proxy in front of the gateway.'),
    workers: z.coerce.number().int().min(1).max(256).optional()
      .describe('Worker processes behind the one port (`GATEWAY_WORKERS`); default: every core in production, 1 in the sandbox. More than 1 needs Redis and PostgreSQL (in-memory state is not shared).'),
    drainDelayMs: z.coerce.number().int().min(0).max(120_000).default(5000)
      .describe('After SIGTERM: how long `/readyz` answers 503 while requests are still served, so the load balancer stops sending before the listener closes.'),
    drainTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(25_000)
      .describe('After the listener closed: how long requests in flight may take to finish before their connections are cut.'),
    metricsTokenFile: z.string().optional()
      .describe('File holding the bearer token Prometheus sends to `/metrics` (`Authorization: Bearer …`; its `bearer_token_file`). Without it `/metrics` is open in the sandbox and not served (404) in production.'),
  }).prefault({}).describe('The HTTP listener.'),
  sandboxDir: z.string().default('.sandbox').describe('Folder for files the sandbox generates on first start (keys, certificates, the PGlite registry); git-ignored.'),
  keys: z.object({
    jwksFile: z.string().optional()
      .describe('Private JWKS (ES256/PS256, each with a `kid`) the ID tokens are signed with; several keys allow rotation. Generated in the sandbox.'),
    secretsFile: z.string().optional()
      .describe('JSON file `{ "cookieKeys": [..], "pairwiseSalt": "..", "accountKey": ".." }`; secrets never live in git. Generated in the sandbox.'),
    signer: z.enum(['in-process', 'pkcs11']).default('in-process')
      .describe('Where the gateway\'s signing keys are: `in-process` (the private JWKS of `jwksFile`, the sandbox default) or `pkcs11` (an HSM: ID tokens, logout tokens, decision assertions, containment events and audit checkpoints are signed in the HSM, the private keys never in process memory).'),
    pkcs11: pkcs11Schema,
  }).prefault({}).describe('Signing keys and secrets.'),
  store: z.object({
    redisUrl: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional()
      .describe('Redis for sessions, grants, codes, tokens, replay caches and counters; without it the embedded in-memory store runs (sandbox only).'),
    keyPrefix: z.string().regex(/^[^{}]*$/, 'no { or }: a hash tag in the prefix would put every key in one Redis Cluster slot').default('gw:')
      .describe('Prefix of every key in Redis.'),
    redis: redisTopologySchema,
  }).prefault({}).superRefine((store, ctx) => {
    const { mode, nodes, masterName } = store.redis;
    if (mode === 'standalone') return;
    if (store.redisUrl) ctx.addIssue({ code: 'custom', path: ['redisUrl'], message: `leave it unset with redis.mode=${mode}: the nodes come from store.redis.nodes` });
    if (!nodes.length) ctx.addIssue({ code: 'custom', path: ['redis', 'nodes'], message: mode === 'sentinel' ? 'list the Sentinels (host:port)' : 'list some of the cluster\'s masters (host:port)' });
    if (mode === 'sentinel' && !masterName) ctx.addIssue({ code: 'custom', path: ['redis', 'masterName'], message: 'name the master set the Sentinels monitor' });
  }).describe('The hot, expiring state.'),
  ttl: z.object({
    accessToken: z.coerce.number().int().min(30).max(3600).default(300).describe('Access token lifetime, seconds.'),
    authorizationCode: z.coerce.number().int().min(10).max(600).default(60).describe('Authorization code lifetime, seconds.'),
    idToken: z.coerce.number().int().min(30).max(3600).default(300).describe('ID token lifetime, seconds.'),
    interaction: z.coerce.number().int().min(60).max(3600).default(600).describe('How long a login or consent interaction may take, seconds.'),
    session: z.coerce.number().int().min(300).max(86400).default(8 * 3600).describe('Sign-in session lifetime, seconds.'),
    refreshToken: z.coerce.number().int().min(300).max(30 * 86400).default(8 * 3600).describe('Refresh token lifetime, seconds (rotated on every use).'),
    pushedAuthorizationRequest: z.coerce.number().int().min(10).max(599).default(60).describe('Lifetime of a pushed authorization request (`request_uri`), seconds.'),
    jumpTicket: z.coerce.number().int().min(10).max(300).default(60).describe('Lifetime of a jump ticket (single use, `POST /sso/jump`), seconds.'),
  }).prefault({}).describe('Lifetimes.'),
  bankid: z.object({
    enabled: bool.default(true).describe('Offer BankID.'),
    baseUrl: url.optional()
      .describe('BankID RP API v6 base URL, e.g. `https://appapi2.test.bankid.com/rp/v6.0` (BankID\'s test environment); unset: the simulator.'),
    pfxFile: z.string().optional().describe('PKCS#12 file with the RP certificate BankID issued.'),
    passphrase: z.string().optional().describe('Its passphrase (prefer `passphraseFile`).'),
    passphraseFile: z.string().optional().describe('A file holding the passphrase.'),
    caFile: z.string().optional().describe('PEM of the BankID server CA; the only CA the client trusts.'),
    timeoutMs: z.coerce.number().int().min(100).max(60000).default(10000).describe('Timeout of every BankID call.'),
    collectIntervalMs: z.coerce.number().int().min(100).max(10000).default(2000).describe('Collect pace (production refuses < 1000).'),
    launchUrl: z.string().default('bankid:///').describe('Where "open BankID on this device" points; the sandbox points it at its simulated app.'),
    simulator: simulatorSchema('BankID RP API'),
  }).prefault({}).describe('BankID (Relying Party API v6).'),
  freja: z.object({
    enabled: bool.default(true).describe('Offer Freja eID.'),
    baseUrl: url.optional()
      .describe('Freja eID REST API base URL, e.g. `https://services.test.frejaeid.com` (Freja\'s test environment); unset: the simulator.'),
    pfxFile: z.string().optional().describe('PKCS#12 file with the RP certificate Freja issued.'),
    passphrase: z.string().optional().describe('Its passphrase (prefer `passphraseFile`).'),
    passphraseFile: z.string().optional().describe('A file holding the passphrase.'),
    caFile: z.string().optional().describe('PEM of the CA that issued Freja\'s TLS server certificate; the only CA the client trusts.'),
    signingCertFiles: z.array(z.string()).default([])
      .describe('PEM files of Freja\'s result-signing certificates (JWS `x5t`); results are verified against these only. Several allow rollover.'),
    timeoutMs: z.coerce.number().int().min(100).max(60000).default(10000).describe('Timeout of every Freja eID call.'),
    pollIntervalMs: z.coerce.number().int().min(100).max(10000).default(2000).describe('Result polling pace (production refuses < 1000).'),
    launchUrl: z.string().default('frejaeid://bindUserToTransaction')
      .describe('Where "open Freja eID on this device" points (with `?transactionReference=`); the sandbox points it at its simulated app.'),
    simulator: simulatorSchema('Freja eID REST API'),
  }).prefault({}).describe('Freja eID (REST API, authentication service).'),
  saml: z.object({
    enabled: bool.default(true).describe('Run the SAML service provider (SITHS and the national portal).'),
    entityId: z.string().optional().describe('The SP\'s entityID; default `<issuer>/saml/metadata`.'),
    signingKeyFile: z.string().optional().describe('PEM key the SP signs AuthnRequests with; generated in the sandbox.'),
    signingCertFile: z.string().optional().describe('PEM certificate of that key, published in the SP metadata.'),
    clockSkewSeconds: z.coerce.number().int().min(0).max(300).default(60).describe('Allowed clock difference for `NotBefore`/`NotOnOrAfter`.'),
    idps: z.array(z.object({
      id: z.string().regex(/^[a-z0-9-]+$/).describe('A short name of the IdP.'),
      upstream: z.string().describe('The upstream in `loa.providers` it signs in as (`siths-saml`, `portal-saml`).'),
      metadataFile: z.string().describe('The IdP\'s metadata file; its certificates are the only ones trusted.'),
    })).default([]).describe('Trusted IdPs; unset in the sandbox: the two simulators.'),
    simulator: z.object({
      enabled: bool.default(false).describe('Run the simulated SITHS and portal IdPs (sandbox only).'),
    }).prefault({}).describe('The SAML IdP simulators.'),
  }).prefault({}).describe('SAML 2.0 sign-in: staff through the SITHS IdP, citizens through the national portal.'),
  sithsCard: z.object({
    enabled: bool.default(true).describe('Offer SITHS card sign-in (to clients whose `authn_methods` include `siths-card`).'),
    caFiles: z.array(z.string()).default([])
      .describe('PEM files of the SITHS root and issuing CAs the card certificates must chain to; sandbox: its own PKI.'),
    crlFiles: z.array(z.string()).default([])
      .describe('CRL files (PEM or DER), re-read every `crlRefreshSeconds`; an expired CRL refuses every card.'),
    crlRefreshSeconds: z.coerce.number().int().min(10).max(86400).default(300).describe('How often the CRL files are re-read.'),
    publicUrl: z.string().optional()
      .describe('The https origin that asks for the card certificate: the gateway\'s card listener or a TLS proxy that forwards it (then set `trustForwardedCertificate`).'),
    listen: z.object({
      enabled: bool.default(false).describe('Run the card listener (the sandbox does, on a free port).'),
      host: z.string().default('127.0.0.1').describe('Address it binds to.'),
      port: port.default(0).describe('Its port; 0 = a free port.'),
      certFile: z.string().optional().describe('PEM TLS certificate of the listener.'),
      keyFile: z.string().optional().describe('PEM key of that certificate.'),
    }).prefault({}).describe('The gateway\'s own HTTPS listener that asks for the card (TLS client authentication).'),
    trustForwardedCertificate: bool.default(false)
      .describe('Read the card from `certificateHeader`: only when the gateway cannot be reached except through that proxy.'),
    certificateHeader: z.string().default('x-ssl-client-cert')
      .describe('Header the proxy forwards the certificate in (URL-encoded PEM, base64 DER or RFC 9440 `Client-Cert`).'),
  }).prefault({}).describe('SITHS card sign-in by TLS client authentication.'),
  loa: z.object({
    providers: z.record(z.string(), z.object({
      acr: z.string().describe('The `acr` it yields (its ceiling when it has levels of its own).'),
      authnProvider: z.string().describe('The `authnProvider` URI in the ID token.'),
      amr: z.string().describe('The `amr` value that names it.'),
      audience: z.enum(['citizen', 'staff']).default('citizen').describe('Whether it signs in citizens or staff.'),
      levels: z.record(z.string(), z.string()).optional()
        .describe('For upstreams with levels of their own (Freja\'s registration levels, a SAML IdP\'s AuthnContextClassRef): native level -> acr; unknown levels are refused.'),
    })).default({
      bankid: { acr: 'http://id.elegnamnden.se/loa/1.0/loa3', authnProvider: 'https://www.bankid.com', amr: 'bankid', audience: 'citizen' },
      freja: {
        acr: 'http://id.elegnamnden.se/loa/1.0/loa3',
        authnProvider: 'https://frejaeid.com',
        amr: 'freja',
        audience: 'citizen',
        // Freja eID+ (registration level PLUS) is approved at loa3; EXTENDED is loa2; BASIC is not an e-ID.
        levels: { PLUS: 'http://id.elegnamnden.se/loa/1.0/loa3', EXTENDED: 'http://id.elegnamnden.se/loa/1.0/loa2' },
      },
      'siths-saml': {
        acr: 'http://id.elegnamnden.se/loa/1.0/loa3',
        authnProvider: 'https://idp.inera.se/siths',
        amr: 'siths-saml',
        audience: 'staff',
        levels: { 'http://id.elegnamnden.se/loa/1.0/loa3': 'http://id.elegnamnden.se/loa/1.0/loa3' },
      },
      'portal-saml': {
        acr: 'http://id.elegnamnden.se/loa/1.0/loa4',
        authnProvider: 'https://portal.example.se/idp',
        amr: 'portal-saml',
        audience: 'citizen',
        // The national portal's IdP passes on the level of the e-ID the citizen used there.
        levels: {
          'http://id.elegnamnden.se/loa/1.0/loa2': 'http://id.elegnamnden.se/loa/1.0/loa2',
          'http://id.elegnamnden.se/loa/1.0/loa3': 'http://id.elegnamnden.se/loa/1.0/loa3',
          'http://id.elegnamnden.se/loa/1.0/loa4': 'http://id.elegnamnden.se/loa/1.0/loa4',
          'http://id.elegnamnden.se/loa/1.0/eidas-sub': 'http://id.elegnamnden.se/loa/1.0/eidas-sub',
          'http://id.elegnamnden.se/loa/1.0/eidas-high': 'http://id.elegnamnden.se/loa/1.0/eidas-high',
        },
      },
      'siths-card': { acr: 'http://id.elegnamnden.se/loa/1.0/loa3', authnProvider: 'https://www.inera.se/siths', amr: 'siths-card', audience: 'staff' },
    }).describe('One table for every upstream e-ID, keyed by its name (src/federation/loa.ts).'),
  }).prefault({}).describe('Levels of assurance.'),
  sessions: z.object({
    passiveUpstreams: z.array(z.string()).default(['portal-saml'])
      .describe('SAML upstreams asked first with a passive AuthnRequest (IsPassive) when a product allows them: an existing session there signs the person in with no page; NoPassive falls back to the method choice.'),
    rememberConsent: bool.default(true)
      .describe('Remember what a person consented to a product for the session lifetime (until logout), so a later sign-in to it, e.g. a passive one through the portal, needs no consent page.'),
    backchannel: z.object({
      attempts: z.coerce.number().int().min(1).max(10).default(5).describe('Delivery attempts of a back-channel logout token, the first included.'),
      retryBaseMs: z.coerce.number().int().min(10).max(600_000).default(2000).describe('Delay before the first retry; each later retry doubles it.'),
      timeoutMs: z.coerce.number().int().min(100).max(30_000).default(5000).describe('Timeout of each delivery attempt.'),
    }).prefault({}).describe('OpenID Connect Back-Channel Logout to the products a session signed in to.'),
  }).prefault({}).describe('The shared session: passive sign-in through the portal, single logout.'),
  mtls: z.object({
    enabled: bool.default(false).describe('Offer `tls_client_auth` and certificate-bound tokens behind a TLS proxy.'),
    certificateHeader: z.string().default('x-ssl-client-cert').describe('Header in which the TLS-terminating proxy forwards the client certificate (URL-encoded PEM).'),
  }).prefault({}).describe('Mutual TLS for clients.'),
  // --- Admin console and CLI (issue 3): the gateway's own clients of its admin API. ---
  admin: z.object({
    console: z.object({
      enabled: bool.optional().describe('Sandbox: on unless false. Production: on only with `keyFile`.'),
      keyFile: z.string().optional()
        .describe('Private P-256 JWK (with `kid`) the console (client `gateway-admin`) signs `private_key_jwt` with; generated in the sandbox.'),
      authnMethods: z.array(z.string()).min(1).optional()
        .describe('Upstreams staff may sign in to the console with; default: every upstream of `loa.providers` with audience staff.'),
      sessionTtl: z.coerce.number().int().min(300).max(86400).default(8 * 3600)
        .describe('Lifetime of a console session, seconds (idle or not); the access token inside is renewed by signing in again through SSO.'),
    }).prefault({}).describe('The admin console at `/admin/`.'),
    cli: z.object({
      enabled: bool.optional().describe('Sandbox: on unless false (key generated under `sandboxDir`). Production: on only with `jwksFile`.'),
      jwksFile: z.string().optional().describe('Public JWKS of the CLI (client `gateway-cli`, `client_credentials` with `private_key_jwt`).'),
    }).prefault({}).describe('The CLI (`npm run gateway`).'),
  }).prefault({}).describe('The gateway\'s own clients of its admin API.'),
  // --- end admin ---
  // --- The citizen's own page (issue 12): a client of the gateway like the admin console. ---
  account: z.object({
    enabled: bool.optional().describe('Sandbox: on unless false. Production: on only with `keyFile`. Runs only where a database holds the consent records.'),
    keyFile: z.string().optional()
      .describe('Private P-256 JWK (with `kid`) the account page (client `gateway-account`) signs `private_key_jwt` with; generated in the sandbox.'),
    authnMethods: z.array(z.string()).min(1).optional()
      .describe('Upstreams citizens may sign in to `/account` with; default: every upstream of `loa.providers` with audience citizen.'),
    sessionTtl: z.coerce.number().int().min(300).max(86400).default(1800)
      .describe('Lifetime of a session on `/account`, seconds.'),
    pageSize: z.coerce.number().int().min(5).max(200).default(25)
      .describe('Entries per page of the access log on `/account`.'),
  }).prefault({}).describe('The citizen\'s page `/account` ("Mina appar och mina uppgifter"): apps, consents, access log, withdrawal, export.'),
  clients: z.array(clientSchema).default([])
    .describe('The operator\'s own clients (monitoring and the like): not products, never gated, never given data access.'),
  sandbox: z.object({
    demoRp: bool.default(true).describe('Run the demo relying party at `/sandbox/rp` (sandbox only).'),
    demoApps: bool.default(true).describe('Run the demo portal, region app and municipal app at `/sandbox/apps/` that show jumps and single logout (sandbox only).'),
  }).prefault({}).describe('Sandbox-only parts.'),
  // --- Population register (issue 12): who a citizen is, their protection mark and guardianship. ---
  register: z.object({
    source: z.enum(['sandbox', 'none']).optional()
      .describe('Which population register is asked: `sandbox` (the personas, sandbox only; the default there) or `none` (no register: every lookup is unavailable, so protected identity is assumed and guardianship refused; the production default).'),
    cacheMaxAgeSeconds: z.coerce.number().int().min(1).max(86_400).default(3600)
      .describe('How long a register answer is used before it is asked for again, seconds; at most 24 h (a changed protection mark takes effect within this bound). The cache is per process.'),
    cacheMaxEntries: z.coerce.number().int().min(1).max(10_000_000).default(100_000)
      .describe('Most people the register cache holds per process; the oldest answer goes first.'),
    protectedFields: z.array(z.string().min(1).max(100)).min(1).max(200).default([...DEFAULT_PROTECTED_FIELDS])
      .describe('Address and contact fields (names, matched at any depth, case-insensitively) the enforcement proxy removes from every data API response about a person with protected identity; each data set may add its own (`datasets[].protectedFields`).'),
  }).prefault({}).describe('The population register (Navet / the PU-service) and its cache.'),
  // --- end population register ---
  // --- citizen pages (issue 15) ---
  pages: z.object({
    operator: z.string().min(1).max(200).default('Inloggningstjänsten för vårdens appar')
      .describe('Who runs the service, as the help page and the accessibility statement name it.'),
    supportEmail: z.email().optional().describe('E-mail address of the service\'s support (help page, accessibility statement); unset: those pages send people to their app\'s support.'),
    supportPhone: z.string().regex(/^[0-9 +()-]{3,30}$/, 'a phone number').optional().describe('Phone number of the service\'s support.'),
    accessibilityEmail: z.email().optional().describe('Where people report accessibility shortcomings (the statement); default: `supportEmail`.'),
  }).prefault({}).describe('What the citizen pages say about the service itself: help, contact and the accessibility statement.'),
  // --- end citizen pages ---
  datasets: z.array(datasetSchema).min(1).default(defaultDatasets)
    .refine((list) => new Set(list.map((d) => d.id)).size === list.length, 'data-set ids must be unique')
    .describe('The data-set catalogue (informationsmängder) approvals can cover.'),
  registry: registrySchema,
  pdp: pdpSchema,
  audit: auditSchema,
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level.'),
  }).prefault({}).describe('Logging.'),
});

export type Config = z.infer<typeof configSchema>;
export type ClientConfig = z.infer<typeof clientSchema>;
export type DatasetConfig = z.infer<typeof datasetSchema>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Environment variables with a name of their own, for the settings people change most. */
export const namedEnv: Record<string, string> = {
  PORT: 'http.port',
  HOST: 'http.host',
  ISSUER: 'issuer',
  REDIS_URL: 'store.redisUrl',
  GATEWAY_WORKERS: 'http.workers',
  LOG_LEVEL: 'log.level',
  BANKID_BASE_URL: 'bankid.baseUrl',
  BANKID_PFX_FILE: 'bankid.pfxFile',
  BANKID_PASSPHRASE_FILE: 'bankid.passphraseFile',
  BANKID_CA_FILE: 'bankid.caFile',
  FREJA_BASE_URL: 'freja.baseUrl',
  FREJA_PFX_FILE: 'freja.pfxFile',
  FREJA_PASSPHRASE_FILE: 'freja.passphraseFile',
  FREJA_CA_FILE: 'freja.caFile',
  GATEWAY_JWKS_FILE: 'keys.jwksFile',
  GATEWAY_SECRETS_FILE: 'keys.secretsFile',
  GATEWAY_PKCS11_PIN: 'keys.pkcs11.pin',
  DATABASE_URL: 'registry.databaseUrl',
  DATABASE_ADMIN_URL: 'registry.adminDatabaseUrl',
};

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

/** GATEWAY__bankid__timeoutMs=5000 sets bankid.timeoutMs; JSON values (arrays, objects) are parsed. */
function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(namedEnv)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(out, path, value);
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('GATEWAY__') || value === undefined) continue;
    const path = name.slice('GATEWAY__'.length).split('__').join('.');
    let parsed: unknown = value;
    if (/^[[{]/.test(value)) {
      try { parsed = JSON.parse(value); } catch { /* left as a string; the schema names the field */ }
    }
    setPath(out, path, parsed);
  }
  if (env.NODE_ENV === 'production') out.mode = 'production';
  return out;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null && !Array.isArray(b)
      ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length ? issue.path.join('.') : '(root)';
  const envName = `GATEWAY__${issue.path.join('__')}`;
  return `${field}: ${issue.message} (fix it in the config file or set ${envName})`;
}

/** Validates a raw object; throws ConfigError naming every bad field. */
export function parseConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(result.error.issues.map(describeIssue));
  return result.data;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** A JSON file; defaults to $GATEWAY_CONFIG. */
  file?: string;
  /** Applied last; tests use it. */
  overrides?: Record<string, unknown>;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.GATEWAY_CONFIG;
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(resolve(file), 'utf8');
    } catch (err) {
      throw new ConfigError([`GATEWAY_CONFIG: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); point it at a JSON file`]);
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([`GATEWAY_CONFIG: ${file} is not valid JSON (${(err as Error).message})`]);
    }
  }
  const merged = deepMerge(deepMerge(fromFile, envOverrides(env)), options.overrides ?? {});
  const config = parseConfig(merged);
  // Without a stated issuer the gateway is its own issuer on localhost, at the port it listens on
  // (PORT=3999 npm start works as is). Production states it (https is required there anyway).
  if (merged.issuer === undefined && config.http.port !== 0) return { ...config, issuer: `http://localhost:${config.http.port}` };
  return config;
}

/**
 * Production refuses everything that only makes sense in the sandbox, and says why. Called after the
 * sandbox helpers had their chance to fill in generated files, so it sees what would really run.
 */
export function productionProblems(config: Config, facts: { generatedKeys: boolean; generatedSecrets: boolean }): string[] {
  if (config.mode !== 'production') return [];
  const problems: string[] = [];
  if (!config.store.redisUrl && config.store.redis.mode === 'standalone') problems.push('store.redisUrl: production needs Redis (set REDIS_URL); the in-memory store loses every session on restart and is not shared between instances');
  if (config.bankid.simulator.enabled) problems.push('bankid.simulator.enabled: the BankID simulator cannot run in production; set bankid.baseUrl, pfxFile and caFile for the real RP API');
  if (config.keys.signer === 'pkcs11') {
    if (!config.keys.pkcs11.pin && !config.keys.pkcs11.pinFile) problems.push('keys.pkcs11: the HSM needs the user PIN from keys.pkcs11.pinFile or GATEWAY_PKCS11_PIN');
  } else if (facts.generatedKeys || !config.keys.jwksFile) problems.push('keys.jwksFile: production needs signing keys from a managed JWKS file (GATEWAY_JWKS_FILE), not keys generated by the sandbox');
  if (facts.generatedSecrets || !config.keys.secretsFile) problems.push('keys.secretsFile: production needs cookie keys and the pairwise salt from a managed secrets file (GATEWAY_SECRETS_FILE)');
  if (!config.issuer.startsWith('https://')) problems.push('issuer: production needs an https:// issuer (FAPI 2.0 requires TLS)');
  if (config.sandbox.demoRp) problems.push('sandbox.demoRp: the demo relying party is sandbox-only; set GATEWAY__sandbox__demoRp=false');
  if (config.bankid.enabled && (!config.bankid.baseUrl || !config.bankid.pfxFile || !config.bankid.caFile)) {
    problems.push('bankid: production needs bankid.baseUrl, bankid.pfxFile and bankid.caFile (the RP certificate and the pinned BankID server CA)');
  }
  // Admin console and CLI: in production they exist only with keys an operator provisioned.
  if (config.account.enabled === true && !config.account.keyFile) problems.push('account.keyFile: production runs /account only with a provisioned client key (a private P-256 JWK file); set it or account.enabled=false');
  if (config.admin.console.enabled === true && !config.admin.console.keyFile) problems.push('admin.console.keyFile: production runs the admin console only with a provisioned client key (a private P-256 JWK file); set it or admin.console.enabled=false');
  if (config.admin.cli.enabled === true && !config.admin.cli.jwksFile) problems.push('admin.cli.jwksFile: production accepts the CLI only with its public JWKS from a file; set it or admin.cli.enabled=false');
  // SAML (SITHS and the national portal): real IdPs from metadata files, the SP key from files.
  if (config.saml.simulator.enabled) problems.push('saml.simulator.enabled: the SAML IdP simulator cannot run in production; list the real IdPs in saml.idps with their metadata files');
  if (config.saml.enabled && config.saml.idps.length && (!config.saml.signingKeyFile || !config.saml.signingCertFile)) {
    problems.push('saml.signingKeyFile, saml.signingCertFile: production needs the SP signing key and certificate (PEM files) that the IdPs know from the SP metadata');
  }
  // Registry (issue 3): PostgreSQL is the system of record.
  if (!config.registry.databaseUrl) problems.push('registry.databaseUrl: production keeps the registry in PostgreSQL (set DATABASE_URL); PGlite is the sandbox\'s embedded database');
  if (config.bankid.collectIntervalMs < 1000) problems.push('bankid.collectIntervalMs: BankID asks relying parties to collect no more often than every 1-2 seconds; use 2000');
  // Freja eID: the real REST API only, with every file it needs to be trusted.
  if (config.freja.simulator.enabled) problems.push('freja.simulator.enabled: the Freja eID simulator cannot run in production; set freja.baseUrl, pfxFile, caFile and signingCertFiles for the real REST API');
  if (config.freja.enabled && (!config.freja.baseUrl || !config.freja.pfxFile || !config.freja.caFile || config.freja.signingCertFiles.length === 0)) {
    problems.push('freja: production needs freja.baseUrl, freja.pfxFile, freja.caFile and freja.signingCertFiles (the RP certificate, the pinned server CA and Freja\'s result-signing certificates)');
  }
  if (config.freja.pollIntervalMs < 1000) problems.push('freja.pollIntervalMs: ask Freja eID for a result no more often than every 1-2 seconds; use 2000');
  problems.push(...sithsCardProductionProblems(config));
  if (config.register.source === 'sandbox') problems.push('register.source: the sandbox population register (the personas) cannot run in production; set register.source=none until a register client is configured');
  // Audit anchoring: a provisioned audit key and a sink outside the database.
  if (!config.audit.keyFile) problems.push('audit.keyFile: production signs audit checkpoints with a dedicated key from a file (a private JWK, JWKS or PEM), not one the sandbox generated');
  if (!config.audit.checkpoints.file && !config.audit.checkpoints.httpUrl) problems.push('audit.checkpoints: production writes checkpoints outside the database; set audit.checkpoints.file (write-once storage) or audit.checkpoints.httpUrl');
  return problems;
}

// SITHS card sign-in: real CAs and CRLs, and one way for the card to reach the gateway (its own TLS
// listener, or a TLS proxy that forwards the certificate and is the only way in).
function sithsCardProductionProblems(config: Config): string[] {
  const card = config.sithsCard;
  if (!card.enabled) return [];
  const problems: string[] = [];
  if (!card.caFiles.length || !card.crlFiles.length) {
    problems.push('sithsCard.caFiles, sithsCard.crlFiles: production needs the SITHS root and issuing CA certificates and their CRLs (or set sithsCard.enabled=false)');
  }
  const ownListener = card.listen.enabled && card.listen.certFile && card.listen.keyFile;
  if (!ownListener && !card.trustForwardedCertificate) {
    problems.push('sithsCard.listen: production needs the card listener (listen.enabled, listen.certFile, listen.keyFile) or a TLS proxy that forwards the card certificate (trustForwardedCertificate=true)');
  }
  if (!card.publicUrl?.startsWith('https://')) {
    problems.push('sithsCard.publicUrl: production needs the https:// origin where browsers present the card (the card listener\'s public name, or the proxy)');
  }
  return problems;
}

/** How many workers run: the configured number, else every core in production and one in the sandbox. */
export function workerCount(config: Config, cores: number): number {
  return config.http.workers ?? (config.mode === 'production' ? Math.max(1, cores) : 1);
}

/**
 * More than one worker only when every worker sees the same state: the in-memory store and PGlite live
 * inside one process, so a second worker would sign people in to sessions the first cannot find.
 */
export function workerProblems(config: Config, workers: number): string[] {
  if (workers <= 1) return [];
  const problems: string[] = [];
  if (!config.store.redisUrl && config.store.redis.mode === 'standalone') {
    problems.push(`http.workers: ${workers} workers need Redis (set REDIS_URL): the embedded in-memory store is not shared between processes; run GATEWAY_WORKERS=1`);
  }
  if (!config.registry.databaseUrl) {
    problems.push(`http.workers: ${workers} workers need PostgreSQL (set DATABASE_URL): the embedded PGlite registry belongs to one process; run GATEWAY_WORKERS=1`);
  }
  return problems;
}
