// Texts about data from the population register (address and contact scopes), in the two page languages.
import { catalogue } from './catalogue.ts';
import { register as sv } from './sv/register.ts';
import { register as en } from './en/register.ts';

export const registerTexts = catalogue({ sv, en });
