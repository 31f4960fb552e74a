// The decision primitive on its own (src/decision.ts): order, first refusal wins, what a check
// establishes reaches later checks, details and thrown refusals, async checks, unexpected errors.
import test from 'ava';
import { checksFor, Pipeline, refuse, Refusal } from '../src/decision.ts';

type Reason = 'too_small' | 'odd' | 'unavailable' | 'not_found';
const { check, asyncCheck } = checksFor<Reason, { limit: number }>();

const parsed = check('parsed', (s: { input: string }) => {
  const n = Number(s.input);
  return Number.isInteger(n) ? { n } : refuse('not_found', 'not an integer');
});
const bigEnough = check('big_enough', (s: { n: number }, ctx) => (s.n >= ctx.limit ? undefined : 'too_small'));
const even = check('even', (s: { n: number }) => (s.n % 2 === 0 ? { half: s.n / 2 } : 'odd'));
const looked = asyncCheck('looked_up', async (s: { half: number }) => {
  await new Promise((r) => setImmediate(r));
  if (s.half === 13) throw new Error('store down');
  return { found: `#${s.half}` };
});

const sync = Pipeline.of<{ input: string }, Reason, { limit: number }>().then(parsed).then(bigEnough).then(even);
const full = sync.then(looked);

test('names lists the checks in order', (t) => {
  t.deepEqual(sync.names, ['parsed', 'big_enough', 'even']);
  t.deepEqual(full.names, ['parsed', 'big_enough', 'even', 'looked_up']);
});

test('a passing run returns the state with everything the checks established', (t) => {
  const v = sync.runSync({ input: '8' }, { limit: 4 });
  t.true(v.ok);
  if (v.ok) t.deepEqual(v.state, { input: '8', n: 8, half: 4 });
});

test('the first refusal ends the run and names its check, with the state so far', (t) => {
  const v = sync.runSync({ input: '2' }, { limit: 4 });
  t.false(v.ok);
  if (!v.ok) {
    t.is(v.check, 'big_enough');
    t.is(v.reason, 'too_small');
    t.is(v.state.n, 2);
    t.is(v.state.half, undefined, 'later checks did not run');
  }
  const odd = sync.runSync({ input: '7' }, { limit: 4 });
  t.like(odd, { ok: false, check: 'even', reason: 'odd' });
});

test('refuse() carries a detail; a thrown Refusal refuses the same way', (t) => {
  t.like(sync.runSync({ input: 'x' }, { limit: 0 }), { ok: false, check: 'parsed', reason: 'not_found', detail: 'not an integer' });
  const thrower = check('thrower', () => { throw new Refusal('odd', 'deep inside'); });
  t.like(Pipeline.of<object, Reason, { limit: number }>().then(thrower).runSync({}, { limit: 0 }), { ok: false, check: 'thrower', reason: 'odd', detail: 'deep inside' });
});

test('async checks run in order; an unexpected error propagates unless the pipeline maps it', async (t) => {
  const v = await full.run({ input: '10' }, { limit: 0 });
  t.true(v.ok);
  if (v.ok) t.is(v.state.found, '#5');
  await t.throwsAsync(full.run({ input: '26' }, { limit: 0 }), { message: 'store down' });
  const mapped = await full.run({ input: '26' }, { limit: 0 }, { unexpected: (_err, name) => refuse('unavailable', name) });
  t.like(mapped, { ok: false, check: 'looked_up', reason: 'unavailable', detail: 'looked_up' });
});

test('runSync refuses a check that answers a promise, and a pipeline cannot hold one name twice', (t) => {
  const sneaky = check('sneaky', (() => Promise.resolve(undefined)) as never);
  t.throws(() => Pipeline.of<object, Reason, { limit: number }>().then(sneaky).runSync({}, { limit: 0 }), { message: /synchronous pipeline/ });
  t.throws(() => sync.then(parsed as never), { message: /named parsed/ });
});

test('the input object is not mutated by a run', (t) => {
  const input = { input: '6' };
  sync.runSync(input, { limit: 0 });
  t.deepEqual(input, { input: '6' });
});

test('a refusal may carry facts for whoever handles it; they join the verdict\'s state', (t) => {
  const found = check('found_but_refused', () => refuse('not_found', 'gone', { seen: 'p1' }));
  const v = Pipeline.of<{ input: string }, Reason, { limit: number }>().then(found).runSync({ input: '' }, { limit: 0 });
  t.like(v, { ok: false, check: 'found_but_refused', reason: 'not_found', detail: 'gone', state: { input: '', seen: 'p1' } });
});

test('an answer shaped like a refusal never passes: it is an error, mapped like any other (fail closed)', async (t) => {
  const oldStyle = check('old_style', (() => ({ check: 'x', code: 'no_role', detail: 'd' })) as never);
  const reasonLike = check('reason_like', (() => ({ reason: 'odd' })) as never);
  const aNumber = check('a_number', (() => 42) as never);
  for (const bad of [oldStyle, reasonLike, aNumber]) {
    const p = Pipeline.of<object, Reason, { limit: number }>().then(bad);
    t.throws(() => p.runSync({}, { limit: 0 }), { message: /refuse with a reason/ }, bad.name);
    t.like(await p.run({}, { limit: 0 }, { unexpected: () => 'unavailable' }), { ok: false, check: bad.name, reason: 'unavailable' });
  }
});
