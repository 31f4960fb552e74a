// English: the texts every page shares.
import type { KeysOf } from '../catalogue.ts';
import type { common as sv } from '../sv/common.ts';

export const common: KeysOf<typeof sv> = {
  siteName: 'Sign-in service for care apps',
  switchLanguage: 'På svenska',
};
