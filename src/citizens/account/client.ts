// The account page's client of the gateway (`gateway-account`): like the admin console
// (src/whitelist/adminClients.ts), an ordinary confidential client that signs the citizen in with PAR,
// PKCE, private_key_jwt and DPoP, with any citizen e-ID. The sandbox generates its key; production
// registers it only from a configured key file, and refuses a key the sandbox made.
import type { ClientConfig, Config } from '../../config.ts';
import { readClientKey, sandboxClientKey, type ClientKey } from '../../idp/ownClients.ts';

export const ACCOUNT_CLIENT_ID = 'gateway-account';
/** The page shows who is signed in: the name, nothing more. */
export const ACCOUNT_SCOPE = 'openid profile';
export const ACCOUNT_KEY_FILE = 'gateway-account.json';

export interface AccountClient {
  key: ClientKey | undefined;
  clients: ClientConfig[];
}

/** Citizen upstreams (audience citizen in loa.providers) unless the configuration names others. */
export function accountAuthnMethods(config: Config): string[] {
  return config.account.authnMethods
    ?? Object.entries(config.loa.providers).filter(([, p]) => p.audience === 'citizen').map(([id]) => id);
}

/** `taken`: client ids registered elsewhere (configuration, tests); one registered there wins, and the page does not run. */
export async function accountClient(config: Config, taken: ReadonlySet<string> = new Set()): Promise<AccountClient> {
  const sandbox = config.mode === 'sandbox';
  const on = !taken.has(ACCOUNT_CLIENT_ID)
    && (sandbox ? config.account.enabled !== false : config.account.enabled !== false && Boolean(config.account.keyFile));
  if (!on) return { key: undefined, clients: [] };
  const key = config.account.keyFile
    ? readClientKey(config.account.keyFile, 'account.keyFile')
    : await sandboxClientKey(config.sandboxDir, ACCOUNT_KEY_FILE);
  if (!sandbox && key.generated) throw new Error('account.keyFile: production refuses a key the sandbox generated; provision one');
  return {
    key,
    clients: [{
      client_id: ACCOUNT_CLIENT_ID,
      client_name: 'Mina appar och mina uppgifter',
      product_id: ACCOUNT_CLIENT_ID,
      redirect_uris: [`${config.issuer}/account/callback`],
      post_logout_redirect_uris: [`${config.issuer}/account/signed-out`],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [key.publicJwk as Record<string, unknown>] },
      scope: ACCOUNT_SCOPE,
      grant_types: ['authorization_code'],
      authn_methods: accountAuthnMethods(config),
    }],
  };
}
