// The admin console's texts (src/whitelist/console/), in the two page languages.
import { catalogue } from './catalogue.ts';
import { consoleMessages as sv } from './sv/console.ts';
import { consoleMessages as en } from './en/console.ts';

export const consoleTexts = catalogue({ sv, en });
export type ConsoleKey = keyof typeof sv;
