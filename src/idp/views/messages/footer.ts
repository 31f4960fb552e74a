// The footer's texts, in the two page languages.
import { catalogue } from './catalogue.ts';
import { footer as sv } from './sv/footer.ts';
import { footer as en } from './en/footer.ts';

export const footerTexts = catalogue({ sv, en });
