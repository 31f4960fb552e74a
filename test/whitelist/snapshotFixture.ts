// A registry snapshot built in code, for the pure decision functions (live approvals, the token gate,
// authorization_details). Every object starts valid; each test changes the one thing it is about.
import type { Approval, Certification, Controller, ControllerPolicy, Product, RegistrySnapshot, TrustFramework } from '../../src/whitelist/model.ts';

const stamp = { version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };
export const NOW = Date.parse('2026-06-01T12:00:00Z');
export const DAY = 86_400_000;
export const iso = (ms: number) => new Date(ms).toISOString();

export const controller = (id: string, datasets: string[], extra: Partial<Controller> = {}): Controller => ({
  ...stamp, id, orgNumber: `${id.length}`.padStart(10, '2'), name: id, kind: 'region', datasets, ...extra,
});

export const framework = (id: string): TrustFramework => ({ ...stamp, id, name: id });

export const product = (id: string, extra: Partial<Product> = {}): Product => ({
  ...stamp,
  id,
  name: `Product ${id}`,
  supplierOrgNumber: '5591234567',
  supplierName: 'Appbolaget',
  purpose: 'self-care',
  contact: { name: 'Support', email: 'support@example.test' },
  status: 'active',
  client: {
    clientId: `${id}-client`,
    redirectUris: ['https://app.example.test/cb'],
    postLogoutRedirectUris: [],
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: [] },
    grantTypes: ['authorization_code'],
    scope: 'openid profile',
  },
  authnMethods: ['bankid'],
  requestedAccess: [{ dataset: 'bookings', actions: ['read', 'write'] }, { dataset: 'vaccinations', actions: ['read'] }],
  ...extra,
});

export const certification = (id: string, productId: string, frameworkId: string, extra: Partial<Certification> = {}): Certification => ({
  ...stamp,
  id,
  productId,
  frameworkId,
  purpose: 'self-care',
  certifiedBy: 'Nordic MedTest',
  issuedAt: iso(NOW - 100 * DAY),
  expiresAt: iso(NOW + 100 * DAY),
  evidenceRef: 'report-1',
  status: 'valid',
  ...extra,
});

export const approval = (id: string, controllerId: string, productId: string, extra: Partial<Approval> = {}): Approval => ({
  ...stamp,
  id,
  controllerId,
  productId,
  purpose: 'self-care',
  access: [{ dataset: 'bookings', actions: ['read'] }],
  basis: 'own_review',
  status: 'active',
  decidedBy: 'SE2321000016-A1B2',
  ...extra,
});

export const policy = (controllerId: string, accepts: ControllerPolicy['accepts']): ControllerPolicy => ({ ...stamp, controllerId, accepts });

export function snapshot(parts: Partial<RegistrySnapshot> = {}): RegistrySnapshot {
  return {
    revision: 1,
    controllers: [controller('region-a', ['bookings', 'vaccinations', 'lab-results']), controller('kommun-b', ['bookings', 'home-care-decisions'])],
    frameworks: [framework('nordic-medtest'), framework('np')],
    policies: [],
    products: [product('p1')],
    certifications: [],
    approvals: [],
    ...parts,
  };
}
