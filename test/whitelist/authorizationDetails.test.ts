// authorization_details from live approvals, and narrowing that can never widen.
import test from 'ava';
import { detailsFromLive, narrow, withinLive, requestedDetailSchema } from '../../src/whitelist/authorizationDetails.ts';
import type { LiveApproval } from '../../src/whitelist/liveApprovals.ts';

const live: LiveApproval[] = [
  { controllerId: 'region-a', controllerOrgNumber: '1', purpose: 'p', basis: 'own_review', access: [{ dataset: 'bookings', actions: ['read', 'write'] }, { dataset: 'vaccinations', actions: ['read'] }] },
  { controllerId: 'kommun-b', controllerOrgNumber: '2', purpose: 'p', basis: 'policy', access: [{ dataset: 'bookings', actions: ['read'] }] },
  { controllerId: 'region-c', controllerOrgNumber: '3', purpose: 'p', basis: 'own_review', access: [{ dataset: 'bookings', actions: ['read'] }] },
];

test('one detail per data set and action set, listing exactly the controllers behind it', (t) => {
  t.deepEqual(detailsFromLive(live), [
    { type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['kommun-b', 'region-c'] },
    { type: 'dataset_access', dataset: 'bookings', actions: ['read', 'write'], controllers: ['region-a'] },
    { type: 'dataset_access', dataset: 'vaccinations', actions: ['read'], controllers: ['region-a'] },
  ]);
});

test('narrowing keeps only what was asked for and what is live', (t) => {
  const all = detailsFromLive(live);
  t.deepEqual(narrow(all, undefined), all, 'no request: everything live');
  t.deepEqual(narrow(all, [{ type: 'dataset_access', dataset: 'bookings', actions: ['write'] }]), [
    { type: 'dataset_access', dataset: 'bookings', actions: ['write'], controllers: ['region-a'] },
  ]);
  t.deepEqual(narrow(all, [{ type: 'dataset_access', dataset: 'bookings', controllers: ['kommun-b', 'region-x'] }]), [
    { type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['kommun-b'] },
  ], 'an unapproved controller is never added');
  t.deepEqual(narrow(all, [{ type: 'dataset_access', dataset: 'lab-results' }]), [], 'an unapproved data set is never added');
});

test('withinLive refuses any request that would widen', (t) => {
  const all = detailsFromLive(live);
  t.true(withinLive(all, { type: 'dataset_access', dataset: 'bookings', actions: ['read'] }));
  t.true(withinLive(all, { type: 'dataset_access', dataset: 'bookings', actions: ['write'], controllers: ['region-a'] }));
  t.false(withinLive(all, { type: 'dataset_access', dataset: 'bookings', actions: ['write'], controllers: ['kommun-b'] }));
  t.false(withinLive(all, { type: 'dataset_access', dataset: 'vaccinations', actions: ['write'] }));
  t.false(withinLive(all, { type: 'dataset_access', dataset: 'lab-results' }));
  t.false(withinLive(all, { type: 'dataset_access', dataset: 'bookings', controllers: ['region-x'] }));
});

test('requests with unknown fields or odd values do not parse', (t) => {
  t.false(requestedDetailSchema.safeParse({ type: 'dataset_access', dataset: 'bookings', patients: ['all'] }).success);
  t.false(requestedDetailSchema.safeParse({ type: 'dataset_access', dataset: '../etc' }).success);
  t.false(requestedDetailSchema.safeParse({ type: 'dataset_access', dataset: 'bookings', actions: ['delete'] }).success);
});
