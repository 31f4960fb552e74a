// "Personnummer, names, HSA-ids and tokens never appear in logs" and "request ids in every log line"
// (issue 14, item 8), over every line of a whole sign-in-and-decide run at debug level
// (test/helpers/observedRun.ts): the personas' numbers in both forms, their names, the staff's HSA-ids,
// any personnummer- or JWT-shaped string, the run's tokens and codes; and each line after start-up
// says which request or background job it belongs to.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { observedRun, type ObservedRun } from '../helpers/observedRun.ts';

interface Persona { personalNumber: string; givenName: string; surname: string; hsaId?: string }
const personas = JSON.parse(readFileSync(new URL('../../config/sandbox/personas.json', import.meta.url), 'utf8')) as { citizens: Persona[]; staff: Persona[] };
const people = [...personas.citizens, ...personas.staff];

// Twelve digits (with or without the separator) or ten, standing alone: a personnummer or
// samordningsnummer. Millisecond timestamps (13 digits) and ids with letters do not match.
const PERSONNUMMER = /(?<![\w.])(?:\d{8}|\d{6})[-+]?\d{4}(?![\w.])/;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/;

let run: ObservedRun;
test.before(async () => {
  run = await observedRun();
});
test.after.always(async () => {
  await run?.close();
});

test('the run logs no personnummer, name, HSA-id or token', (t) => {
  const text = run.lines.map((l) => JSON.stringify(l)).join('\n');
  t.true(run.lines.length > run.startupLines + 2, 'the run logged');
  t.regex(text, /sign-in completed/, 'the sign-in itself was logged');
  t.regex(text, /token request refused/, 'an error path was logged');
  for (const p of people) {
    t.false(text.includes(p.personalNumber), `a personnummer of the personas (${p.givenName[0]}.)`);
    t.false(text.includes(p.personalNumber.slice(2)), 'a ten-digit personnummer of the personas');
    for (const name of [p.givenName, p.surname]) t.notRegex(text, new RegExp(`\\b${name}\\b`, 'u'), `a persona's name (${name.length} letters)`);
    if (p.hsaId) t.false(text.includes(p.hsaId), 'an HSA-id');
  }
  t.notRegex(text, /SE\d{10}-[A-Z0-9]+/, 'nothing HSA-id-shaped');
  const pnr = PERSONNUMMER.exec(text);
  t.is(pnr, null, `nothing personnummer-shaped: …${pnr ? text.slice(Math.max(0, pnr.index - 40), pnr.index) : ''}`);
  t.notRegex(text, JWT, 'nothing JWT-shaped');
  for (const secret of run.secrets) t.false(text.includes(secret), 'a token or code of the run');
});

test('the checks find what they look for (they can fail)', (t) => {
  const leaked = JSON.stringify({ msg: 'x', who: '19800312-1236', token: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2ln' });
  t.regex(leaked, PERSONNUMMER);
  t.regex(leaked, JWT);
  t.notRegex(JSON.stringify({ time: 1764606000000, jobId: '1234567890ab-cdef' }), PERSONNUMMER);
});

test('every line after start-up carries its request id or its job id', (t) => {
  const after = run.lines.slice(run.startupLines);
  const orphans = after.filter((l) => typeof l.requestId !== 'string' && typeof l.jobId !== 'string');
  t.deepEqual(orphans.map((l) => l.msg), [], 'lines without a request or job id');
  t.true(after.some((l) => typeof l.jobId === 'string' && l.job === 'decision-audit-drain'), 'the decision audit drain logs as a job');
  const requests = new Set(after.map((l) => l.requestId).filter((id) => typeof id === 'string'));
  t.true(requests.size >= 2, `lines of several requests (${requests.size})`);
  t.true(after.some((l) => typeof l.jobId === 'string' && l.job === 'audit-checkpoint'), 'the audit checkpointer logs as a job');
});

test('a line written deep inside a request carries that request\'s own id', (t) => {
  for (const id of run.ownRequestIds) {
    const mine = run.lines.filter((l) => l.requestId === id);
    t.true(mine.length > 0, `the request ${id} logged under its id`);
  }
  const refused = run.lines.find((l) => l.msg === 'token request refused');
  t.is(refused?.requestId, 'observed-token-refused', 'oidc-provider\'s event, logged in its listener, has the id of the request it belongs to');
});
