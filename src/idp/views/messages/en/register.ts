// English: texts about data from the population register.
import type { KeysOf } from '../catalogue.ts';
import type { register as sv } from '../sv/register.ts';

export const register: KeysOf<typeof sv> = {
  scopeAddress: 'your address from the population register (never released if you have protected personal data)',
  scopeEmail: 'your email address (never released if you have protected personal data)',
  scopePhone: 'your phone number (never released if you have protected personal data)',
};
