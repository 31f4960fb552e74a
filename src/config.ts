// Configuration: one zod schema, a JSON file plus environment overrides (ARCHITECTURE.md,
// "Configuration"). Start-up stops on the first invalid value with the field's name and the fix.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { action } from './whitelist/schemas.ts';

const url = z.url({ protocol: /^https?$/ });
// Environment values arrive as strings; z.coerce.boolean would read "false" as true.
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

const clientSchema = z.object({
  client_id: z.string().min(3).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only'),
  client_name: z.string().min(1),
  /** The product this client belongs to; pairwise `sub` is computed per product. */
  product_id: z.string().min(1).optional(),
  redirect_uris: z.array(url).min(1),
  post_logout_redirect_uris: z.array(url).default([]),
  token_endpoint_auth_method: z.enum(['private_key_jwt', 'tls_client_auth']).default('private_key_jwt'),
  tls_client_auth_subject_dn: z.string().optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
  jwks_uri: z.url({ protocol: /^https$/ }).optional(),
  scope: z.string().default('openid profile'),
  /** Upstreams (keys of loa.providers) this client's users may sign in with; citizen e-IDs by default. */
  authn_methods: z.array(z.string()).min(1).default(['bankid', 'freja']),
  /** The lowest acr this product accepts; requests asking for less still get at least this. */
  minimum_acr: z.string().optional(),
  grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).default(['authorization_code']),
}).refine((c) => c.token_endpoint_auth_method !== 'private_key_jwt' || c.jwks || c.jwks_uri, {
  message: 'private_key_jwt needs the client\'s public keys: set "jwks" or "jwks_uri"',
});

// --- Registry and data-set catalogue (issue 3) -------------------------------------------------
/** A data set (informationsmängd) approvals can cover; scopes are derived as `<id>.<action>`. */
const datasetSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'lower-case letters, digits and dashes'),
  names: z.object({ sv: z.string().min(1), en: z.string().min(1) }),
  /** How much harm a leak does; the console shows it beside every approval. */
  sensitivity: z.enum(['low', 'medium', 'high']),
  actions: z.array(action).min(1),
});

export const defaultDatasets: Array<z.infer<typeof datasetSchema>> = [
  { id: 'bookings', names: { sv: 'Bokningar', en: 'Bookings' }, sensitivity: 'medium', actions: ['read', 'write'] },
  { id: 'vaccinations', names: { sv: 'Vaccinationer', en: 'Vaccinations' }, sensitivity: 'high', actions: ['read'] },
  { id: 'lab-results', names: { sv: 'Provsvar', en: 'Lab results' }, sensitivity: 'high', actions: ['read'] },
  { id: 'home-care-decisions', names: { sv: 'Biståndsbeslut om hemtjänst', en: 'Home-care decisions' }, sensitivity: 'high', actions: ['read'] },
  { id: 'care-documentation', names: { sv: 'Journalanteckningar', en: 'Care documentation' }, sensitivity: 'high', actions: ['read'] },
  { id: 'care-plans', names: { sv: 'Vårdplaner', en: 'Care plans' }, sensitivity: 'high', actions: ['read'] },
  { id: 'listing', names: { sv: 'Listning', en: 'Listing' }, sensitivity: 'low', actions: ['read'] },
  { id: 'patient-measurements', names: { sv: 'Egna mätvärden', en: 'Patient-reported measurements' }, sensitivity: 'high', actions: ['read', 'write'] },
];

const registrySchema = z.object({
  /** PostgreSQL, the system of record (postgres://user@host/db). Without it: PGlite (sandbox only). */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  /** A login allowed to create tables and the app role, for migrations; defaults to databaseUrl. */
  adminDatabaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  /** The role the application works as (only INSERT and SELECT on the audit log); '' = the login's own. */
  appRole: z.string().regex(/^([a-z_][a-z0-9_]*)?$/, 'a PostgreSQL role name').default('gateway_app'),
  /** PGlite's folder (default <sandboxDir>/registry), or `memory`. */
  pglite: z.string().optional(),
  /** client_ids whose tokens the admin API accepts: the console's (staff sign-in) and the CLI's. */
  adminClients: z.array(z.string().min(1)).default(['gateway-admin', 'gateway-cli']),
  /** Seed the sandbox registry on first start (sandbox only, and only into an empty registry). */
  seed: bool.default(true),
}).prefault({});
// --- end registry ---------------------------------------------------------------------------------

// --- Policy decision point, enforcement proxy, containment (issue 4) ------------------------------
/**
 * One route of the data APIs behind the gateway: `pattern` is a path with `{controller}` and
 * `{citizen}` placeholders and optionally a query naming them (e.g.
 * `/fhir/{controller}/Immunization?patient={citizen}`); `upstream` (the built-in PEP only) is where a
 * permitted request goes, with the same placeholders.
 */
const pdpRouteSchema = z.object({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  pattern: z.string().regex(/^\/[^\s#]*$/, 'a path starting with /, placeholders {controller} and {citizen}')
    .refine((p) => p.includes('{controller}') && p.includes('{citizen}'), 'must name both {controller} and {citizen}'),
  dataset: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/),
  action: z.enum(['read', 'write']),
  upstream: z.string().regex(/^https?:\/\//, 'an http(s) URL template').optional(),
});

const pdpSchema = z.object({
  enabled: bool.default(true),
  /** The origin clients address behind nginx/Envoy (the DPoP proof's htu for auth-request); default: the issuer. */
  publicOrigin: z.string().regex(/^https?:\/\/[^/]+$/, 'scheme://host[:port], no path').optional(),
  /** Route table for /pdp/v1/auth-request and /pep; the sandbox adds its mock data APIs when empty. */
  routes: z.array(pdpRouteSchema).default([]),
  upstreamTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Retry-After (seconds) when failing closed. */
  retryAfterSeconds: z.coerce.number().int().min(1).max(3600).default(5),
  containment: z.object({
    /** Denials only a compromised client causes (other citizens, unapproved controllers) before a trip. */
    suspiciousDenials: z.coerce.number().int().min(1).default(20),
    windowSeconds: z.coerce.number().int().min(1).default(600),
    webhookTimeoutMs: z.coerce.number().int().min(100).max(60_000).default(5000),
  }).prefault({}),
  audit: z.object({
    /** Months the decision audit is kept (access logs of health data are reviewed for years). */
    retentionMonths: z.coerce.number().int().min(1).max(600).default(120),
    monthsAhead: z.coerce.number().int().min(1).max(24).default(3),
    batchSize: z.coerce.number().int().min(1).max(10_000).default(500),
    drainIntervalMs: z.coerce.number().int().min(10).max(60_000).default(200),
  }).prefault({}),
}).prefault({});
export type PdpRouteConfig = z.infer<typeof pdpRouteSchema>;
// --- end policy decision point --------------------------------------------------------------------

export const configSchema = z.object({
  mode: z.enum(['sandbox', 'production']).default('sandbox'),
  /** The issuer identifier; every URL the gateway hands out is built from it. */
  issuer: url.default('http://localhost:3000'),
  http: z.object({
    host: z.string().default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Trust X-Forwarded-* from a TLS-terminating proxy in front of the gateway. */
    trustProxy: bool.default(false),
  }).prefault({}),
  /** Folder for files the sandbox generates on first start (keys, certificates); git-ignored. */
  sandboxDir: z.string().default('.sandbox'),
  keys: z.object({
    /** Private JWKS (ES256/PS256, each with a kid) used to sign ID tokens; several keys allow rotation. */
    jwksFile: z.string().optional(),
    /** JSON file { "cookieKeys": [..], "pairwiseSalt": "..", "accountKey": ".." }; secrets never live in git. */
    secretsFile: z.string().optional(),
  }).prefault({}),
  store: z.object({
    /** redis://host:port; without it the embedded in-memory store runs (sandbox only). */
    redisUrl: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
    keyPrefix: z.string().default('gw:'),
  }).prefault({}),
  ttl: z.object({
    accessToken: z.coerce.number().int().min(30).max(3600).default(300),
    authorizationCode: z.coerce.number().int().min(10).max(600).default(60),
    idToken: z.coerce.number().int().min(30).max(3600).default(300),
    interaction: z.coerce.number().int().min(60).max(3600).default(600),
    session: z.coerce.number().int().min(300).max(86400).default(8 * 3600),
    refreshToken: z.coerce.number().int().min(300).max(30 * 86400).default(8 * 3600),
    pushedAuthorizationRequest: z.coerce.number().int().min(10).max(599).default(60),
  }).prefault({}),
  bankid: z.object({
    enabled: bool.default(true),
    /** BankID RP API v6 base URL, e.g. https://appapi2.test.bankid.com/rp/v6.0 (BankID's test environment). */
    baseUrl: url.optional(),
    pfxFile: z.string().optional(),
    passphrase: z.string().optional(),
    passphraseFile: z.string().optional(),
    /** PEM of the BankID server CA; the only CA the client trusts. */
    caFile: z.string().optional(),
    timeoutMs: z.coerce.number().int().min(100).max(60000).default(10000),
    collectIntervalMs: z.coerce.number().int().min(100).max(10000).default(2000),
    /** Where "open BankID on this device" points; the sandbox points at its simulated app. */
    launchUrl: z.string().default('bankid:///'),
    /** Run the RP API simulator in-process (sandbox only). */
    simulator: z.object({
      enabled: bool.default(false),
      port: z.coerce.number().int().min(0).max(65535).default(0),
    }).prefault({}),
  }).prefault({}),
  freja: z.object({
    enabled: bool.default(true),
    /** Freja eID REST API base URL, e.g. https://services.test.frejaeid.com (Freja's test environment). */
    baseUrl: url.optional(),
    pfxFile: z.string().optional(),
    passphrase: z.string().optional(),
    passphraseFile: z.string().optional(),
    /** PEM of the CA that issued Freja's TLS server certificate; the only CA the client trusts. */
    caFile: z.string().optional(),
    /** PEM files of Freja's JWS signing certificates (results are verified against these only). */
    signingCertFiles: z.array(z.string()).default([]),
    timeoutMs: z.coerce.number().int().min(100).max(60000).default(10000),
    pollIntervalMs: z.coerce.number().int().min(100).max(10000).default(2000),
    /** Where "open Freja eID on this device" points (with ?transactionReference=); the sandbox points at its simulated app. */
    launchUrl: z.string().default('frejaeid://bindUserToTransaction'),
    simulator: z.object({
      enabled: bool.default(false),
      port: z.coerce.number().int().min(0).max(65535).default(0),
    }).prefault({}),
  }).prefault({}),
  saml: z.object({
    enabled: bool.default(true),
    /** The SP's entityID; defaults to <issuer>/saml/metadata. */
    entityId: z.string().optional(),
    /** PEM key and certificate the SP signs AuthnRequests with (and publishes in its metadata). */
    signingKeyFile: z.string().optional(),
    signingCertFile: z.string().optional(),
    /** Allowed clock difference for NotBefore/NotOnOrAfter. */
    clockSkewSeconds: z.coerce.number().int().min(0).max(300).default(60),
    /** Trusted IdPs: each maps to an upstream in loa.providers; certificates come from its metadata file. */
    idps: z.array(z.object({
      id: z.string().regex(/^[a-z0-9-]+$/),
      upstream: z.string(),
      metadataFile: z.string(),
    })).default([]),
    simulator: z.object({ enabled: bool.default(false) }).prefault({}),
  }).prefault({}),
  sithsCard: z.object({
    enabled: bool.default(true),
    /** PEM files of the SITHS root and issuing CAs the card certificates must chain to. */
    caFiles: z.array(z.string()).default([]),
    /** CRL files (PEM or DER), re-read every crlRefreshSeconds; an expired CRL refuses every card. */
    crlFiles: z.array(z.string()).default([]),
    crlRefreshSeconds: z.coerce.number().int().min(10).max(86400).default(300),
    /**
     * The HTTPS origin that asks for the card certificate (TLS client authentication). Either the
     * gateway's own card listener (listen.port) or a TLS-terminating proxy that forwards the
     * certificate in `certificateHeader` (then set trustForwardedCertificate: the gateway must only be
     * reachable through that proxy).
     */
    publicUrl: z.string().optional(),
    listen: z.object({
      enabled: bool.default(false),
      host: z.string().default('127.0.0.1'),
      port: z.coerce.number().int().min(0).max(65535).default(0),
      certFile: z.string().optional(),
      keyFile: z.string().optional(),
    }).prefault({}),
    trustForwardedCertificate: bool.default(false),
    certificateHeader: z.string().default('x-ssl-client-cert'),
  }).prefault({}),
  loa: z.object({
    /**
     * One table for every upstream (src/federation/loa.ts): the acr it yields (its ceiling when it has
     * several levels), the authnProvider URI for the ID token, the amr value that names it, whether it
     * signs in citizens or staff, and, for upstreams with levels of their own (Freja's registration
     * levels, a SAML IdP's AuthnContextClassRef), native level -> acr. Unknown native levels are refused.
     */
    providers: z.record(z.string(), z.object({
      acr: z.string(),
      authnProvider: z.string(),
      amr: z.string(),
      audience: z.enum(['citizen', 'staff']).default('citizen'),
      levels: z.record(z.string(), z.string()).optional(),
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
    }),
  }).prefault({}),
  mtls: z.object({
    enabled: bool.default(false),
    /** Header in which the TLS-terminating proxy forwards the client certificate (URL-encoded PEM). */
    certificateHeader: z.string().default('x-ssl-client-cert'),
  }).prefault({}),
  // --- Admin console and CLI (issue 3): the gateway's own clients of its admin API. ---
  admin: z.object({
    console: z.object({
      /** Sandbox: on unless false. Production: on only with keyFile. */
      enabled: bool.optional(),
      /** Private P-256 JWK (with kid) the console (client gateway-admin) signs private_key_jwt with; generated in the sandbox. */
      keyFile: z.string().optional(),
      /** Upstreams staff may sign in to the console with; default: every upstream of loa.providers with audience staff. */
      authnMethods: z.array(z.string()).min(1).optional(),
      /** Lifetime of a console session (idle or not); the access token inside is renewed by signing in again through SSO. */
      sessionTtl: z.coerce.number().int().min(300).max(86400).default(8 * 3600),
    }).prefault({}),
    cli: z.object({
      /** Sandbox: on unless false (key generated under sandboxDir). Production: on only with jwksFile. */
      enabled: bool.optional(),
      /** Public JWKS of the CLI (client gateway-cli, client_credentials with private_key_jwt). */
      jwksFile: z.string().optional(),
    }).prefault({}),
  }).prefault({}),
  // --- end admin ---
  clients: z.array(clientSchema).default([]),
  sandbox: z.object({
    demoRp: bool.default(true),
  }).prefault({}),
  datasets: z.array(datasetSchema).min(1).default(defaultDatasets)
    .refine((list) => new Set(list.map((d) => d.id)).size === list.length, 'data-set ids must be unique'),
  registry: registrySchema,
  pdp: pdpSchema,
  log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
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
const namedEnv: Record<string, string> = {
  PORT: 'http.port',
  HOST: 'http.host',
  ISSUER: 'issuer',
  REDIS_URL: 'store.redisUrl',
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
  if (!config.store.redisUrl) problems.push('store.redisUrl: production needs Redis (set REDIS_URL); the in-memory store loses every session on restart and is not shared between instances');
  if (config.bankid.simulator.enabled) problems.push('bankid.simulator.enabled: the BankID simulator cannot run in production; set bankid.baseUrl, pfxFile and caFile for the real RP API');
  if (facts.generatedKeys || !config.keys.jwksFile) problems.push('keys.jwksFile: production needs signing keys from a managed JWKS file (GATEWAY_JWKS_FILE), not keys generated by the sandbox');
  if (facts.generatedSecrets || !config.keys.secretsFile) problems.push('keys.secretsFile: production needs cookie keys and the pairwise salt from a managed secrets file (GATEWAY_SECRETS_FILE)');
  if (!config.issuer.startsWith('https://')) problems.push('issuer: production needs an https:// issuer (FAPI 2.0 requires TLS)');
  if (config.sandbox.demoRp) problems.push('sandbox.demoRp: the demo relying party is sandbox-only; set GATEWAY__sandbox__demoRp=false');
  if (config.bankid.enabled && (!config.bankid.baseUrl || !config.bankid.pfxFile || !config.bankid.caFile)) {
    problems.push('bankid: production needs bankid.baseUrl, bankid.pfxFile and bankid.caFile (the RP certificate and the pinned BankID server CA)');
  }
  // Admin console and CLI: in production they exist only with keys an operator provisioned.
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
