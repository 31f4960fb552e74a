// The two clients of the admin API and how they are registered with the OpenID Provider: the console
// (`gateway-admin`, staff sign-in with authorization_code) and the CLI (`gateway-cli`,
// client_credentials). The sandbox generates their keys under the sandbox folder; production
// registers them only from configured key files, and refuses keys the sandbox made.
import { readFileSync } from 'node:fs';
import type { Config, ClientConfig } from '../config.ts';
import { SE } from '../idp/claims.ts';
import { readClientKey, sandboxClientKey, type ClientKey } from '../idp/ownClients.ts';

export const ADMIN_CONSOLE_CLIENT_ID = 'gateway-admin';
export const ADMIN_CLI_CLIENT_ID = 'gateway-cli';
/** The console asks for the staff member's name, HSA-id and organisation, to show who is signed in. */
export const ADMIN_CONSOLE_SCOPE = `openid ${SE.naturalPersonOrgIdScope}`;
export const CONSOLE_KEY_FILE = 'gateway-admin.json';
export const CLI_KEY_FILE = 'gateway-cli.json';

export interface AdminClients {
  /** The console's own key, when the console runs. */
  consoleKey: ClientKey | undefined;
  clients: ClientConfig[];
}

/** Staff upstreams (audience staff in loa.providers) unless the configuration names others. */
export function consoleAuthnMethods(config: Config): string[] {
  return config.admin.console.authnMethods
    ?? Object.entries(config.loa.providers).filter(([, p]) => p.audience === 'staff').map(([id]) => id);
}

function readPublicJwks(file: string): { keys: Array<Record<string, unknown>> } {
  let parsed: { keys?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: unknown };
  } catch (err) {
    throw new Error(`admin.cli.jwksFile: cannot read a JWKS from ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const keys = Array.isArray(parsed.keys) ? parsed.keys as Array<Record<string, unknown>> : [];
  if (!keys.length || keys.some((k) => 'd' in k || typeof k.kid !== 'string')) {
    throw new Error(`admin.cli.jwksFile: ${file} must be a public JWKS ({ "keys": [...] }, each with a kid, no private parts)`);
  }
  return { keys };
}

/**
 * `taken`: client ids already registered (configuration file, tests); a client registered there wins
 * and this one is left out (and without its own client the console does not run).
 */
export async function adminClients(config: Config, taken: ReadonlySet<string> = new Set()): Promise<AdminClients> {
  const sandbox = config.mode === 'sandbox';
  const clients: ClientConfig[] = [];
  const issuer = config.issuer;

  let consoleKey: ClientKey | undefined;
  const consoleOn = !taken.has(ADMIN_CONSOLE_CLIENT_ID)
    && (sandbox ? config.admin.console.enabled !== false : config.admin.console.enabled !== false && Boolean(config.admin.console.keyFile));
  if (consoleOn) {
    consoleKey = config.admin.console.keyFile
      ? readClientKey(config.admin.console.keyFile, 'admin.console.keyFile')
      : await sandboxClientKey(config.sandboxDir, CONSOLE_KEY_FILE);
    if (!sandbox && consoleKey.generated) throw new Error('admin.console.keyFile: production refuses a key the sandbox generated; provision one');
    clients.push({
      client_id: ADMIN_CONSOLE_CLIENT_ID,
      client_name: 'Administrationskonsolen',
      product_id: ADMIN_CONSOLE_CLIENT_ID,
      redirect_uris: [`${issuer}/admin/callback`],
      post_logout_redirect_uris: [`${issuer}/admin/signed-out`],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [consoleKey.publicJwk as Record<string, unknown>] },
      scope: ADMIN_CONSOLE_SCOPE,
      grant_types: ['authorization_code'],
      authn_methods: consoleAuthnMethods(config),
    });
  }

  const cliOn = !taken.has(ADMIN_CLI_CLIENT_ID)
    && (sandbox ? config.admin.cli.enabled !== false : config.admin.cli.enabled !== false && Boolean(config.admin.cli.jwksFile));
  if (cliOn) {
    const jwks = config.admin.cli.jwksFile
      ? readPublicJwks(config.admin.cli.jwksFile)
      : { keys: [(await sandboxClientKey(config.sandboxDir, CLI_KEY_FILE)).publicJwk as Record<string, unknown>] };
    clients.push({
      client_id: ADMIN_CLI_CLIENT_ID,
      client_name: 'Gateway CLI',
      product_id: ADMIN_CLI_CLIENT_ID,
      // client_credentials only: no browser ever comes back to it.
      redirect_uris: [],
      post_logout_redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks,
      // Nothing to ask for: what the CLI may do is its role assignments in the registry.
      scope: 'openid',
      grant_types: ['client_credentials'],
      authn_methods: [],
    });
  }
  return { consoleKey, clients };
}
