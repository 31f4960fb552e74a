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
  'sim.order_not_pending': 'This order is already finished. Go back to the sign-in and choose Start again.',
  'sim.order_not_found': 'The order no longer exists (it may have been cancelled or be too old). Go back to the sign-in and choose Start again.',
  'sim.qr_stale': 'The QR code is no longer current. Copy the latest code from the sign-in page.',
  'sim.qr_malformed': 'That is not a BankID QR code. Copy the code from the sign-in page.',
  'sim.qr_signature_invalid': 'The QR code does not belong to the order. Copy the code from the sign-in page.',
  'sim.order_reference_required': 'Fill in either the autostart token or the QR content.',
  'sim.unknown_persona': 'Choose one of the test persons.',
  'sim.persona_mismatch': 'The order requires another person.',
  'sim.other': 'The simulated app could not do that. Try again.',
};
