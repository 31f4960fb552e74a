// The Freja eID wait page's own texts, in the two page languages.
import { catalogue } from './catalogue.ts';
import { freja as sv } from './sv/freja.ts';
import { freja as en } from './en/freja.ts';

export const frejaTexts = catalogue({ sv, en });
