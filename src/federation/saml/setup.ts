// Assembles the SAML SP from configuration: the SP's key and certificate, and each trusted IdP from
// its metadata (saml.idps[]: id, the upstream in loa.providers it signs people in for, the metadata
// file). Anything missing or unreadable stops start-up with the field and the fix.
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { ConfigError, type Config } from '../../config.ts';
import type { Clock } from '../../clock.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { Logger } from '../../log.ts';
import type { UpstreamRoutes } from '../../idp/interactions.ts';
import { MetadataError, parseIdpMetadata } from './metadata.ts';
import { ResponseVerifier } from './response.ts';
import { ACS_PATH, METADATA_PATH, SLO_PATH, samlRoutes, samlUpstreamLogouts, type SamlServiceOptions } from './routes.ts';
import type { UpstreamLogout } from '../sso/logout.ts';
import type { SpSettings, TrustedIdp } from './sp.ts';

/** An IdP's metadata with where it came from (a file, or the sandbox simulator). */
export interface IdpSource {
  id: string;
  upstream: string;
  metadataXml: string;
  origin: string;
}

export interface SamlKeys {
  keyPem: string;
  certPem: string;
}

export function spSettings(config: Config, keys: SamlKeys): SpSettings {
  return {
    entityId: config.saml.entityId ?? `${config.issuer}${METADATA_PATH}`,
    acsUrl: `${config.issuer}${ACS_PATH}`,
    sloUrl: `${config.issuer}${SLO_PATH}`,
    keyPem: keys.keyPem,
    certPem: keys.certPem,
    clockSkewSeconds: config.saml.clockSkewSeconds,
  };
}

/** The SP key pair and IdP metadata named in the configuration. */
export function configuredSaml(config: Config): { keys: SamlKeys; sources: IdpSource[] } {
  const problems: string[] = [];
  const read = (file: string | undefined, field: string, what: string): string | undefined => {
    if (!file) {
      problems.push(`${field}: SAML needs ${what}; set the file path`);
      return undefined;
    }
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`${field}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  };
  const keyPem = read(config.saml.signingKeyFile, 'saml.signingKeyFile', 'the SP signing key (PEM)');
  const certPem = read(config.saml.signingCertFile, 'saml.signingCertFile', 'the SP signing certificate (PEM)');
  try {
    if (keyPem) createPrivateKey(keyPem);
    if (certPem) new X509Certificate(certPem);
  } catch {
    problems.push('saml.signingKeyFile / saml.signingCertFile: not a PEM private key and X.509 certificate');
  }
  const sources: IdpSource[] = [];
  config.saml.idps.forEach((idp, i) => {
    const xml = read(idp.metadataFile, `saml.idps.${i}.metadataFile`, `the metadata of IdP ${idp.id}`);
    if (xml) sources.push({ id: idp.id, upstream: idp.upstream, metadataXml: xml, origin: `saml.idps.${i}.metadataFile` });
  });
  // Either file missing has added a problem already; the second test only tells the compiler so.
  if (problems.length || !keyPem || !certPem) throw new ConfigError(problems);
  return { keys: { keyPem, certPem }, sources };
}

export function trustedIdps(config: Config, sources: IdpSource[]): TrustedIdp[] {
  const problems: string[] = [];
  const out: TrustedIdp[] = [];
  const seen = new Set<string>();
  for (const source of sources) {
    const entry = config.loa.providers[source.upstream];
    if (!entry) {
      problems.push(`${source.origin}: upstream "${source.upstream}" is not in loa.providers; add it there (acr, authnProvider, amr, audience)`);
      continue;
    }
    if (seen.has(source.upstream)) {
      problems.push(`${source.origin}: upstream "${source.upstream}" already has an IdP; one IdP per upstream`);
      continue;
    }
    seen.add(source.upstream);
    try {
      out.push({ id: source.id, upstream: source.upstream, audience: entry.audience, metadata: parseIdpMetadata(source.metadataXml) });
    } catch (err) {
      problems.push(`${source.origin}: ${err instanceof MetadataError ? err.message : 'unreadable metadata'}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

export interface SamlService {
  sp: SpSettings;
  idps: TrustedIdp[];
  upstreams: UpstreamRoutes[];
  /** Single Logout towards the IdPs that have a SingleLogoutService. */
  logouts: UpstreamLogout[];
}

export function createSamlService(opts: {
  config: Config; keys: SamlKeys; sources: IdpSource[]; store: HotStore; clock: Clock; logger: Logger; sso?: SamlServiceOptions['sso'];
}): SamlService {
  const sp = spSettings(opts.config, opts.keys);
  const idps = trustedIdps(opts.config, opts.sources);
  const verifier = new ResponseVerifier({ sp, idps, store: opts.store, clock: opts.clock });
  const service: SamlServiceOptions = { config: opts.config, sp, idps, store: opts.store, verifier, logger: opts.logger, sso: opts.sso };
  return { sp, idps, upstreams: samlRoutes(service), logouts: samlUpstreamLogouts(service) };
}
