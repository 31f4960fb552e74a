// English: acting for someone else (guardians and agents).
import type { KeysOf } from '../catalogue.ts';
import type { representation as sv } from '../sv/representation.ts';

export const representation: KeysOf<typeof sv> = {
  actingFor: 'You are acting for {name} ({age} years)',
  actingForAdult: 'You are acting for {name}',
  chooseTitle: 'Who are you acting for?',
  chooseIntro: 'You can act for yourself, or for someone you are the guardian or agent of.',
  myself: 'Myself',
  asGuardian: 'as guardian',
  asAgent: 'as agent',
  continue: 'Continue',
  refusedTitle: 'You cannot act for that person',
  refusedBody: 'There is no valid authority to act for the person you chose. Choose again or start again from the app.',
  expiredBody: 'The choice has expired. Start again from the app.',
  mandate_bookings: 'bookings',
  mandate_listing: 'listing',
  mandate_social_care_documentation: 'social services documentation',
};
