// The CRL reloader on its own: the timer re-reads the files on schedule, the sandbox hook runs before
// each read, and a failed read leaves the verifier's CRLs as they were.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildCrl } from '../../../src/federation/mtls/crl.ts';
import { CrlReloader } from '../../../src/federation/sithsCard/crlReloader.ts';
import { DAY_MS } from '../../../certs/pki.ts';
import { siths, verifier } from '../mtls/fixtures.ts';
import { logSink } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'siths-reloader-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

async function crlNumbered(n: number): Promise<string> {
  const f = await siths();
  const now = Date.now();
  return buildCrl({ issuerCertificate: f.text('issuingCaCert'), issuerKey: f.issuing.key, revoked: [], thisUpdate: new Date(now - 60_000), nextUpdate: new Date(now + DAY_MS), crlNumber: n }).pem;
}

const crlNumber = (v: ReturnType<typeof verifier>): string | undefined => v.crlStatus()[0]?.crlNumber;

test('the timer re-reads the CRL files every interval', async (t) => {
  const f = await siths();
  const file = join(dir, 'timer.crl');
  writeFileSync(file, await crlNumbered(10));
  const v = verifier(f, undefined, { crls: [await crlNumbered(10)] });
  const reloader = new CrlReloader({ verifier: v, crlFiles: [file], intervalSeconds: 0.05, logger: logSink().logger });
  reloader.start();
  t.teardown(() => reloader.stop());
  writeFileSync(file, await crlNumbered(11));
  for (let i = 0; i < 40 && crlNumber(v) !== '11'; i += 1) await new Promise((r) => setTimeout(r, 25));
  t.is(crlNumber(v), '11');
  reloader.stop();
  // A read the last tick began may still land; after that, nothing more is read.
  await new Promise((r) => setTimeout(r, 150));
  writeFileSync(file, await crlNumbered(12));
  await new Promise((r) => setTimeout(r, 250));
  t.is(crlNumber(v), '11', 'stopped means stopped');
});

test('the hook runs before each read; a failing hook or file keeps the CRLs in use', async (t) => {
  const f = await siths();
  const file = join(dir, 'hook.crl');
  writeFileSync(file, await crlNumbered(20));
  const v = verifier(f, undefined, { crls: [await crlNumbered(20)] });
  let calls = 0;
  let fail = false;
  const sink = logSink();
  const reloader = new CrlReloader({
    verifier: v,
    crlFiles: [file],
    intervalSeconds: 3600,
    logger: sink.logger,
    beforeRead: async () => {
      calls += 1;
      if (fail) throw new Error('cannot re-sign');
      writeFileSync(file, await crlNumbered(20 + calls));
    },
  });
  t.true(await reloader.reload());
  t.is(calls, 1);
  t.is(crlNumber(v), '21');
  fail = true;
  t.false(await reloader.reload());
  t.is(crlNumber(v), '21');
  t.true(sink.text().includes('"reason":"crl_reload_failed"'));
  fail = false;
  // Two ticks at once share one reload.
  const [a, b] = [reloader.reload(), reloader.reload()];
  t.is(a, b);
  t.true(await a);
  t.is(calls, 3);
  t.is(crlNumber(v), '23');
});

test('a file that is not a CRL is not taken', async (t) => {
  const f = await siths();
  const file = join(dir, 'garbage.crl');
  writeFileSync(file, 'not a CRL');
  const v = verifier(f, undefined, { crls: [await crlNumbered(30)] });
  const reloader = new CrlReloader({ verifier: v, crlFiles: [file], intervalSeconds: 3600, logger: logSink().logger });
  t.false(await reloader.reload());
  t.is(crlNumber(v), '30');
  rmSync(file);
  t.false(await reloader.reload(), 'nor a missing one');
  t.is(crlNumber(v), '30');
});
