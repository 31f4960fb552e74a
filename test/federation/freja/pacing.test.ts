// FrejaLogin on its own: Freja is asked for a result at most once per poll interval however often the
// page polls; the identity is handed out once; cancelling and restarting end the transaction at
// Freja; and every status has its message in both languages.
import test from 'ava';
import { ManualClock } from '../../../src/clock.ts';
import { createLogger } from '../../../src/log.ts';
import { MemoryStore } from '../../../src/store/memoryStore.ts';
import type { FrejaClient } from '../../../src/federation/freja/client.ts';
import { FrejaLogin } from '../../../src/federation/freja/login.ts';
import { FREJA_MESSAGES, userMessage } from '../../../src/federation/freja/messages.ts';
import { startFrejaSimulator, type FrejaSimulator } from '../../../src/federation/freja/simulator/server.ts';
import { anna, clientFor, personas, tempCerts } from './fixtures.ts';

const clock = new ManualClock(Date.now());
let sim: FrejaSimulator;
let client: FrejaClient;
let calls = 0;

test.before(async () => {
  sim = await startFrejaSimulator({ port: 0, certs: await tempCerts(), personas, clock });
  client = await clientFor(sim, { clock });
  // Counts the calls that reach Freja; everything else is the real client.
  const getOneResult = client.getOneResult.bind(client);
  client.getOneResult = async (ref: string) => {
    calls += 1;
    return getOneResult(ref);
  };
});
test.after.always(async () => {
  client?.close();
  await sim?.close();
});

const login = () => new FrejaLogin({ client, store: new MemoryStore(clock), clock, logger: createLogger({ level: 'silent' }), pollIntervalMs: 2000 });

test.serial('the page may poll every second; Freja is asked at most every pollIntervalMs', async (t) => {
  const l = login();
  const { authRef } = await l.start('uid-1', 'qr', 'PLUS');
  calls = 0;
  for (let i = 0; i < 6; i += 1) {
    const s = await l.status('uid-1', 'sv');
    t.is(s?.status, 'pending');
    t.is(s?.message.code, 'scanQr');
    t.regex(s?.qr ?? '', new RegExp(`transactionReference=${authRef}$`));
    clock.advance(1000);
  }
  t.is(calls, 3, 'six polls over six seconds, three questions to Freja');
  sim.transactions.act(authRef, 'approve', anna, 'PLUS');
  clock.advance(2000);
  const done = await l.status('uid-1', 'en');
  t.is(done?.status, 'complete');
  t.is(done?.identity?.personalNumber, anna.personalNumber);
  t.is(done?.registrationLevel, 'PLUS');
  t.is(await l.status('uid-1', 'en'), undefined, 'the identity is handed out once; nothing is kept');
});

test.serial('cancelling a finished or unknown sign-in does not call Freja and does not throw', async (t) => {
  const l = login();
  await t.notThrowsAsync(l.cancel('nobody'));
  const { authRef } = await l.start('uid-2', 'autostart', 'EXTENDED');
  await l.cancel('uid-2');
  t.is(sim.transactions.get(authRef)?.status, 'RP_CANCELED');
  t.is(await l.status('uid-2', 'sv'), undefined);
});

test.serial('a new start cancels the earlier transaction, so at most one is alive per interaction', async (t) => {
  const l = login();
  const first = await l.start('uid-3', 'qr', 'PLUS');
  const second = await l.start('uid-3', 'qr', 'PLUS');
  t.is(sim.transactions.get(first.authRef)?.status, 'RP_CANCELED');
  t.is(sim.transactions.get(second.authRef)?.status, 'STARTED');
});

test('every message exists in Swedish and English, and each status and failure has its own', (t) => {
  for (const [code, text] of Object.entries(FREJA_MESSAGES)) {
    t.true(text.sv.length > 10 && text.en.length > 10, code);
    t.not(text.sv, text.en, code);
  }
  const codes = ['STARTED', 'DELIVERED_TO_MOBILE', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELED', 'RP_CANCELED'].map((status) => userMessage({ status, qr: true }, 'sv').code);
  t.deepEqual(codes, ['scanQr', 'confirmInApp', 'approved', 'rejected', 'expired', 'canceled', 'rpCanceled']);
  t.is(userMessage({ status: 'STARTED', qr: false }, 'en').code, 'openApp');
  t.is(userMessage({ status: 'STARTED', errorCode: 'badResult' }, 'en').code, 'unverifiable');
  t.is(userMessage({ status: 'STARTED', errorCode: 'timeout' }, 'sv').text, 'Freja eID svarar inte just nu. Försök igen om en stund.');
  t.is(userMessage({ status: 'SOMETHING_NEW' }, 'en').code, 'failed', 'an unknown status is not taken for success');
});
