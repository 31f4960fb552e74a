import test from 'ava';
import { parseIdentityNumber, luhnCheckDigit } from '../../src/personnummer.ts';

test('runs on the project Node LTS, not the system Node 20', (t) => {
  const major = Number(process.versions.node.split('.')[0]);
  t.true(major === 22 || major === 24, `process.version is ${process.version}`);
});

test('personnummer: Luhn check digit and coordination numbers', (t) => {
  t.is(luhnCheckDigit('800312123'), 6);
  t.is(parseIdentityNumber('198003121236')?.kind, 'personnummer');
  t.is(parseIdentityNumber('198509629013')?.kind, 'samordningsnummer');
  t.is(parseIdentityNumber('198003121237'), undefined, 'wrong check digit');
  t.is(parseIdentityNumber('198002301236'), undefined, 'no 30 February');
  t.is(parseIdentityNumber('19800312-1236'), undefined, 'separator');
  t.is(parseIdentityNumber(''), undefined);
});
