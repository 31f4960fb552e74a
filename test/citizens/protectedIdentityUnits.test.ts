// Protected identity, piece by piece: the register's answer as a status that fails closed, what may be
// released, the field filter the enforcement proxy uses, the claims an account releases, and the
// configuration of the field lists.
import test from 'ava';
import { ConfigError, loadConfig, parseConfig } from '../../src/config.ts';
import { DEFAULT_PROTECTED_FIELDS, ProtectedIdentity, fieldSet, releasableContact, stripFields } from '../../src/citizens/protectedIdentity.ts';
import { RegisterUnavailable, type PopulationRegister } from '../../src/citizens/register/register.ts';
import { SandboxRegister } from '../../src/citizens/register/sandbox.ts';
import { accountClaims, scopeClaims, PROTECTED_IDENTITY_CLAIM } from '../../src/idp/claims.ts';
import type { CitizenRecord, StaffRecord } from '../../src/idp/accounts.ts';

const ANNA = '198003121236';
const CECILIA = '199006153457';
const register = SandboxRegister.fromFile();
const protection = new ProtectedIdentity(register);
const throwing = (err: Error): PopulationRegister => ({ lookup: async () => { throw err; } });

const citizen = (personalNumber: string): CitizenRecord => ({ kind: 'citizen', personalNumber, coordinationNumber: false, givenName: 'G', surname: 'S', name: 'G S' });

test('status: marked, unmarked, unknown and unavailable; only unmarked is unprotected', async (t) => {
  t.like(await protection.status(CECILIA), { protected: true, basis: 'register_marked' });
  t.like(await protection.status(ANNA), { protected: false, basis: 'register_unmarked' });
  t.like(await protection.status('191212121212'), { protected: true, basis: 'not_in_register' });
  t.like(await protection.status('not a number'), { protected: true, basis: 'not_in_register' });
  t.deepEqual(await new ProtectedIdentity(throwing(new RegisterUnavailable())).status(ANNA), { protected: true, basis: 'register_unavailable' });
  t.deepEqual(await new ProtectedIdentity(throwing(new TypeError('bug'))).status(ANNA), { protected: true, basis: 'register_unavailable' }, 'any failure fails closed');
});

test('releasableContact: the register\'s address and contact for an unmarked person, nothing otherwise', async (t) => {
  t.like(releasableContact(await protection.status(ANNA)), { address: { locality: 'Stockholm' }, contact: { email: 'anna.andersson@example.se' } });
  t.deepEqual(releasableContact(await protection.status(CECILIA)), {});
  const marked = await protection.status(CECILIA);
  // A status that says unprotected but whose basis is not the register's "unmarked" releases nothing either.
  t.deepEqual(releasableContact({ ...marked, protected: false }), {});
  t.deepEqual(releasableContact({ protected: false, basis: 'register_unavailable' }), {});
});

test('stripFields: named fields at any depth, in arrays, in any case; the input is left as it was', (t) => {
  const input = {
    name: 'X', Address: { street: 'a' }, items: [{ id: 1, phoneNumber: '+46' }, { id: 2, nested: { TELECOM: [1], keep: true } }], n: 3, nil: null, list: ['email'],
  };
  const copy = structuredClone(input);
  const { value, removed } = stripFields(input, fieldSet(DEFAULT_PROTECTED_FIELDS));
  t.deepEqual(value, { name: 'X', items: [{ id: 1 }, { id: 2, nested: { keep: true } }], n: 3, nil: null, list: ['email'] });
  t.is(removed, 3);
  t.deepEqual(input, copy);
  t.deepEqual(stripFields('plain', fieldSet(['x'])), { value: 'plain', removed: 0 });
  t.deepEqual(stripFields([{ smsReminderTo: 1 }], fieldSet(['SMSreminderTO'])).value, [{}]);
});

test('accountClaims: address, email and phone for an unprotected citizen; the flag instead for a protected or unvouched one', async (t) => {
  const anna = accountClaims(citizen(ANNA), undefined, await protection.status(ANNA));
  t.deepEqual(anna.address, { street_address: 'Storgatan 1', postal_code: '111 22', locality: 'Stockholm', country: 'SE' });
  t.is(anna.email, 'anna.andersson@example.se');
  t.is(anna.phone_number, '+46701000001');
  t.false(PROTECTED_IDENTITY_CLAIM in anna);
  for (const status of [await protection.status(CECILIA), { protected: true, basis: 'register_unavailable' } as const, await protection.status('191212121212')]) {
    const claims = accountClaims(citizen(CECILIA), undefined, status);
    t.is(claims[PROTECTED_IDENTITY_CLAIM], true, status.basis);
    for (const c of ['address', 'email', 'phone_number']) t.false(c in claims, `${status.basis}: ${c}`);
  }
  // Without the register wired in nothing comes from it.
  t.false('address' in accountClaims(citizen(ANNA), undefined));
  const staff: StaffRecord = { kind: 'staff', hsaId: 'SE2321000016-A1B2', givenName: 'S', surname: 'S', name: 'S S', personalNumber: CECILIA, coordinationNumber: false };
  const staffClaims = accountClaims(staff, undefined, await protection.status(CECILIA));
  t.false(PROTECTED_IDENTITY_CLAIM in staffClaims, 'staff sign-ins release no register data, so carry no flag');
  t.false('address' in staffClaims);
});

test('the scopes that release them, and the flag under openid', (t) => {
  t.deepEqual(scopeClaims.address, ['address']);
  t.deepEqual(scopeClaims.email, ['email']);
  t.deepEqual(scopeClaims.phone, ['phone_number']);
  t.true(scopeClaims.openid?.includes(PROTECTED_IDENTITY_CLAIM));
});

test('field lists: the register\'s default, a data set\'s own beside it; bad lists are refused with the field named', (t) => {
  const config = parseConfig({});
  t.true(config.register.protectedFields.includes('telecom'));
  t.deepEqual(config.datasets.find((d) => d.id === 'bookings')?.protectedFields, ['smsReminderTo']);
  const custom = parseConfig({ datasets: [{ id: 'care-plans', names: { sv: 'V', en: 'C' }, sensitivity: 'high', actions: ['read'], protectedFields: ['nextOfKin'] }] });
  t.deepEqual(custom.datasets[0]?.protectedFields, ['nextOfKin']);
  const empty = t.throws(() => loadConfig({ env: {}, overrides: { register: { protectedFields: [] } } }), { instanceOf: ConfigError });
  t.regex(empty?.message ?? '', /register\.protectedFields/);
  const blank = t.throws(() => loadConfig({ env: {}, overrides: { datasets: [{ id: 'care-plans', names: { sv: 'V', en: 'C' }, sensitivity: 'high', actions: ['read'], protectedFields: [''] }] } }), { instanceOf: ConfigError });
  t.regex(blank?.message ?? '', /datasets\.0\.protectedFields\.0/);
});
