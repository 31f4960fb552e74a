// One ordering of the Swedish e-ID framework's levels of assurance, so every upstream can be compared
// with what a relying party asked for (acr_values) and what a product requires.
import { LOA } from '../idp/claims.ts';

const rank: Record<string, number> = {
  [LOA.loa2]: 2,
  [LOA.loa3]: 3,
  [LOA.loa4]: 4,
};

export const loaRank = (acr: string | undefined): number => (acr ? rank[acr] ?? 0 : 0);

/** The lowest level among the requested acr values; any method at or above it satisfies the request. */
export function requiredLoa(acrValues: string | undefined): number {
  if (!acrValues) return 0;
  const ranks = acrValues.split(' ').map(loaRank).filter((r) => r > 0);
  return ranks.length ? Math.min(...ranks) : Number.POSITIVE_INFINITY; // only unknown levels asked: none can satisfy
}
