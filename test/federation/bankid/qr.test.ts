// The animated QR code: BankID's published test vector, and the simulator's checks of scanned content.
import test from 'ava';
import { parseQrContent, qrContent, verifyQrContent } from '../../../src/federation/bankid/qr.ts';

const order = { qrStartToken: '67df3917-fa0d-44e5-b327-edcc928297f8', qrStartSecret: 'd28db9a7-4cde-429e-a983-359be676944c' };

test("BankID's test vector: 0 seconds", (t) => {
  t.is(
    qrContent(order.qrStartToken, order.qrStartSecret, 0),
    'bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8',
  );
});

test('the code changes every second and carries the seconds in decimal', (t) => {
  const codes = [0, 1, 2, 10, 29].map((s) => qrContent(order.qrStartToken, order.qrStartSecret, s));
  t.is(new Set(codes).size, codes.length);
  t.is(codes[3]!.split('.')[2], '10');
  t.regex(codes[4]!, /^bankid\.[0-9a-f-]{36}\.29\.[0-9a-f]{64}$/);
});

test('refuses negative or fractional seconds', (t) => {
  t.throws(() => qrContent(order.qrStartToken, order.qrStartSecret, -1), { instanceOf: RangeError });
  t.throws(() => qrContent(order.qrStartToken, order.qrStartSecret, 1.5), { instanceOf: RangeError });
});

test('parseQrContent splits valid content and rejects anything else', (t) => {
  t.deepEqual(parseQrContent(qrContent(order.qrStartToken, order.qrStartSecret, 7)), {
    qrStartToken: order.qrStartToken,
    seconds: 7,
    qrAuthCode: qrContent(order.qrStartToken, order.qrStartSecret, 7).split('.')[3]!,
  });
  for (const bad of ['', 'bankid', `bankid.${order.qrStartToken}.0.xyz`, `bankid.${order.qrStartToken}.-1.${'a'.repeat(64)}`, `bankid.${order.qrStartToken}.01.${'a'.repeat(64)}`, `BANKID.${order.qrStartToken}.0.${'a'.repeat(64)}`, `bankid.a.b.0.${'a'.repeat(64)}`]) {
    t.is(parseQrContent(bad), undefined, bad);
  }
});

test('verifyQrContent accepts the genuine code and names what is wrong with others', (t) => {
  const good = qrContent(order.qrStartToken, order.qrStartSecret, 3);
  t.deepEqual(verifyQrContent(good, order), { ok: true, seconds: 3 });

  // Same token and seconds, HMAC from another secret.
  const forged = qrContent(order.qrStartToken, 'another-secret', 3);
  t.deepEqual(verifyQrContent(forged, order), { ok: false, reason: 'badSignature' });

  // A genuine code with the seconds edited: the HMAC no longer fits.
  const edited = good.replace('.3.', '.4.');
  t.deepEqual(verifyQrContent(edited, order), { ok: false, reason: 'badSignature' });

  t.deepEqual(verifyQrContent(qrContent('00000000-0000-0000-0000-000000000000', order.qrStartSecret, 3), order), { ok: false, reason: 'wrongOrder' });
  t.deepEqual(verifyQrContent('not a qr code', order), { ok: false, reason: 'malformed' });
});
