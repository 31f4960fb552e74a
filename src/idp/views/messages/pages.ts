// The citizen pages' texts, in the two page languages.
import { catalogue } from './catalogue.ts';
import { pages as sv } from './sv/pages.ts';
import { pages as en } from './en/pages.ts';

export const pageTexts = catalogue({ sv, en });
