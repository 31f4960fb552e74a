// freja: placeholder bundle; the freja work fills in its files (see certs/pki.ts and bundles/bankid.ts).
import { defineBundle } from '../pki.ts';

export const frejaBundle = defineBundle<never>({
  name: 'freja',
  files: {},
  certificates: [],
  async generate() {
    return {};
  },
});
