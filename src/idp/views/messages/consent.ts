// The consent page's texts, in the two page languages. The text version recorded with every consent
// is a digest of these texts: a changed wording is a new version, without anyone remembering to bump it.
import { createHash } from 'node:crypto';
import { catalogue } from './catalogue.ts';
import { consent as sv } from './sv/consent.ts';
import { consent as en } from './en/consent.ts';

export const consentTexts = catalogue({ sv, en });

export const CONSENT_TEXT_VERSION = createHash('sha256').update(JSON.stringify({ sv, en })).digest('hex').slice(0, 12);
