// English: the BankID wait page's own instructions.
import type { KeysOf } from '../catalogue.ts';
import type { bankid as sv } from '../sv/bankid.ts';

export const bankid: KeysOf<typeof sv> = {
  scanTitle: 'How to scan the QR code',
  scanStep1: 'Open the BankID app on your phone.',
  scanStep2: 'Tap the QR symbol in the app.',
  scanStep3: 'Point the camera at the QR code here.',
  sameDevice: 'Have BankID on this device? Open BankID here instead',
  otherDevice: 'Have BankID on another device? Show a QR code instead',
};
