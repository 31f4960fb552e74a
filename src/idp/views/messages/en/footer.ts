// English: the footer every page carries.
import type { KeysOf } from '../catalogue.ts';
import type { footer as sv } from '../sv/footer.ts';

export const footer: KeysOf<typeof sv> = {
  label: 'About the sign-in service',
  help: 'Help and contact',
  account: 'My information and consents',
  privacy: 'How we process your personal data',
  accessibility: 'Accessibility statement',
};
