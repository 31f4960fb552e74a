// Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer),
// always in the 12-digit form YYYYMMDDNNNC used by BankID and the Swedish OIDC profile.

export interface IdentityNumber {
  /** 12 digits, no separator. */
  value: string;
  kind: 'personnummer' | 'samordningsnummer';
  birthDate: string; // YYYY-MM-DD
}

/** Luhn check digit over the 9 digits YYMMDDNNN (the 10-digit form without its last digit). */
export function luhnCheckDigit(nineDigits: string): number {
  let sum = 0;
  for (let i = 0; i < nineDigits.length; i += 1) {
    let d = Number(nineDigits[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** Parses a 12-digit identity number; returns undefined for anything that is not one. */
export function parseIdentityNumber(input: string): IdentityNumber | undefined {
  if (!/^\d{12}$/.test(input)) return undefined;
  const year = Number(input.slice(0, 4));
  const month = Number(input.slice(4, 6));
  let day = Number(input.slice(6, 8));
  let kind: IdentityNumber['kind'] = 'personnummer';
  // A coordination number adds 60 to the day of birth.
  if (day > 60) {
    kind = 'samordningsnummer';
    day -= 60;
  }
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1850 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  if (luhnCheckDigit(input.slice(2, 11)) !== Number(input[11])) return undefined;
  const birthDate = `${input.slice(0, 4)}-${input.slice(4, 6)}-${String(day).padStart(2, '0')}`;
  return { value: input, kind, birthDate };
}

/** Age in whole years on the given date (ms since epoch). */
export function ageOn(id: IdentityNumber, atMs: number): number {
  const [y, m, d] = id.birthDate.split('-').map(Number) as [number, number, number];
  const at = new Date(atMs);
  let age = at.getUTCFullYear() - y;
  if (at.getUTCMonth() + 1 < m || (at.getUTCMonth() + 1 === m && at.getUTCDate() < d)) age -= 1;
  return age;
}
