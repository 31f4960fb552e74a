// Acting for someone else, in the two page languages.
import { catalogue } from './catalogue.ts';
import { representation as sv } from './sv/representation.ts';
import { representation as en } from './en/representation.ts';

export const representationTexts = catalogue({ sv, en });
