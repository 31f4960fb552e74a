// English: the Freja eID wait page's own texts.
import type { KeysOf } from '../catalogue.ts';
import type { freja as sv } from '../sv/freja.ts';

export const freja: KeysOf<typeof sv> = {
  scanTitle: 'How to scan the QR code',
  scanStep1: 'Open the Freja app on your phone.',
  scanStep2: 'Tap Scan QR code in the app.',
  scanStep3: 'Point the camera at the QR code here.',
  sameDevice: 'Have Freja on this device? Open Freja here instead',
  otherDevice: 'Have Freja on another device? Show a QR code instead',
  levelTooLow: 'Freja eID does not reach the level of security the app requires. Choose another e-ID.',
};
