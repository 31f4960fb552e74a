// Which of BankID's recommended user messages a person sees, for every documented hintCode and error
// code, in both languages.
import test from 'ava';
import { RFA_MESSAGES, userMessage, type UserMessageCode, type UserMessageInput } from '../../../src/federation/bankid/messages.ts';

interface Case {
  input: UserMessageInput;
  code: UserMessageCode;
}

const cases: Record<string, Case> = {
  'pending outstandingTransaction, QR': { input: { status: 'pending', hintCode: 'outstandingTransaction', qr: true }, code: 'RFA1' },
  'pending outstandingTransaction, same device': { input: { status: 'pending', hintCode: 'outstandingTransaction', qr: false }, code: 'RFA13' },
  'pending outstandingTransaction, mode unknown': { input: { status: 'pending', hintCode: 'outstandingTransaction' }, code: 'RFA1' },
  'pending noClient': { input: { status: 'pending', hintCode: 'noClient', qr: false }, code: 'RFA1' },
  'pending started': { input: { status: 'pending', hintCode: 'started', qr: false }, code: 'RFA15B' },
  'pending userMrtd': { input: { status: 'pending', hintCode: 'userMrtd', qr: true }, code: 'RFA23' },
  'pending userSign': { input: { status: 'pending', hintCode: 'userSign', qr: true }, code: 'RFA9' },
  'pending unknown hintCode': { input: { status: 'pending', hintCode: 'somethingNew' }, code: 'RFA21' },
  'pending without hintCode': { input: { status: 'pending' }, code: 'RFA21' },
  'failed expiredTransaction': { input: { status: 'failed', hintCode: 'expiredTransaction', qr: true }, code: 'RFA8' },
  'failed certificateErr': { input: { status: 'failed', hintCode: 'certificateErr' }, code: 'RFA16' },
  'failed userCancel': { input: { status: 'failed', hintCode: 'userCancel', qr: true }, code: 'RFA6' },
  'failed cancelled': { input: { status: 'failed', hintCode: 'cancelled' }, code: 'RFA3' },
  'failed startFailed, QR': { input: { status: 'failed', hintCode: 'startFailed', qr: true }, code: 'RFA17B' },
  'failed startFailed, same device': { input: { status: 'failed', hintCode: 'startFailed', qr: false }, code: 'RFA17A' },
  'failed unknown hintCode': { input: { status: 'failed', hintCode: 'somethingNew' }, code: 'RFA22' },
  'error alreadyInProgress': { input: { status: 'failed', errorCode: 'alreadyInProgress' }, code: 'RFA4' },
  'error requestTimeout': { input: { status: 'failed', errorCode: 'requestTimeout' }, code: 'RFA5' },
  'error maintenance': { input: { status: 'failed', errorCode: 'maintenance' }, code: 'RFA5' },
  'error internalError': { input: { status: 'failed', errorCode: 'internalError' }, code: 'RFA5' },
  'client timeout': { input: { status: 'failed', errorCode: 'timeout' }, code: 'RFA5' },
  'client network': { input: { status: 'failed', errorCode: 'network' }, code: 'RFA5' },
  'error invalidParameters': { input: { status: 'failed', errorCode: 'invalidParameters' }, code: 'RFA22' },
  'error unauthorized': { input: { status: 'failed', errorCode: 'unauthorized' }, code: 'RFA22' },
  'error notFound': { input: { status: 'failed', errorCode: 'notFound' }, code: 'RFA22' },
  'client badResponse': { input: { status: 'failed', errorCode: 'badResponse' }, code: 'RFA22' },
  'an error wins over a pending status': { input: { status: 'pending', hintCode: 'userSign', errorCode: 'maintenance' }, code: 'RFA5' },
  complete: { input: { status: 'complete' }, code: 'complete' },
};

for (const [name, c] of Object.entries(cases)) {
  for (const locale of ['sv', 'en'] as const) {
    test(`${name} (${locale}) -> ${c.code}`, (t) => {
      const message = userMessage(c.input, locale);
      t.is(message.code, c.code);
      t.is(message.text, RFA_MESSAGES[message.code][locale]);
      t.true(message.text.length > 5);
    });
  }
}

// The sentences people know from every BankID service; a typo here is a visible defect.
const verbatim: Array<[UserMessageInput, 'sv' | 'en', string]> = [
  [{ status: 'pending', hintCode: 'outstandingTransaction', qr: true }, 'sv', 'Starta BankID-appen.'],
  [{ status: 'pending', hintCode: 'outstandingTransaction', qr: false }, 'sv', 'Försöker starta BankID-appen.'],
  [{ status: 'pending', hintCode: 'userSign' }, 'sv', 'Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.'],
  [{ status: 'pending', hintCode: 'userSign' }, 'en', 'Enter your security code in the BankID app and select Identify or Sign.'],
  [{ status: 'failed', hintCode: 'userCancel' }, 'sv', 'Åtgärden avbröts.'],
  [{ status: 'failed', hintCode: 'expiredTransaction' }, 'sv', 'BankID-appen svarar inte. Kontrollera att den är startad och att du har internetanslutning. Försök sedan igen.'],
  [{ status: 'failed', errorCode: 'alreadyInProgress' }, 'sv', 'En identifiering eller underskrift pågår redan för ditt personnummer. Försök igen.'],
  [{ status: 'failed', hintCode: 'startFailed', qr: true }, 'en', 'Failed to scan the QR code. Start the BankID app and scan the QR code.'],
];

test('the most common messages are BankID’s own wording', (t) => {
  for (const [input, locale, text] of verbatim) t.is(userMessage(input, locale).text, text);
});

test('every message exists in Swedish and English, and they differ', (t) => {
  for (const [code, texts] of Object.entries(RFA_MESSAGES)) {
    t.truthy(texts.sv, code);
    t.truthy(texts.en, code);
    t.not(texts.sv, texts.en, code);
  }
});
