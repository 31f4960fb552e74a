// Exposure limits on an approval (docs/domain.md, rule 3): set by the controller's administrators through
// the admin API, never by the product. Without limits an approval lets the product touch only the
// citizen its token was issued for, with no volume limit beyond that.
import { z } from 'zod';

export const exposureLimitsSchema = z.object({
  citizens: z.discriminatedUnion('mode', [
    z.object({ mode: z.literal('token_subject') }).strict(),
    z.object({ mode: z.literal('cohort'), cohortId: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/) }).strict(),
    z.object({ mode: z.literal('represented') }).strict(),
  ]).default({ mode: 'token_subject' }),
  /** The most distinct citizens the product may touch at this controller per sliding window. */
  maxCitizens: z.object({
    count: z.number().int().min(1).max(10_000_000),
    windowSeconds: z.number().int().min(1).max(366 * 86400),
  }).strict().optional(),
  /** Decisions per second for this product at this controller. */
  maxRequestsPerSecond: z.number().int().min(1).max(100_000).optional(),
}).strict();

/** The limits as the gate and the decision point read them (citizens filled in with the default). */
export type ExposureLimits = z.output<typeof exposureLimitsSchema>;

export const DEFAULT_LIMITS: ExposureLimits = { citizens: { mode: 'token_subject' } };
