// One LoA model for every upstream: the Swedish e-ID framework's levels (loa2..loa4) and the eIDAS
// notified levels, ranked on one scale, and one configured table (config.loa.providers) that says
// which acr each upstream yields. Nothing else in the gateway decides a level of assurance.
import { LOA } from '../idp/claims.ts';
import type { Config } from '../config.ts';

/** eIDAS levels as the Swedish framework names them (notified eIDs from other member states). */
export const EIDAS = {
  low: 'http://id.elegnamnden.se/loa/1.0/eidas-low',
  substantial: 'http://id.elegnamnden.se/loa/1.0/eidas-sub',
  high: 'http://id.elegnamnden.se/loa/1.0/eidas-high',
  notifiedLow: 'http://id.elegnamnden.se/loa/1.0/eidas-nf-low',
  notifiedSubstantial: 'http://id.elegnamnden.se/loa/1.0/eidas-nf-sub',
  notifiedHigh: 'http://id.elegnamnden.se/loa/1.0/eidas-nf-high',
} as const;

// eIDAS low/substantial/high sit beside the Swedish loa2/loa3/loa4 (the framework's own mapping).
const rank: Record<string, number> = {
  [LOA.loa2]: 2,
  [LOA.loa3]: 3,
  [LOA.loa4]: 4,
  [EIDAS.low]: 2,
  [EIDAS.notifiedLow]: 2,
  [EIDAS.substantial]: 3,
  [EIDAS.notifiedSubstantial]: 3,
  [EIDAS.high]: 4,
  [EIDAS.notifiedHigh]: 4,
};

/** Every acr the gateway can issue, for discovery. */
export const knownAcrs = Object.keys(rank);

export const loaRank = (acr: string | undefined): number => (acr ? rank[acr] ?? 0 : 0);

/** The lowest level among the requested acr values; any method at or above it satisfies the request. */
export function requiredLoa(acrValues: string | undefined): number {
  if (!acrValues) return 0;
  const ranks = acrValues.split(' ').map(loaRank).filter((r) => r > 0);
  return ranks.length ? Math.min(...ranks) : Number.POSITIVE_INFINITY; // only unknown levels asked: none can satisfy
}

/** What a request needs: the relying party's acr_values, never below the client's registered minimum. */
export function neededLoa(acrValues: string | undefined, clientMinimumAcr: string | undefined): number {
  return Math.max(requiredLoa(acrValues), loaRank(clientMinimumAcr));
}

export type Upstream = Config['loa']['providers'][string];

/**
 * The acr an upstream's sign-in yields. `native` is the upstream's own level when it has several
 * (Freja's registration level, a SAML AuthnContextClassRef); an unknown native level yields nothing,
 * so the sign-in is refused rather than guessed (fail closed).
 */
export function acrFor(upstream: Upstream, native?: string): string | undefined {
  if (!upstream.levels) return upstream.acr;
  if (native === undefined) return undefined;
  const acr = upstream.levels[native];
  // Never above the upstream's ceiling, whatever its own statement says.
  return acr && loaRank(acr) <= loaRank(upstream.acr) ? acr : undefined;
}

/** Native levels of an upstream that reach `needed`, lowest first (e.g. Freja's minRegistrationLevel). */
export function nativeLevelsReaching(upstream: Upstream, needed: number): string[] {
  if (!upstream.levels) return [];
  return Object.entries(upstream.levels)
    .filter(([, acr]) => loaRank(acr) >= needed && loaRank(acr) <= loaRank(upstream.acr))
    .sort((a, b) => loaRank(a[1]) - loaRank(b[1]))
    .map(([native]) => native);
}
