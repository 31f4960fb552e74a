// The population register: the sandbox's records from the personas, the cache's bound on the
// injectable clock (a changed record is seen once the bound has passed, never later), errors that are
// never cached, and production refusing the sandbox's register.
import test from 'ava';
import { ManualClock } from '../../src/clock.ts';
import { ConfigError, loadConfig, parseConfig, productionProblems } from '../../src/config.ts';
import { ageOn, luhnCheckDigit, parseIdentityNumber } from '../../src/personnummer.ts';
import { CachedRegister, MAX_REGISTER_AGE_SECONDS } from '../../src/citizens/register/cache.ts';
import { SandboxRegister } from '../../src/citizens/register/sandbox.ts';
import { isProtected, RegisterUnavailable } from '../../src/citizens/register/register.ts';
import { openPopulationRegister, registerSource } from '../../src/citizens/register/index.ts';
import { startGateway } from '../../src/gateway.ts';

const ANNA = '198003121236';
const BERTIL = '197501012343';
const CECILIA = '199006153457';
const ELLA = '201504054568';
const FILIP = '201209205671';
const IVAR = '198509629013';
const DIANA = '198307222466';
const KALLE = '201603102482';
const facts = { generatedKeys: false, generatedSecrets: false };

const cached = (maxAgeSeconds = 3600, maxEntries = 1000) => {
  const sandbox = SandboxRegister.fromFile();
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 12));
  return { sandbox, clock, register: new CachedRegister(sandbox, { clock, maxAgeSeconds, maxEntries }) };
};

test('the sandbox register describes a persona as Navet would: name, birth date, address, contact', async (t) => {
  const anna = await SandboxRegister.fromFile().lookup(ANNA);
  t.like(anna, { personalNumber: ANNA, coordinationNumber: false, birthDate: '1980-03-12', givenName: 'Anna', surname: 'Andersson', name: 'Anna Andersson' });
  t.deepEqual(anna?.address, { streetAddress: 'Storgatan 1', postalCode: '111 22', locality: 'Stockholm', country: 'SE' });
  t.deepEqual(anna?.contact, { email: 'anna.andersson@example.se', phoneNumber: '+46701000001' });
  t.is(anna?.deceased, undefined);
  t.false(isProtected(anna ?? { protection: 'sekretessmarkering' }));
});

test('protected identity, a coordination number and the birth date inside it', async (t) => {
  const register = SandboxRegister.fromFile();
  const cecilia = await register.lookup(CECILIA);
  t.is(cecilia?.protection, 'sekretessmarkering');
  t.true(isProtected(cecilia ?? {}));
  const ivar = await register.lookup(IVAR);
  t.true(ivar?.coordinationNumber);
  t.is(ivar?.birthDate, '1985-09-02', 'a samordningsnummer adds 60 to the day');
});

test('guardianship from both ends, and a guardianship blocked under LVU', async (t) => {
  const register = SandboxRegister.fromFile();
  t.deepEqual((await register.lookup(BERTIL))?.custodyOf, [{ personalNumber: ELLA }, { personalNumber: FILIP }]);
  t.deepEqual((await register.lookup(ELLA))?.guardians, [{ personalNumber: BERTIL }]);
  t.deepEqual((await register.lookup(ANNA))?.custodyOf, []);
  t.deepEqual((await register.lookup(DIANA))?.custodyOf, [{ personalNumber: KALLE, blocked: 'lvu' }]);
  t.deepEqual((await register.lookup(KALLE))?.guardians, [{ personalNumber: DIANA, blocked: 'lvu' }]);
});

test('an unknown or malformed number is nobody, not an error', async (t) => {
  const register = SandboxRegister.fromFile();
  t.is(await register.lookup('191212121212'), undefined);
  for (const bad of ['', '19800312123', 'x'.repeat(12), '../../etc/passwd', '198003121236 ']) t.is(await register.lookup(bad), undefined, bad);
});

test('what a caller does with an answer never changes the register or the cache', async (t) => {
  const { register, sandbox } = cached();
  const first = await register.lookup(CECILIA);
  if (!first) return t.fail();
  delete first.protection;
  first.custodyOf.push({ personalNumber: ANNA });
  t.is((await register.lookup(CECILIA))?.protection, 'sekretessmarkering');
  t.deepEqual((await register.lookup(CECILIA))?.custodyOf, []);
  t.is((await sandbox.lookup(CECILIA))?.protection, 'sekretessmarkering');
});

test('a fixture with an unknown child or an invalid number is refused', (t) => {
  const anna = { id: 'anna', personalNumber: ANNA, givenName: 'Anna', surname: 'A' };
  t.throws(() => new SandboxRegister({ citizens: [{ ...anna, guardianOf: ['nobody'] }] }), { message: /unknown persona nobody/ });
  t.throws(() => new SandboxRegister({ citizens: [{ ...anna, personalNumber: '198003121237' }] }));
  t.throws(() => new SandboxRegister({ citizens: [{ ...anna, guardianOf: [{ id: 'anna', blocked: 'maybe' as 'lvu' }] }] }));
});

test('the cache answers from memory within its bound', async (t) => {
  const { register, sandbox, clock } = cached(600);
  await register.lookup(ANNA);
  clock.advance(599_000);
  await register.lookup(ANNA);
  t.is(sandbox.lookups, 1);
});

test('a protection mark set in the register is served stale at most until the bound, and seen from then on', async (t) => {
  const { register, sandbox, clock } = cached(3600);
  t.is((await register.lookup(ANNA))?.protection, undefined);
  sandbox.update(ANNA, { protection: 'skyddad-folkbokforing' });
  clock.advance(3600_000 - 1);
  t.is((await register.lookup(ANNA))?.protection, undefined, 'within the bound the cached answer may still be used');
  clock.advance(1);
  t.is((await register.lookup(ANNA))?.protection, 'skyddad-folkbokforing', 'at the bound the register is asked again');
  t.is(sandbox.lookups, 2);
  // And lifted again: the same bound.
  sandbox.update(ANNA, { protection: null });
  clock.advance(3600_000);
  t.is((await register.lookup(ANNA))?.protection, undefined);
});

test('the default bound is an hour and the 24 h ceiling holds whatever is configured', async (t) => {
  t.is(parseConfig({}).register.cacheMaxAgeSeconds, 3600);
  t.is(parseConfig({ register: { cacheMaxAgeSeconds: 86_400 } }).register.cacheMaxAgeSeconds, MAX_REGISTER_AGE_SECONDS);
  for (const bad of [86_401, 0, -1, 1.5, 'a day']) {
    const err = t.throws(() => loadConfig({ env: {}, overrides: { register: { cacheMaxAgeSeconds: bad } } }), { instanceOf: ConfigError }, String(bad));
    t.regex(err?.message ?? '', /register\.cacheMaxAgeSeconds/);
  }
  const sandbox = SandboxRegister.fromFile();
  t.throws(() => new CachedRegister(sandbox, { clock: new ManualClock(), maxAgeSeconds: 86_401, maxEntries: 10 }), { instanceOf: RangeError });
  // At the ceiling: a day later the register is asked again.
  const { register, sandbox: s, clock } = cached(MAX_REGISTER_AGE_SECONDS);
  await register.lookup(CECILIA);
  s.update(CECILIA, { protection: null });
  clock.advance(24 * 3600_000);
  t.is((await register.lookup(CECILIA))?.protection, undefined);
});

test('a child turning 16: the custody ending in the register is seen within the bound; the age follows the clock', async (t) => {
  const { register, sandbox, clock } = cached(900);
  const before = await register.lookup(BERTIL);
  t.true(before?.custodyOf.some((c) => c.personalNumber === FILIP));
  sandbox.endGuardianship(BERTIL, FILIP);
  sandbox.update(FILIP, { birthDate: '2010-11-30' }); // a test's way of making Filip 16 today
  clock.advance(900_000);
  t.false((await register.lookup(BERTIL))?.custodyOf.some((c) => c.personalNumber === FILIP));
  const filip = await register.lookup(FILIP);
  t.deepEqual(filip?.guardians, []);
  t.is(ageOn({ value: FILIP, kind: 'personnummer', birthDate: filip?.birthDate ?? '' }, clock.now()), 16);
  // Ella's age comes from her number and the caller's clock, not from anything cached.
  const ella = parseIdentityNumber(ELLA);
  if (!ella) return t.fail();
  t.is(ageOn(ella, clock.now()), 11);
});

test('a guardianship blocked in the register (LVU) is seen within the bound', async (t) => {
  const { register, sandbox, clock } = cached(60);
  t.deepEqual((await register.lookup(ELLA))?.guardians, [{ personalNumber: BERTIL }]);
  sandbox.setGuardianship(BERTIL, ELLA, 'lvu');
  clock.advance(60_000);
  t.deepEqual((await register.lookup(ELLA))?.guardians, [{ personalNumber: BERTIL, blocked: 'lvu' }]);
  t.deepEqual((await register.lookup(BERTIL))?.custodyOf, [{ personalNumber: FILIP }, { personalNumber: ELLA, blocked: 'lvu' }]);
});

test('an unavailable register throws RegisterUnavailable, is never cached, and is asked again next time', async (t) => {
  const { register, sandbox } = cached();
  sandbox.unavailable = true;
  await t.throwsAsync(register.lookup(ANNA), { instanceOf: RegisterUnavailable });
  sandbox.unavailable = false;
  t.is((await register.lookup(ANNA))?.givenName, 'Anna');
  t.is(sandbox.lookups, 2);
});

test('nobody by a number is cached under the same bound', async (t) => {
  const { register, sandbox, clock } = cached(60);
  t.is(await register.lookup('191212121212'), undefined);
  t.is(await register.lookup('191212121212'), undefined);
  t.is(sandbox.lookups, 1);
  clock.advance(60_000);
  await register.lookup('191212121212');
  t.is(sandbox.lookups, 2);
});

test('concurrent lookups of one person make one register call', async (t) => {
  const { register, sandbox } = cached();
  const answers = await Promise.all([register.lookup(ANNA), register.lookup(ANNA), register.lookup(ANNA)]);
  t.is(sandbox.lookups, 1);
  t.true(answers.every((a) => a?.givenName === 'Anna'));
});

test('a clock that went back makes the answer stale, and the cache holds at most maxEntries', async (t) => {
  const { register, sandbox, clock } = cached(3600, 2);
  await register.lookup(ANNA);
  clock.advance(-1);
  await register.lookup(ANNA);
  t.is(sandbox.lookups, 2);
  await register.lookup(BERTIL);
  await register.lookup(CECILIA);
  t.is(register.size, 2);
  await register.lookup(ANNA); // the oldest went first
  t.is(sandbox.lookups, 5);
  register.invalidate(ANNA);
  await register.lookup(ANNA);
  t.is(sandbox.lookups, 6);
});

test('production refuses the sandbox register; unset, production has none and every lookup is unavailable', async (t) => {
  const refused = loadConfig({ env: { NODE_ENV: 'production', GATEWAY__register__source: 'sandbox' } });
  t.regex(productionProblems(refused, facts).join('\n'), /register\.source: the sandbox population register .* cannot run in production/);
  t.throws(() => openPopulationRegister(refused, new ManualClock()), { message: /production refuses the sandbox population register/ });
  const unset = loadConfig({ env: { NODE_ENV: 'production' } });
  t.false(productionProblems(unset, facts).some((p) => p.startsWith('register')));
  t.is(registerSource(unset), 'none');
  const { register, sandbox } = openPopulationRegister(unset, new ManualClock());
  t.is(sandbox, undefined);
  await t.throwsAsync(register.lookup(ANNA), { instanceOf: RegisterUnavailable });
  t.is(registerSource(loadConfig({ env: {} })), 'sandbox');
  t.throws(() => loadConfig({ env: { GATEWAY__register__source: 'navet-please' } }), { instanceOf: ConfigError, message: /register\.source/ });
});

test('a production gateway configured with the sandbox register does not start', async (t) => {
  const config = loadConfig({ env: { NODE_ENV: 'production', GATEWAY__register__source: 'sandbox' }, overrides: { http: { port: 0 } } });
  const err = await t.throwsAsync(startGateway(config, { issuerFromListen: true }), { instanceOf: ConfigError });
  t.true((err as ConfigError).problems.some((p) => p.startsWith('register.source')));
});

test('a death registered is seen within the bound, and can be undone in the sandbox', async (t) => {
  const { register, sandbox, clock } = cached(120);
  t.is((await register.lookup(ANNA))?.deceased, undefined);
  sandbox.update(ANNA, { deceased: '2026-11-30' });
  clock.advance(120_000);
  t.is((await register.lookup(ANNA))?.deceased, '2026-11-30');
  sandbox.update(ANNA, { deceased: null });
  clock.advance(120_000);
  t.is((await register.lookup(ANNA))?.deceased, undefined);
});

test('a test adds a person the personas lack; a bad or duplicate number is refused', async (t) => {
  const register = SandboxRegister.fromFile();
  const young = `20141212123${luhnCheckDigit('141212123')}`;
  register.add(young, 'Ung', 'Person', { protection: 'skyddad-folkbokforing' });
  const added = await register.lookup(young);
  t.like(added, { birthDate: '2014-12-12', givenName: 'Ung', protection: 'skyddad-folkbokforing', guardians: [], custodyOf: [] });
  t.throws(() => register.add(`20141212123${(luhnCheckDigit('141212123') + 1) % 10}`), { message: /not a valid/ });
  t.throws(() => register.add(ANNA), { message: /already/ });
  t.throws(() => register.update('191212121212', { givenName: 'x' }), { message: /no such person/ });
});

test('the sandbox may run without a register too (source none): every lookup is unavailable', async (t) => {
  const config = loadConfig({ env: { GATEWAY__register__source: 'none' } });
  t.deepEqual(productionProblems(config, facts), []);
  const parts = openPopulationRegister(config, new ManualClock());
  t.is(parts.sandbox, undefined);
  await t.throwsAsync(parts.register.lookup(ANNA), { instanceOf: RegisterUnavailable });
  t.is(parts.cache.size, 0, 'an unanswered question is not cached');
});
