// What each registry change is about (src/whitelist/api/concerns.ts), on its own over a registry in
// memory: the answers separation of duties is decided over.
import test from 'ava';
import {
  aboutNoProduct, approvalNamed, certificationNamed, controllerChange, policyChange, productNamed, productReferenced, productReplaced,
} from '../../src/whitelist/api/concerns.ts';
import { RegistryError } from '../../src/whitelist/errors.ts';
import type { ControllerPolicy } from '../../src/whitelist/model.ts';
import type { RegistryService } from '../../src/whitelist/service.ts';

const products = [
  { id: 'app-a', supplierOrgNumber: '5591234567', purpose: 'self-care' },
  { id: 'app-b', supplierOrgNumber: '5560000000', purpose: 'self-care' },
  { id: 'app-c', supplierOrgNumber: '5560000001', purpose: 'health-records' },
];
const approvals = [
  { id: 'ap-1', controllerId: 'region', productId: 'app-c' },
  { id: 'ap-2', controllerId: 'kommun', productId: 'app-a' },
];
const accepts: ControllerPolicy['accepts'] = [{ frameworkId: 'fw', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read', 'write'] }] }];
const service = {
  store: {
    getProduct: async (id: string) => products.find((p) => p.id === id),
    listProducts: async () => products,
    getApproval: async (id: string) => approvals.find((a) => a.id === id),
    listApprovals: async (f: { controllerId?: string }) => approvals.filter((a) => a.controllerId === f.controllerId),
    getCertification: async (id: string) => (id === 'cert-1' ? { id, productId: 'app-b' } : undefined),
    getController: async (id: string) => (['region', 'kommun'].includes(id) ? { id, datasets: ['bookings', 'lab-results'] } : undefined),
    getPolicy: async (id: string) => (id === 'region' ? { controllerId: id, accepts } : undefined),
  },
} as unknown as RegistryService;

const ids = (list: ReadonlyArray<{ id: string }>) => list.map((p) => p.id).sort();

test('a named product, approval or certification is about its product; an unknown one is 404', async (t) => {
  t.deepEqual(await productNamed(service, 'app-a'), [{ id: 'app-a', supplierOrgNumber: '5591234567' }]);
  t.deepEqual(ids(await approvalNamed(service, 'ap-2')), ['app-a']);
  t.deepEqual(ids(await certificationNamed(service, 'cert-1')), ['app-b']);
  for (const unknown of [productNamed(service, 'nope'), approvalNamed(service, 'nope'), certificationNamed(service, 'nope')]) {
    const err = await t.throwsAsync(unknown, { instanceOf: RegistryError });
    t.is(err?.status, 404);
  }
  t.deepEqual(await productReferenced(service, 'nope'), [], 'a reference to no product concerns nobody: the operation refuses the reference (422)');
});

test('a product replaced is about its supplier as it is and as the body names it', async (t) => {
  t.deepEqual((await productReplaced(service, 'app-b', '5591234567')).map((p) => p.supplierOrgNumber), ['5560000000', '5591234567']);
});

test('a policy change is about the products of each purpose whose acceptance it adds, removes or alters', async (t) => {
  t.deepEqual(await policyChange(service, 'region', [...accepts].reverse()), [], 'the same acceptances: no product');
  t.deepEqual(await policyChange(service, 'region', [{ ...accepts[0]!, access: [{ dataset: 'bookings', actions: ['write', 'read'] }] }]), [], 'the same access in another order');
  t.deepEqual(ids(await policyChange(service, 'region', [{ ...accepts[0]!, access: [{ dataset: 'bookings', actions: ['read'] }] }])), ['app-a', 'app-b'], 'altered');
  t.deepEqual(ids(await policyChange(service, 'region', [])), ['app-a', 'app-b'], 'removed: tightening is a change too');
  t.deepEqual(ids(await policyChange(service, 'region', [...accepts, { frameworkId: 'fw', purpose: 'health-records', access: [{ dataset: 'bookings', actions: ['read'] }] }])), ['app-c'], 'added');
  t.deepEqual(ids(await policyChange(service, 'kommun', accepts)), ['app-a', 'app-b'], 'a first policy');
});

test('a controller\'s data sets are about what it approved and the purposes it accepts; its name about nothing', async (t) => {
  t.deepEqual(await controllerChange(service, 'region', ['lab-results', 'bookings']), [], 'the same data sets');
  t.deepEqual(ids(await controllerChange(service, 'region', ['bookings'])), ['app-a', 'app-b', 'app-c'], 'approved app-c; accepts self-care');
  t.deepEqual(ids(await controllerChange(service, 'kommun', ['bookings'])), ['app-a'], 'approved app-a; no policy');
  await t.throwsAsync(controllerChange(service, 'nope', []), { instanceOf: RegistryError });
});

test('a change about no product says why', async (t) => {
  const none = aboutNoProduct('a role names a person');
  t.is(none.why, 'a role names a person');
  t.deepEqual(await none(), []);
});
