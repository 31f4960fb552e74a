// The citizen's page's texts (/account), in the two page languages.
import { catalogue } from './catalogue.ts';
import { account as sv } from './sv/account.ts';
import { account as en } from './en/account.ts';

export const accountTexts = catalogue({ sv, en });
