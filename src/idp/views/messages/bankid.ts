// The BankID wait page's own texts, in the two page languages.
import { catalogue } from './catalogue.ts';
import { bankid as sv } from './sv/bankid.ts';
import { bankid as en } from './en/bankid.ts';

export const bankidTexts = catalogue({ sv, en });

type SimKey = Extract<keyof typeof sv, `sim.${string}`>;
/** The simulated app's words for a problem type it refused a form with (the type itself stays, small, for support). */
export const simulatorProblemKey = (type: string): SimKey => {
  const key = `sim.${type}`;
  return key in sv ? key as SimKey : 'sim.other';
};
