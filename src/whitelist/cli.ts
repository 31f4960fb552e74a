// `npm run gateway -- <command>`: scripted registry operations through the admin API. The CLI is the
// client `gateway-cli` of the gateway: it gets a token with client_credentials, private_key_jwt and a
// DPoP key made for this run, and calls the API over HTTP like the console does. Every problem the API
// reports is printed (to stderr; with --json also as JSON on stdout) and ends the run with an exit
// code that names its kind, so scripts can branch on it.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as oidc from 'openid-client';
import { issuerDiscovery, readClientKey } from '../idp/ownClients.ts';
import { AdminApiClient, AdminApiProblem, lapsesOf, liveAccessOf } from './adminApiClient.ts';
import { ADMIN_CLI_CLIENT_ID, CLI_KEY_FILE } from './adminClients.ts';
import { ACTIONS, type Action, type Approval, type AuditEntry, type Certification, type DatasetAccess, type Product, type RoleAssignment } from './model.ts';

export const EXIT = {
  ok: 0,
  other: 1,
  usage: 2,
  unauthenticated: 3,
  forbidden: 4,
  notFound: 5,
  conflict: 6,
  invalid: 7,
  unavailable: 8,
} as const;

export function exitCodeFor(p: AdminApiProblem): number {
  if (p.status === 401) return EXIT.unauthenticated;
  if (p.status === 403) return EXIT.forbidden;
  if (p.status === 404) return EXIT.notFound;
  if (p.status === 409 || p.status === 412 || p.status === 428) return EXIT.conflict;
  if (p.status === 400 || p.status === 422) return EXIT.invalid;
  if (p.status >= 500) return EXIT.unavailable;
  return EXIT.other;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

class UsageError extends Error {}

const USAGE = `usage: npm run gateway -- <command> [options]

commands:
  whoami                                   who the CLI is to the API, and its roles
  products list                            every product the CLI may see
  products show <productId>                a product, its certifications and its live access
  approve --controller <id> --product <id> --purpose <purpose> --dataset <set>:<read,write> [--dataset ...]
          --basis own_review|trusted_reviewer [--reviewer <name>] [--expires <YYYY-MM-DD>]
  revoke <approvalId> [--if-match <version>]
  certifications add --product <id> --framework <id> --purpose <purpose> --certified-by <body>
          --issued <date> --expires <date> --evidence <reference>
  certifications withdraw <certificationId> [--if-match <version>]
  roles list
  roles add (--staff <HSA-id> | --client <client_id>) --role <role> [--scope <scope>]
  audit <objectType> <objectId>

options:
  --issuer <url>      the gateway (default $GATEWAY_URL or http://localhost:3000)
  --key <file>        the CLI's private key (default $GATEWAY_CLI_KEY_FILE or <sandbox-dir>/keys/${CLI_KEY_FILE})
  --sandbox-dir <dir> the sandbox folder (default .sandbox)
  --json              machine-readable output

exit codes: 0 ok, 2 usage, 3 not authenticated, 4 forbidden, 5 not found, 6 conflict (duplicate,
stale version), 7 invalid input, 8 gateway unreachable or failing, 1 anything else`;

/** `bookings:read,write` -> { dataset: 'bookings', actions: ['read', 'write'] }. */
export function parseDataset(value: string): DatasetAccess {
  const [dataset, actions] = value.split(':');
  const list = (actions ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  if (!dataset || !/^[A-Za-z0-9._-]+$/.test(dataset) || !list.length || list.some((a) => !ACTIONS.includes(a as Action))) {
    throw new UsageError(`--dataset ${value}: write it as <dataset>:<read|write>[,<read|write>], e.g. bookings:read,write`);
  }
  return { dataset, actions: ACTIONS.filter((a) => list.includes(a)) };
}

/** A date or a full timestamp; a bare date means the start of that day in UTC. */
function isoDate(option: string, value: string | undefined, endOfDay = false): string {
  if (!value) throw new UsageError(`--${option} is required`);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T${endOfDay ? '23:59:59' : '00:00:00'}.000Z`;
  if (Number.isNaN(Date.parse(value))) throw new UsageError(`--${option} ${value}: write a date (YYYY-MM-DD) or an ISO timestamp`);
  return new Date(value).toISOString();
}

function need(option: string, value: string | undefined): string {
  if (!value) throw new UsageError(`--${option} is required`);
  return value;
}

function table(rows: string[][]): string {
  const [first] = rows;
  if (!first) return '';
  const widths = first.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  // A row longer than the first has no width for its extra cells: they are not padded.
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

const accessText = (access: DatasetAccess[]) => access.map((a) => `${a.dataset}:${a.actions.join(',')}`).join(' ');

async function connect(values: Record<string, string | boolean | string[] | undefined>, io: CliIo): Promise<AdminApiClient> {
  const issuer = String(values.issuer ?? io.env.GATEWAY_URL ?? 'http://localhost:3000').replace(/\/$/, '');
  const keyFile = String(values.key ?? io.env.GATEWAY_CLI_KEY_FILE ?? resolve(io.cwd, String(values['sandbox-dir'] ?? '.sandbox'), 'keys', CLI_KEY_FILE));
  if (!existsSync(keyFile)) {
    throw new AdminApiProblem(401, 'key_missing', 'No client key', `no key file at ${keyFile}: start the sandbox gateway once (it generates the key) or set --key / GATEWAY_CLI_KEY_FILE`);
  }
  let key;
  try {
    key = readClientKey(keyFile, '--key');
  } catch (err) {
    throw new AdminApiProblem(401, 'key_invalid', 'Unusable client key', (err as Error).message);
  }
  let config: oidc.Configuration;
  try {
    config = await issuerDiscovery(issuer, ADMIN_CLI_CLIENT_ID, key)();
  } catch (err) {
    throw new AdminApiProblem(502, 'api_unreachable', 'The gateway could not be reached', `discovery at ${issuer} failed: ${(err as Error).message}`);
  }
  const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  let tokens;
  try {
    tokens = await oidc.clientCredentialsGrant(config, {}, { DPoP: dpop });
  } catch (err) {
    const e = err as { error?: string; error_description?: string; message?: string };
    throw new AdminApiProblem(401, e.error ?? 'token_refused', 'The gateway refused the CLI a token', e.error_description ?? e.message);
  }
  return new AdminApiClient({ issuer, config, accessToken: tokens.access_token, dpop });
}

/** The object's current version, for If-Match: given, or read from the list the object is in. */
async function versionOf<T extends { id: string; version: number }>(api: AdminApiClient, given: string | undefined, path: string, id: string, query: Record<string, string> = {}): Promise<T | { id: string; version: number }> {
  if (given !== undefined) {
    if (!/^\d+$/.test(given)) throw new UsageError('--if-match takes the version number');
    return { id, version: Number(given) };
  }
  const found = (await api.list<T>(path, query)).find((x) => x.id === id);
  if (!found) throw new AdminApiProblem(404, 'not_found', 'Not found', `no ${path.slice(1, -1)} with id ${id}`);
  return found;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        issuer: { type: 'string' },
        key: { type: 'string' },
        'sandbox-dir': { type: 'string' },
        controller: { type: 'string' },
        product: { type: 'string' },
        purpose: { type: 'string' },
        dataset: { type: 'string', multiple: true },
        basis: { type: 'string' },
        reviewer: { type: 'string' },
        expires: { type: 'string' },
        issued: { type: 'string' },
        framework: { type: 'string' },
        evidence: { type: 'string' },
        'certified-by': { type: 'string' },
        'if-match': { type: 'string' },
        staff: { type: 'string' },
        client: { type: 'string' },
        role: { type: 'string' },
        scope: { type: 'string' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const json = Boolean(values.json);
  const print = (data: unknown, human: () => string) => io.out(json ? JSON.stringify(data, null, 2) : human());
  const [command, sub] = positionals;
  if (values.help || !command) {
    io.out(USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }

  try {
    const run = commands[`${command} ${sub ?? ''}`.trim()] ?? commands[command];
    if (!run) throw new UsageError(`unknown command: ${positionals.join(' ')}`);
    const api = await connect(values, io);
    const rest = commands[`${command} ${sub ?? ''}`.trim()] ? positionals.slice(2) : positionals.slice(1);
    await run({ api, values, args: rest, print });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (err instanceof AdminApiProblem) {
      const lines = [`error: ${err.status} ${err.code}: ${err.detail ?? err.title}`, ...err.errors.map((e) => `  ${e.path}: ${e.message}`)];
      io.err(lines.join('\n'));
      if (json) io.out(JSON.stringify({ status: err.status, type: `urn:gateway:problem:${err.code}`, title: err.title, ...(err.detail ? { detail: err.detail } : {}), ...(err.errors.length ? { errors: err.errors } : {}) }, null, 2));
      return exitCodeFor(err);
    }
    io.err(`error: ${(err as Error).message}`);
    return EXIT.other;
  }
}

interface CommandContext {
  api: AdminApiClient;
  values: Record<string, string | boolean | string[] | undefined>;
  args: string[];
  print(data: unknown, human: () => string): void;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const positional = (c: CommandContext, name: string): string => {
  const v = c.args[0];
  if (!v) throw new UsageError(`<${name}> is required`);
  return v;
};

const commands: Record<string, (c: CommandContext) => Promise<void>> = {
  async whoami(c) {
    const me = (await c.api.get('/me')).body;
    c.print(me, () => JSON.stringify(me, null, 2));
  },

  async 'products list'(c) {
    const products = await c.api.list<Product>('/products');
    c.print(products, () => table([['ID', 'STATUS', 'PURPOSE', 'NAME', 'SUPPLIER'],
      ...products.map((p) => [p.id, p.status, p.purpose, p.name, p.supplierName])]));
  },

  async 'products show'(c) {
    const id = encodeURIComponent(positional(c, 'productId'));
    const product = (await c.api.get<Product>(`/products/${id}`)).body;
    const certifications = await c.api.list<Certification>('/certifications', { productId: product.id });
    const access = (await c.api.get(`/products/${id}/access`)).body;
    c.print({ product, certifications, access }, () => [
      `${product.name} (${product.id}) – ${product.status}`,
      `supplier: ${product.supplierName} (${product.supplierOrgNumber}), purpose: ${product.purpose}, client: ${product.client?.clientId ?? ''}`,
      `asks for: ${accessText(product.requestedAccess ?? [])}`,
      'certifications:',
      ...certifications.map((x) => `  ${x.id}  ${x.frameworkId}/${x.purpose}  ${x.status}  expires ${x.expiresAt.slice(0, 10)}`),
      'live access:',
      ...liveAccessOf(access).map((a) => `  ${a.controllerId}: ${accessText(a.access)}${a.basis ? ` (${a.basis})` : ''}`),
      ...(lapsesOf(access).length ? [`not counting: ${lapsesOf(access).join(', ')}`] : []),
    ].join('\n'));
  },

  async approve(c) {
    const datasets = (c.values.dataset as string[] | undefined) ?? [];
    if (!datasets.length) throw new UsageError('--dataset is required (e.g. --dataset bookings:read,write)');
    const basis = need('basis', str(c.values.basis));
    if (!['own_review', 'trusted_reviewer', 'certification'].includes(basis)) throw new UsageError('--basis is own_review, trusted_reviewer or certification');
    const body = {
      controllerId: need('controller', str(c.values.controller)),
      productId: need('product', str(c.values.product)),
      purpose: need('purpose', str(c.values.purpose)),
      access: datasets.map(parseDataset),
      basis,
      ...(str(c.values.reviewer) ? { reviewer: str(c.values.reviewer) } : {}),
      ...(str(c.values.expires) ? { expiresAt: isoDate('expires', str(c.values.expires), true) } : {}),
    };
    const created = (await c.api.post<Approval>('/approvals', body)).body;
    c.print(created, () => `approved: ${created.id} (${created.controllerId} -> ${created.productId}, ${accessText(created.access)}, version ${created.version})`);
  },

  async revoke(c) {
    const id = positional(c, 'approvalId');
    const current = await versionOf<Approval>(c.api, str(c.values['if-match']), '/approvals', id);
    const revoked = (await c.api.post<Approval>(`/approvals/${encodeURIComponent(id)}/revoke`, {}, current.version)).body;
    c.print(revoked, () => `revoked: ${id}${revoked?.revokedAt ? ` at ${revoked.revokedAt}` : ''}`);
  },

  async 'certifications add'(c) {
    const body = {
      productId: need('product', str(c.values.product)),
      frameworkId: need('framework', str(c.values.framework)),
      purpose: need('purpose', str(c.values.purpose)),
      certifiedBy: need('certified-by', str(c.values['certified-by'])),
      issuedAt: isoDate('issued', str(c.values.issued)),
      expiresAt: isoDate('expires', str(c.values.expires), true),
      evidenceRef: need('evidence', str(c.values.evidence)),
    };
    const created = (await c.api.post<Certification>('/certifications', body)).body;
    c.print(created, () => `certified: ${created.id} (${created.productId} under ${created.frameworkId}/${created.purpose} until ${created.expiresAt.slice(0, 10)})`);
  },

  async 'certifications withdraw'(c) {
    const id = positional(c, 'certificationId');
    const current = await versionOf<Certification>(c.api, str(c.values['if-match']), '/certifications', id);
    const withdrawn = (await c.api.post<Certification>(`/certifications/${encodeURIComponent(id)}/withdraw`, {}, current.version)).body;
    c.print(withdrawn, () => `withdrawn: ${id}`);
  },

  async 'roles list'(c) {
    const roles = await c.api.list<RoleAssignment>('/roles');
    c.print(roles, () => table([['ID', 'SUBJECT', 'ROLE', 'SCOPE'],
      ...roles.map((r) => [r.id, r.subject.kind === 'staff' ? r.subject.hsaId : `client:${r.subject.clientId}`, r.role, r.scope ?? ''])]));
  },

  async 'roles add'(c) {
    const staff = str(c.values.staff);
    const client = str(c.values.client);
    if (Boolean(staff) === Boolean(client)) throw new UsageError('give exactly one of --staff <HSA-id> or --client <client_id>');
    const body = {
      subject: staff ? { kind: 'staff', hsaId: staff } : { kind: 'client', clientId: client },
      role: need('role', str(c.values.role)),
      ...(str(c.values.scope) ? { scope: str(c.values.scope) } : {}),
    };
    const created = (await c.api.post<RoleAssignment>('/roles', body)).body;
    c.print(created, () => `role added: ${created.id} (${created.role}${created.scope ? ` of ${created.scope}` : ''})`);
  },

  async audit(c) {
    const [objectType, objectId] = c.args;
    if (!objectType || !objectId) throw new UsageError('audit <objectType> <objectId>');
    const entries = await c.api.list<AuditEntry>('/audit', { objectType, objectId });
    c.print(entries, () => table([['SEQ', 'AT', 'ACTOR', 'ROLE', 'ACTION'],
      ...entries.map((e) => [String(e.seq), e.at, e.actor, e.role, e.action])]));
  },
};
