// The sandbox registry (docs/sandbox.md, "The seeded registry"): three controllers, two frameworks, four
// products in different states, and the staff personas' roles. Written through the service as
// `system`, so every row has its audit entry like any API write. It runs only while nobody but
// `system` has touched the registry, and skips what already exists, so a start that died half-way
// finishes the seed on the next start and a used registry is never re-seeded.
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { ClientConfig } from '../config.ts';
import { SYSTEM, type RegistryService } from './service.ts';
import type { ProductClient } from './model.ts';

const DAY = 86_400_000;
const APPBOLAGET = { supplierOrgNumber: '5591234567', supplierName: 'Appbolaget AB (sandlåda)', contact: { name: 'Appbolagets support', email: 'support@appbolaget.example.se' } };

async function sampleJwks(): Promise<{ keys: Array<Record<string, unknown>> }> {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { keys: [{ ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' }] };
}

async function sampleClient(clientId: string): Promise<ProductClient> {
  return {
    clientId,
    redirectUris: [`https://${clientId}.example.se/callback`],
    postLogoutRedirectUris: [],
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: await sampleJwks(),
    grantTypes: ['authorization_code'],
    scope: 'openid profile https://id.oidc.se/scope/naturalPersonNumber',
  };
}

/** The demo relying party's OAuth client as a product's client. */
function demoProductClient(demo: ClientConfig): ProductClient {
  return {
    clientId: demo.client_id,
    redirectUris: demo.redirect_uris,
    postLogoutRedirectUris: demo.post_logout_redirect_uris,
    ...(demo.backchannel_logout_uri ? { backchannelLogoutUri: demo.backchannel_logout_uri } : {}),
    tokenEndpointAuthMethod: demo.token_endpoint_auth_method,
    ...(demo.jwks ? { jwks: demo.jwks } : {}),
    grantTypes: demo.grant_types,
    scope: demo.scope,
  };
}

/**
 * The demo app is a product like any other, so its redirect URIs follow the issuer it runs under and
 * its keys follow the sandbox folder. A sandbox started on another port, or with a fresh key, brings
 * the registered client up to date (audited as `system`); nothing else of the product is touched.
 */
export async function reconcileDemoRp(service: RegistryService, demo: ClientConfig): Promise<'absent' | 'current' | 'updated'> {
  const product = await service.store.getProduct('demo-rp');
  if (!product || product.client.clientId !== demo.client_id) return 'absent';
  const wanted = demoProductClient(demo);
  const same = JSON.stringify(product.client.redirectUris) === JSON.stringify(wanted.redirectUris)
    && JSON.stringify(product.client.postLogoutRedirectUris) === JSON.stringify(wanted.postLogoutRedirectUris)
    && JSON.stringify(product.client.jwks) === JSON.stringify(wanted.jwks);
  if (same) return 'current';
  const { version, createdAt: _c, updatedAt: _u, status: _s, ...rest } = product;
  await service.updateProduct(SYSTEM, 'demo-rp', version, { ...rest, client: { ...product.client, ...wanted } } as Parameters<RegistryService['updateProduct']>[3]);
  return 'updated';
}

/** A demo product of the sandbox's shared sign-in demo (src/sandbox/demoApps.ts), as the registry takes it. */
export interface DemoProduct {
  productId: string;
  name: string;
  client: ClientConfig;
  initiateLoginUri: string;
  jumpUris: string[];
  /** The controller that approves it, for this one data set (read). */
  controllerId: string;
  dataset: string;
}

const DEMO_SUPPLIER = { supplierOrgNumber: '5560003334', supplierName: 'Demoleverantören AB (sandlåda)', contact: { name: 'Demoleverantörens support', email: 'support@demoleverantoren.example.se' } };
const LOA3 = 'http://id.elegnamnden.se/loa/1.0/loa3';

/**
 * The jump demo's products, approvals and the two controllers' jump policies (docs/sandbox.md). Unlike
 * the seed this runs on every sandbox start, also in a registry that people have used: what is missing
 * is added (as `system`, audited), the clients are brought up to date (port, keys), nothing else is
 * touched — a jump policy an administrator changed stays as they left it.
 */
export async function ensureDemoProducts(service: RegistryService, demos: readonly DemoProduct[]): Promise<void> {
  const { store } = service;
  for (const demo of demos) {
    if (!(await store.getController(demo.controllerId))) continue;
    const client: ProductClient = { ...demoProductClient(demo.client), initiateLoginUri: demo.initiateLoginUri, jumpUris: demo.jumpUris };
    let product = await store.getProduct(demo.productId);
    if (!product) {
      product = await service.createProduct(SYSTEM, {
        id: demo.productId, name: demo.name, ...DEMO_SUPPLIER, purpose: 'self-care', client,
        authnMethods: demo.client.authn_methods, requestedAccess: [{ dataset: demo.dataset, actions: ['read'] }],
      });
      product = await service.setProductStatus(SYSTEM, demo.productId, product.version, 'active');
    } else if (product.client.clientId === client.clientId && JSON.stringify(product.client) !== JSON.stringify({ ...product.client, ...client })) {
      const { version, createdAt: _c, updatedAt: _u, status: _s, ...rest } = product;
      product = await service.updateProduct(SYSTEM, demo.productId, version, { ...rest, client: { ...product.client, ...client } } as Parameters<RegistryService['updateProduct']>[3]);
    }
    const approvals = await store.listApprovals({ productId: demo.productId });
    if (!approvals.some((a) => a.controllerId === demo.controllerId)) {
      await service.grantApproval(SYSTEM, { controllerId: demo.controllerId, productId: demo.productId, purpose: 'self-care', access: [{ dataset: demo.dataset, actions: ['read'] }], basis: 'own_review' });
    }
    if (!(await store.getJumpPolicy(demo.controllerId))) {
      await service.putJumpPolicy(SYSTEM, demo.controllerId, undefined, { acceptedUpstreams: ['bankid', 'freja', 'portal-saml'], minimumAcr: LOA3 });
    }
  }
}

export interface SeedOptions {
  /** The demo relying party's client (src/sandbox/demoRp.ts), registered as product `demo-rp`. */
  demoRp?: ClientConfig | undefined;
  now: number;
}

/** Answers whether it wrote anything. */
export async function seedSandboxRegistry(service: RegistryService, options: SeedOptions): Promise<boolean> {
  const { store } = service;
  const used = await store.db.query("SELECT 1 FROM audit_log WHERE actor <> 'system' LIMIT 1");
  if (used.rows.length) return false;
  const before = await store.revision();
  const iso = (offsetDays: number) => new Date(options.now + offsetDays * DAY).toISOString();

  const controllers = [
    { id: 'region-sandbox', orgNumber: '2321000016', name: 'Region Sandbox', kind: 'region' as const, hsaId: 'SE2321000016-0001',
      datasets: ['bookings', 'vaccinations', 'lab-results', 'care-documentation', 'care-plans', 'listing', 'patient-measurements'] },
    { id: 'sandvik-kommun', orgNumber: '2120001234', name: 'Sandvik kommun (sandlåda)', kind: 'municipality' as const,
      datasets: ['home-care-decisions', 'care-plans', 'care-documentation'] },
    { id: 'vardbolaget', orgNumber: '5567778889', name: 'Vårdbolaget AB (sandlåda)', kind: 'private_provider' as const,
      datasets: ['bookings', 'lab-results', 'care-documentation', 'patient-measurements'] },
  ];
  for (const c of controllers) if (!(await store.getController(c.id))) await service.createController(SYSTEM, c);

  const frameworks = [
    { id: 'nordic-medtest', name: 'Nordic MedTest', description: 'Nordisk testbädd och certifiering av digitala hälsotjänster.' },
    { id: 'np', name: 'N!P', description: 'Tillitsramverket för Nationell informationsstruktur och patientappar (sandlådeversion).' },
  ];
  for (const f of frameworks) if (!(await store.getFramework(f.id))) await service.createFramework(SYSTEM, f);

  if (!(await store.getPolicy('region-sandbox'))) {
    await service.putPolicy(SYSTEM, 'region-sandbox', undefined, {
      accepts: [{ frameworkId: 'nordic-medtest', purpose: 'self-care', access: [
        { dataset: 'bookings', actions: ['read', 'write'] },
        { dataset: 'vaccinations', actions: ['read'] },
        { dataset: 'lab-results', actions: ['read'] },
      ] }],
    });
  }

  const demo = options.demoRp;
  const demoClient: ProductClient = demo ? demoProductClient(demo) : await sampleClient('sandbox-demo-rp');
  const products = [
    { id: 'demo-rp', name: 'Demoappen (sandlåda)', ...APPBOLAGET, purpose: 'self-care', client: demoClient,
      authnMethods: demo?.authn_methods ?? ['bankid', 'freja'],
      requestedAccess: [{ dataset: 'bookings', actions: ['read', 'write'] as Array<'read' | 'write'> }, { dataset: 'vaccinations', actions: ['read'] as Array<'read'> },
        { dataset: 'lab-results', actions: ['read'] as Array<'read'> }, { dataset: 'home-care-decisions', actions: ['read'] as Array<'read'> }],
      status: 'active' as const },
    { id: 'min-vardplan', name: 'Min vårdplan', supplierOrgNumber: '5560001112', supplierName: 'Hälsoappar i Norden AB (sandlåda)', contact: { name: 'Förvaltning', email: 'forvaltning@halsoappar.example.se' }, purpose: 'self-care',
      client: await sampleClient('min-vardplan'), authnMethods: ['bankid', 'freja'],
      requestedAccess: [{ dataset: 'care-plans', actions: ['read'] as Array<'read'> }], status: 'registered' as const },
    { id: 'stegraknaren', name: 'Stegräknaren', ...APPBOLAGET, purpose: 'self-monitoring', client: await sampleClient('stegraknaren'),
      authnMethods: ['bankid'], requestedAccess: [{ dataset: 'patient-measurements', actions: ['read', 'write'] as Array<'read' | 'write'> }],
      status: 'suspended' as const },
    { id: 'bokningsappen', name: 'Bokningsappen', supplierOrgNumber: '5560002223', supplierName: 'Tidbokarna AB (sandlåda)', contact: { name: 'Kundtjänst', email: 'kund@tidbokarna.example.se' }, purpose: 'self-care',
      client: await sampleClient('bokningsappen'), authnMethods: ['bankid', 'freja'],
      requestedAccess: [{ dataset: 'bookings', actions: ['read', 'write'] as Array<'read' | 'write'> }], status: 'active' as const },
  ];
  for (const { status, ...p } of products) {
    let product = await store.getProduct(p.id);
    if (!product) product = await service.createProduct(SYSTEM, p);
    if (status === 'suspended' && product.status === 'registered') product = await service.setProductStatus(SYSTEM, p.id, product.version, 'active');
    if (product.status !== status) await service.setProductStatus(SYSTEM, p.id, product.version, status);
  }

  const certifications = await store.listCertifications();
  if (!certifications.some((c) => c.productId === 'demo-rp')) {
    await service.issueCertification(SYSTEM, { productId: 'demo-rp', frameworkId: 'nordic-medtest', purpose: 'self-care', certifiedBy: 'Nordic MedTest (sandlåda)',
      issuedAt: iso(-30), expiresAt: iso(335), evidenceRef: 'NMT-2026-0042' });
  }
  if (!certifications.some((c) => c.productId === 'bokningsappen')) {
    // An expired certification is history the API would not accept today (expiresAt in the past), so
    // the seed writes it through the store: same transaction, same audit entry, actor `system`.
    await store.createCertification({ actor: 'system', role: 'system' }, { productId: 'bokningsappen', frameworkId: 'nordic-medtest', purpose: 'self-care',
      certifiedBy: 'Nordic MedTest (sandlåda)', issuedAt: iso(-400), expiresAt: iso(-35), evidenceRef: 'NMT-2025-0017' });
  }
  const approvals = await store.listApprovals({ productId: 'demo-rp' });
  if (!approvals.some((a) => a.controllerId === 'sandvik-kommun')) {
    await service.grantApproval(SYSTEM, { controllerId: 'sandvik-kommun', productId: 'demo-rp', purpose: 'self-care',
      access: [{ dataset: 'home-care-decisions', actions: ['read'] }], basis: 'own_review' });
  }

  const roles = [
    { subject: { kind: 'staff' as const, hsaId: 'SE5565594230-OP01' }, role: 'operator' as const },
    { subject: { kind: 'staff' as const, hsaId: 'SE2321000016-A1B2' }, role: 'controller_admin' as const, scope: 'region-sandbox' },
    { subject: { kind: 'staff' as const, hsaId: 'SE2120001234-T001' }, role: 'controller_admin' as const, scope: 'sandvik-kommun' },
    { subject: { kind: 'staff' as const, hsaId: 'SE5560000001-CB01' }, role: 'certifier' as const, scope: 'nordic-medtest' },
    { subject: { kind: 'staff' as const, hsaId: 'SE5591234567-LV01' }, role: 'supplier' as const, scope: '5591234567' },
    { subject: { kind: 'client' as const, clientId: 'gateway-cli' }, role: 'operator' as const },
  ];
  const existing = await store.listRoles();
  const key = (r: { subject: { kind: string; hsaId?: string; clientId?: string }; role: string; scope?: string }) =>
    `${r.subject.kind}:${r.subject.hsaId ?? r.subject.clientId}:${r.role}:${r.scope ?? ''}`;
  const have = new Set(existing.map(key));
  for (const r of roles) if (!have.has(key(r))) await service.assignRole(SYSTEM, r);

  return (await store.revision()) !== before;
}
