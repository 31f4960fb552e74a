// The shared page texts, in the two page languages.
import { catalogue } from './catalogue.ts';
import { common as sv } from './sv/common.ts';
import { common as en } from './en/common.ts';

export const commonTexts = catalogue({ sv, en });
