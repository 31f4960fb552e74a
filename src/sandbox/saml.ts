// The sandbox's SAML: the sandbox SP key and certificate, and two simulated IdPs on the gateway
// itself (the SITHS IdP for staff, the national portal's IdP for citizens), whose generated metadata
// the SP trusts exactly as it would trust metadata files in production.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type Router from '@koa/router';
import { ensureSandboxCerts } from '../../certs/make-sandbox-certs.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { parseSpMetadata, spMetadataXml } from '../federation/saml/metadata.ts';
import { spSettings, type IdpSource, type SamlKeys } from '../federation/saml/setup.ts';
import { SIMULATED_LEVELS, SimulatedIdp, type Personas } from '../federation/saml/simulator/idp.ts';
import { samlSimulatorRouter } from '../federation/saml/simulator/routes.ts';

const personasFile = new URL('../../config/sandbox/personas.json', import.meta.url);

export interface SandboxSaml {
  keys: SamlKeys;
  sources: IdpSource[];
  idps: SimulatedIdp[];
  router: Router;
}

export async function startSandboxSaml(opts: { config: Config; clock: Clock }): Promise<SandboxSaml> {
  const certs = await ensureSandboxCerts(join(opts.config.sandboxDir, 'certs'));
  const read = (file: string) => readFileSync(file, 'utf8');
  const keys: SamlKeys = {
    keyPem: opts.config.saml.signingKeyFile ? read(opts.config.saml.signingKeyFile) : read(certs.saml.spKey),
    certPem: opts.config.saml.signingCertFile ? read(opts.config.saml.signingCertFile) : read(certs.saml.spCert),
  };
  // The simulated IdPs learn about the SP from its published metadata, as real IdPs do.
  const sp = parseSpMetadata(spMetadataXml(spSettings(opts.config, keys)));
  const personas = JSON.parse(readFileSync(personasFile, 'utf8')) as Personas;
  const common = { issuer: opts.config.issuer, sp, clock: opts.clock, personas };
  const siths = new SimulatedIdp({ ...common, id: 'siths', kind: 'staff', key: { keyPem: read(certs.saml.sithsIdpKey), certPem: read(certs.saml.sithsIdpCert) }, levels: [...SIMULATED_LEVELS.siths] });
  const portal = new SimulatedIdp({ ...common, id: 'portal', kind: 'citizen', key: { keyPem: read(certs.saml.portalIdpKey), certPem: read(certs.saml.portalIdpCert) }, levels: [...SIMULATED_LEVELS.portal] });
  const idps = [siths, portal];
  const sources: IdpSource[] = [
    { id: 'siths', upstream: 'siths-saml', metadataXml: siths.metadataXml(), origin: 'sandbox SITHS IdP simulator' },
    { id: 'portal', upstream: 'portal-saml', metadataXml: portal.metadataXml(), origin: 'sandbox portal IdP simulator' },
  ];
  return { keys, sources, idps, router: samlSimulatorRouter(idps) };
}
