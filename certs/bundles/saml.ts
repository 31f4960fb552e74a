// saml: placeholder bundle; the saml work fills in its files (see certs/pki.ts and bundles/bankid.ts).
import { defineBundle } from '../pki.ts';

export const samlBundle = defineBundle<never>({
  name: 'saml',
  files: {},
  certificates: [],
  async generate() {
    return {};
  },
});
