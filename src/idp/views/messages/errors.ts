// The error pages' texts, in the two page languages, and the list of error codes a page can show.
import { catalogue } from './catalogue.ts';
import { errors as sv } from './sv/errors.ts';
import { errors as en } from './en/errors.ts';

export const errorTexts = catalogue({ sv, en });

type Key = keyof typeof sv;
type CodeKey = Extract<Key, `code.${string}`>;
export type ErrorCode = CodeKey extends `code.${infer C}` ? C : never;

/** Every error code that has its own sentence: the catalogue of error pages. */
export const ERROR_CODES = (Object.keys(sv) as Key[])
  .filter((k): k is CodeKey => k.startsWith('code.'))
  .map((k) => k.slice('code.'.length) as ErrorCode);

export const isErrorCode = (code: string): code is ErrorCode => (ERROR_CODES as readonly string[]).includes(code);
