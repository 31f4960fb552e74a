// The BankID wait page's own texts, in the two page languages.
import { catalogue } from './catalogue.ts';
import { bankid as sv } from './sv/bankid.ts';
import { bankid as en } from './en/bankid.ts';

export const bankidTexts = catalogue({ sv, en });
