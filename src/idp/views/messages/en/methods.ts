// English: the method list in plain words.
import type { KeysOf } from '../catalogue.ts';
import type { methods as sv } from '../sv/methods.ts';

export const methods: KeysOf<typeof sv> = {
  'describe.bankid': 'With the BankID app on your phone or computer, or BankID on card.',
  'describe.freja': 'With the Freja app on your phone.',
  'describe.portal-saml': 'Through the national portal\'s sign-in, with the e-ID you usually use there.',
  'describe.siths-saml': 'For people working in health and social care: with the SITHS eID app or your SITHS card.',
  'describe.siths-card': 'For people working in health and social care: with your SITHS card in this computer\'s card reader.',
  'level.2': 'Basic security',
  'level.3': 'High security – enough for information about your care',
  'level.4': 'Very high security',
  levelUpTo: '{level} (depending on how you got the e-ID)',
  'audience.citizen': 'For citizens',
  'audience.staff': 'For people working in health and social care',
};
