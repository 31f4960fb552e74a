// The citizens' module (issue 12): consent as a record, its withdrawal on every instance, and the
// citizen's own page /account. It opens in two steps around oidc-provider, as the whitelist does: the
// consent records exist before the provider (the consent page writes them, the consent prompt reads
// them), and /account needs the provider and the accounts. Without a database there are no records
// and no /account; the consent page still says exactly what is given.
import type Provider from 'oidc-provider';
import type { Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { Mount } from '../http/app.ts';
import type { AccountStore } from '../idp/accounts.ts';
import type { ClientKey } from '../idp/ownClients.ts';
import type { Db } from '../whitelist/db/db.ts';
import type { RegistryCache } from '../whitelist/registryCache.ts';
import type { DecisionAudit } from '../scopes/decisionAudit.ts';
import { RememberedConsents } from '../federation/sso/consent.ts';
import { ConsentStore } from './consent/records.ts';
import { ConsentRevocation } from './consent/revocation.ts';
import { WithdrawnConsentCache } from './consent/withdrawn.ts';
import { AccessLog } from './account/accessLog.ts';
import type { ConsentPromptDeps } from './consent/prompt.ts';
import { accountRouter } from './account/router.ts';
import { accountRelations, noRepresentation, type AccountRepresentation } from './account/representation.ts';
import { AccountSessions } from './account/session.ts';
import { representationMount } from './representation/routes.ts';
import type { Relations } from './representation/relations.ts';

export { accountClient } from './account/client.ts';

export interface CitizensDeps {
  config: Config;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  /** Where the consent records live: the registry's database (absent: no records, no /account). */
  db: Db | undefined;
  registry: RegistryCache | undefined;
  /** The account page's client key (src/citizens/account/client.ts); absent: /account does not run. */
  accountKey: ClientKey | undefined;
  /** "Ombud och företrädare" on /account; default: nobody (the representation module wires its own). */
  representation?: AccountRepresentation | undefined;
  /**
   * Guardians and agents (src/citizens/representation/): listed on /account, and the principal's
   * appoint/revoke routes under /account/representation, signed in by the account page's session.
   */
  relations?: Relations | undefined;
  /** "Du agerar för …" on the consent page (the representation module's hook); default: nothing shown. */
  actingFor?: ConsentPromptDeps['actingFor'];
}

/** What the rest of the gateway (and the tests) use of the citizens' module. */
export interface CitizensParts {
  records: ConsentStore;
  withdrawn: WithdrawnConsentCache;
  revocation: ConsentRevocation;
  actingFor?: ConsentPromptDeps['actingFor'];
}

export interface Citizens {
  /** Present where a database holds the records. */
  parts: CitizensParts | undefined;
  /** /account, once the provider and the accounts exist; `audit` is the decision point's, when it runs. */
  mounts(later: { provider: Provider; accounts: AccountStore; audit?: DecisionAudit | undefined }): Mount[];
  closers: Array<() => Promise<void>>;
}

export async function citizensModule(deps: CitizensDeps): Promise<Citizens> {
  const { config, store, clock, logger, db, registry } = deps;
  if (!db) return { parts: undefined, mounts: () => [], closers: [] };
  const records = new ConsentStore(db, clock);
  const withdrawn = new WithdrawnConsentCache(records, store, clock);
  await withdrawn.start();
  // The same remembered consents the provider reads (src/federation/sso/consent.ts), so a withdrawal forgets them.
  const remembered = config.sessions.rememberConsent ? new RememberedConsents(store, config.ttl.session) : undefined;
  const revocation = new ConsentRevocation({ records, withdrawn, store, registry, remembered, logger });
  const { accountKey } = deps;
  // The same sessions the account page writes (one cookie, one store key), read by the representation routes.
  const accountSessions = new AccountSessions({ store, clock, ttlSeconds: config.account.sessionTtl, secure: config.issuer.startsWith('https://') });
  return {
    parts: { records, withdrawn, revocation, ...(deps.actingFor ? { actingFor: deps.actingFor } : {}) },
    mounts: ({ provider, accounts, audit }) => (accountKey
      ? [...(deps.relations ? [representationMount({
          relations: deps.relations,
          issuer: config.issuer,
          // The principal as the account page signed them in: strong and fresh enough is the relations' rule.
          signedIn: async (ctx) => {
            const session = await accountSessions.load(ctx);
            const record = session ? await accounts.find(session.accountId) : undefined;
            if (!session || record?.kind !== 'citizen' || !session.acr || !session.authTime) return undefined;
            return { personalNumber: record.personalNumber, acr: session.acr, loginTs: session.authTime };
          },
        })] : []), {
          name: 'the citizen\'s page (Mina appar och mina uppgifter)',
          under: ['/account'],
          routes: accountRouter({
            config, key: accountKey, store, clock, logger, provider, accounts, records, revocation, log: new AccessLog(db), registry, audit,
            representation: deps.representation ?? (deps.relations ? accountRelations(deps.relations) : noRepresentation),
          }).routes(),
        }]
      : []),
    closers: [() => withdrawn.close()],
  };
}
