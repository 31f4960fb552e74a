// siths: placeholder bundle; the siths work fills in its files (see certs/pki.ts and bundles/bankid.ts).
import { defineBundle } from '../pki.ts';

export const sithsBundle = defineBundle<never>({
  name: 'siths',
  files: {},
  certificates: [],
  async generate() {
    return {};
  },
});
