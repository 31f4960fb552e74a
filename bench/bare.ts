// The baseline: bare oidc-provider with the same library, the same client authentication
// (private_key_jwt), DPoP, PAR and PKCE, its default in-memory store, and none of the gateway's own
// logic. Sign-in is an interaction that finishes at once. Started as a child process by run.ts.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';
import { profileUntilStopped } from './profiler.ts';

const clientJwk = JSON.parse(process.env.BENCH_CLIENT_JWK!) as Record<string, unknown>;
const server = createServer();
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signing = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES256', use: 'sig' };

const configuration: Configuration = {
  jwks: { keys: [signing] } as Configuration['jwks'],
  clients: [{
    client_id: 'bench-client',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    id_token_signed_response_alg: 'ES256',
    jwks: { keys: [clientJwk] },
    grant_types: ['authorization_code', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: ['https://bench.example.test/cb'],
    scope: 'openid profile',
    dpop_bound_access_tokens: true,
    require_pushed_authorization_requests: true,
  } as Configuration['clients'] extends Array<infer C> | undefined ? C : never],
  cookies: { keys: ['bench-cookie-key-bench-cookie-key-0123'] },
  features: {
    devInteractions: { enabled: false },
    fapi: { enabled: true, profile: '2.0' },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
    dPoP: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: { enabled: false },
  } as Configuration['features'],
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['given_name'] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, given_name: 'Anna' }) }),
  interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
};
const provider = new Provider(issuer, configuration);
// Sign-in without a person: log in and consent at once.
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: 'bench-account' } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
  grant.addOIDCScope(String(details.params.scope));
  await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
});
server.on('request', provider.callback());
await profileUntilStopped();
process.stdout.write(`READY ${issuer}\n`);
