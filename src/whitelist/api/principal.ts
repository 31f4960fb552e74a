// Who is calling the admin API (docs/admin-api.md, "Conventions"): a verified access token of one of
// the admin clients; with an account it is a member of staff (HSA-id), without one the client itself
// (the CLI). Their roles come from the registry; no role, no access.
import type { AccountStore } from '../../idp/accounts.ts';
import type { VerifiedAccessToken } from '../../idp/accessToken.ts';
import { RegistryError } from '../errors.ts';
import type { Principal, RoleSubject } from '../model.ts';
import type { RegistryStore } from '../store.ts';

export interface PrincipalDeps {
  accounts: AccountStore;
  store: RegistryStore;
  /** client_ids whose tokens the admin API accepts (the console's and the CLI's). */
  adminClients: string[];
}

export async function resolvePrincipal(token: VerifiedAccessToken, deps: PrincipalDeps): Promise<Principal> {
  if (!deps.adminClients.includes(token.clientId)) {
    throw new RegistryError(403, 'not_admin_client', 'this access token was not issued to an admin client (the console or the CLI)');
  }
  let subject: RoleSubject;
  if (token.accountId) {
    const account = await deps.accounts.find(token.accountId);
    if (!account) throw new RegistryError(401, 'token_inactive', 'the signed-in account has expired: sign in again');
    if (account.kind !== 'staff') throw new RegistryError(403, 'not_staff', 'the admin API is for staff signed in with a staff e-ID');
    subject = { kind: 'staff', hsaId: account.hsaId };
  } else {
    subject = { kind: 'client', clientId: token.clientId };
  }
  const roles = await deps.store.rolesOf(subject);
  const actor = subject.kind === 'staff' ? subject.hsaId : subject.clientId;
  if (!roles.length) throw new RegistryError(403, 'no_role', `${actor} holds no role in the registry`);
  return { subject, actor, roles };
}
