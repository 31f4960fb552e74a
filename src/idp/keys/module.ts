// The HSM's part of the gateway: its key set, oidc-provider's external keys over it, and /jwks from it.
import Router from '@koa/router';
import type { Pkcs11Config } from '../../config.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import type { Mount } from '../../http/app.ts';
import type { SigningKeys } from '../keys.ts';
import { Pkcs11KeySet } from './hsmKeySet.ts';
import { providerSigningKeys } from './providerKeys.ts';
import { ConfigError } from '../../config.ts';

export function hsmSigningKeys(o: Pkcs11Config, clock: Clock, logger: Logger): SigningKeys {
  let signers: Pkcs11KeySet;
  try {
    signers = new Pkcs11KeySet(o, clock, logger);
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  return { jwks: { keys: [] }, generated: false, signers, provider: providerSigningKeys(signers) };
}

/**
 * /jwks from the key set, when the keys are in an HSM: oidc-provider's own list is the one it read at
 * construction, and a rotation publishes a key it never saw. A short cache time: a verifier that meets
 * an unknown kid refetches anyway, and a new key is published `publishSeconds` before it signs.
 */
export function jwksMount(keys: SigningKeys): Mount[] {
  if (!keys.provider) return [];
  const router = new Router();
  router.get('/jwks', (ctx) => {
    ctx.set('cache-control', 'public, max-age=60');
    ctx.set('access-control-allow-origin', '*');
    ctx.type = 'application/jwk-set+json';
    ctx.body = keys.signers.publicJwks();
  });
  return [{ name: 'signing keys', paths: ['/jwks'], routes: router.routes() }];
}
