// English: the consent page.
import type { KeysOf } from '../catalogue.ts';
import type { consent as sv } from '../sv/consent.ts';

export const consent: KeysOf<typeof sv> = {
  title: 'Approve sharing of information',
  intro: 'The app {app} will receive the following about you:',
  claimSignIn: 'that you signed in, and with which e-ID',
  claimName: 'your name',
  claimPersonalNumber: 'your personal identity number',
  claimCoordinationNumber: 'your coordination number',
  claimHsaId: 'your HSA-id',
  claimOrganisation: 'your organisation',
  claimAddress: 'your address from the population register',
  claimEmail: 'your e-mail address',
  claimPhone: 'your phone number',
  claimOffline: 'continued access when you are not using the app',
  dataHeading: 'Your information held by care providers',
  dataIntro: 'The app may also, on your behalf:',
  dataLine: '{actions} {dataset}',
  responsible: 'responsible:',
  actionRead: 'read',
  actionWrite: 'change',
  actionReadWrite: 'read and change',
  controllersNote: 'Each care provider or municipality approved the app itself and is responsible for its own information.',
  widened: 'The app reaches more than when you last approved it. What is new is marked.',
  newMark: 'new',
  revokeNote: 'You can revoke the app\'s access at any time on the page',
  accountLink: 'My apps and my information',
  approve: 'Approve and continue',
  cancel: 'Cancel',
};
